# An operations alert watcher: a background subscription with -Action reacts to alerts while the shell stays
# free. Critical alerts are collected; everything prints as it arrives. Runs on its own against an embedded broker.
#   pwsh ./examples/ops-alert-watcher.ps1
$ErrorActionPreference = 'Stop'
$modulePath = Join-Path $PSScriptRoot '../out/MqttPS/MqttPS.psd1'
if (Test-Path $modulePath) { Import-Module $modulePath -Force } else { Import-Module MqttPS }

$broker = Start-MqttBroker -Port 0 -Name 'ops'
try {
    Connect-Mqtt -Broker $broker.Uri -ClientId 'ops-console' | Out-Null
    $global:CriticalAlerts = [System.Collections.ArrayList]::Synchronized((New-Object System.Collections.ArrayList))

    $watcher = Register-MqttSubscription -Topic 'alerts/#' -AsJson -SourceIdentifier 'ops.alerts' -Action {
        $alert = $Event.MessageData
        $line = '{0:HH:mm:ss} [{1}] {2}: {3}' -f $alert.Timestamp.LocalDateTime, $alert.Payload.severity, $alert.Topic, $alert.Payload.text
        Write-Host $line
        if ($alert.Payload.severity -eq 'critical') { [void]$global:CriticalAlerts.Add($alert) }
    }
    Write-Host "Watching alerts/# (subscription #$($watcher.Id)); the shell stays usable meanwhile."

    # Some systems raise alerts (objects are published as JSON).
    @(
        @{ host = 'web1'; severity = 'warning'; text = 'disk 85% full' }
        @{ host = 'db1'; severity = 'critical'; text = 'replication stopped' }
        @{ host = 'web2'; severity = 'info'; text = 'deployment finished' }
        @{ host = 'db1'; severity = 'critical'; text = 'disk 99% full' }
    ) | ForEach-Object { Publish-MqttMessage -Topic "alerts/$($_.host)" -Payload ([pscustomobject]$_) -QoS 1 }

    # The actions run whenever the shell is idle, or while Wait-Event waits (here on an identifier that never
    # fires); wait until all four alerts were handled.
    $deadline = (Get-Date).AddSeconds(10)
    while ($watcher.MessagesReceived -lt 4 -or $global:CriticalAlerts.Count -lt 2) {
        if ((Get-Date) -gt $deadline) { throw 'the alerts did not arrive in time' }
        $null = Wait-Event -SourceIdentifier 'ops.idle' -Timeout 1
    }
    Write-Host "$($global:CriticalAlerts.Count) critical alerts:"
    $global:CriticalAlerts | ForEach-Object { ' - {0}: {1}' -f $_.Payload.host, $_.Payload.text } | Write-Host
    Get-MqttSubscription | Format-Table
}
finally {
    Get-MqttSubscription | Unregister-MqttSubscription -Confirm:$false
    Disconnect-Mqtt -All -Confirm:$false
    $broker | Stop-MqttBroker -Confirm:$false
    Remove-Variable -Name CriticalAlerts -Scope Global -ErrorAction SilentlyContinue
}
