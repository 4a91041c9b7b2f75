# Bulk cleanup of retained messages: list what a filter holds, preview the cleanup with -WhatIf, then clear
# only the stale ones. Runs on its own against an embedded broker.
#   pwsh ./examples/retained-cleanup.ps1
$ErrorActionPreference = 'Stop'
$modulePath = Join-Path $PSScriptRoot '../out/MqttPS/MqttPS.psd1'
if (Test-Path $modulePath) { Import-Module $modulePath -Force } else { Import-Module MqttPS }

$broker = Start-MqttBroker -Port 0 -Name 'cleanup'
try {
    Connect-Mqtt -Broker $broker.Uri | Out-Null

    # Devices left their last state behind as retained messages; the decommissioned ones say so.
    1..6 | ForEach-Object {
        $state = if ($_ % 3 -eq 0) { 'decommissioned' } else { 'online' }
        Publish-MqttMessage -Topic "devices/dev$_/state" -Payload $state -Retain -QoS 1
    }

    Write-Host 'Retained messages under devices/#:'
    Get-MqttRetainedMessage -Topic 'devices/#' | Format-Table Topic, Payload

    Write-Host 'Preview (-WhatIf) of clearing the decommissioned devices:'
    Get-MqttRetainedMessage -Topic 'devices/#' | Where-Object Payload -eq 'decommissioned' |
        Clear-MqttRetainedMessage -WhatIf

    $cleared = Get-MqttRetainedMessage -Topic 'devices/#' | Where-Object Payload -eq 'decommissioned' |
        Clear-MqttRetainedMessage -Confirm:$false -PassThru
    Write-Host "Cleared: $($cleared -join ', ')"

    $left = Get-MqttRetainedMessage -Topic 'devices/#'
    Write-Host "Left: $($left.Count) retained messages"
    if ($left.Count -ne 4 -or @($cleared).Count -ne 2) { throw 'unexpected cleanup result' }

    # A whole tree at once, previewed first:
    Clear-MqttRetainedMessage -Filter 'devices/#' -WhatIf
}
finally {
    Disconnect-Mqtt -All -Confirm:$false
    $broker | Stop-MqttBroker -Confirm:$false
}
