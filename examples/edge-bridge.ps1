# Scaling out: an edge broker runs examples/edge-bridge.conf (the file mosquitto would run) and bridges its site to
# a central broker. Here the central broker is a second embedded broker on this machine, standing in for the
# cluster: the script points the file's bridge at it and leaves out the TLS, password and file paths of production.
#   pwsh ./examples/edge-bridge.ps1
$ErrorActionPreference = 'Stop'
$modulePath = Join-Path $PSScriptRoot '../out/MqttPS/MqttPS.psd1'
if (Test-Path $modulePath) { Import-Module $modulePath -Force } else { Import-Module MqttPS }

$work = Join-Path ([IO.Path]::GetTempPath()) ('mqttps-edge-' + [guid]::NewGuid().ToString('n'))
$null = New-Item -ItemType Directory -Path $work
$central = Start-MqttBroker -Port 0 -Name 'central'
$edge = $null
try {
    # The production file, adapted for this machine: the bridge goes to the local central broker, without TLS;
    # devices may connect anonymously; the store is a temporary folder.
    $config = Join-Path $work 'edge.conf'
    Get-Content (Join-Path $PSScriptRoot 'edge-bridge.conf') | ForEach-Object {
        switch -Regex ($_) {
            '^address '                  { "address 127.0.0.1:$($central.Port)" }
            '^(bridge_cafile|password_file|acl_file) ' { }
            '^allow_anonymous '          { 'allow_anonymous true' }
            '^persistence_location '     { "persistence_location $work/store/" }
            default                      { $_ }
        }
    } | Set-Content -Path $config

    # Parameters win over the file: a free port instead of 1883.
    $edge = Start-MqttBroker -ConfigPath $config -Port 0 -Name 'edge'
    $deadline = [DateTime]::UtcNow.AddSeconds(20)
    while ($edge.Bridges[0].State -ne 'Connected') {
        if ([DateTime]::UtcNow -gt $deadline) { throw "the bridge did not connect: $($edge.Bridges[0].LastError)" }
        Start-Sleep -Milliseconds 100
    }

    # A reading published at the edge arrives centrally under the site's prefix.
    $watch = Connect-Mqtt -Broker $central.Uri -Name 'central-watch'
    function Wait-Retained($Broker, [string] $Topic) {
        # The bridge forwards in the background: give it a moment (bounded).
        $deadline = [DateTime]::UtcNow.AddSeconds(10)
        do {
            $found = @(Get-MqttRetainedMessage -EmbeddedBroker $Broker -Topic $Topic)
            if ($found.Count -gt 0) { return $found }
            Start-Sleep -Milliseconds 100
        } while ([DateTime]::UtcNow -lt $deadline)
        throw "nothing arrived on $Topic at $($Broker.Name)"
    }
    Publish-MqttMessage -Broker $edge.Uri -Topic 'sensors/boiler/temp' -Payload '71.5' -QoS 1 -Retain
    Wait-Retained $central 'sites/site17/sensors/#' | Format-Table Topic, Payload

    # A command published centrally for this site comes down without the prefix.
    Publish-MqttMessage -Connection $watch -Topic 'sites/site17/cmd/boiler/setpoint' -Payload '65' -QoS 1 -Retain
    Wait-Retained $edge 'site/boiler/setpoint' | Format-Table Topic, Payload

    # The bridge as Get-MqttBroker shows it: state, address, messages in and out, queue depth.
    (Get-MqttBroker -Name 'edge').Bridges | Format-Table
    $watch | Disconnect-Mqtt -Confirm:$false
}
finally {
    if ($edge) { $edge | Stop-MqttBroker -Confirm:$false }
    $central | Stop-MqttBroker -Confirm:$false
    Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue
}
