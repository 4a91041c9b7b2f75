# Bridges topics from one broker to another with the pipeline: messages received from broker A are
# re-published to broker B under a prefix. Message objects carry Topic, Payload, QoS and Retain, so
# Publish-MqttMessage takes them as they come. Runs on its own against two embedded brokers.
#   pwsh ./examples/bridge.ps1
$ErrorActionPreference = 'Stop'
$modulePath = Join-Path $PSScriptRoot '../out/MqttPS/MqttPS.psd1'
if (Test-Path $modulePath) { Import-Module $modulePath -Force } else { Import-Module MqttPS }

$siteBroker = Start-MqttBroker -Port 0 -Name 'site'
$hqBroker = Start-MqttBroker -Port 0 -Name 'hq'
try {
    $site = Connect-Mqtt -Broker $siteBroker.Uri -Name 'site' -ClientId 'bridge-in'
    $hq = Connect-Mqtt -Broker $hqBroker.Uri -Name 'hq' -ClientId 'bridge-out'

    # The site has some state (retained) before the bridge starts.
    'boiler', 'pump', 'valve' | ForEach-Object {
        Publish-MqttMessage -Connection $site -Topic "plant/$_/status" -Payload 'ok' -Retain -QoS 1
    }

    # The bridge: everything under plant/# on the site goes to hq as site1/plant/...; it stops after
    # two seconds here, so the example ends on its own (drop -TimeoutSeconds to run for good).
    Register-MqttSubscription -Connection $site -Topic 'plant/#' -QoS 1 -TimeoutSeconds 2 |
        ForEach-Object { $_.Topic = "site1/$($_.Topic)"; $_ } |
        Publish-MqttMessage -Connection $hq -PassThru |
        ForEach-Object { Write-Host "bridged $($_.Topic): $($_.PayloadText)" }

    $atHq = Get-MqttRetainedMessage -Connection $hq -Topic 'site1/#'
    $atHq | Format-Table Topic, Payload, Retain
    if (@($atHq).Count -ne 3) { throw "expected 3 bridged retained messages at hq, found $(@($atHq).Count)" }
}
finally {
    Disconnect-Mqtt -All -Confirm:$false
    Stop-MqttBroker -Name 'site', 'hq' -Confirm:$false
}
