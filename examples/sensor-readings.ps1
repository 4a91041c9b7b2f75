# Pipes sensor readings from a file into MQTT: first a whole file, then live lines as they are appended
# (Get-Content -Wait tails the file like `tail -f`). Runs on its own against an embedded broker.
#   pwsh ./examples/sensor-readings.ps1
$ErrorActionPreference = 'Stop'
$modulePath = Join-Path $PSScriptRoot '../out/MqttPS/MqttPS.psd1'
if (Test-Path $modulePath) { Import-Module $modulePath -Force } else { Import-Module MqttPS }

$broker = Start-MqttBroker -Port 0 -Name 'sensors'
$file = Join-Path ([System.IO.Path]::GetTempPath()) ("readings-{0}.log" -f [guid]::NewGuid())
$liveFile = Join-Path ([System.IO.Path]::GetTempPath()) ("live-{0}.log" -f [guid]::NewGuid())
try {
    Connect-Mqtt -Broker $broker.Uri -ClientId 'sensor-gateway' | Out-Null

    # Count what arrives, in the background.
    Register-MqttSubscription -Topic 'sensors/#' -SourceIdentifier 'readings' | Out-Null

    # 1. A whole file: each line becomes one message (QoS 1 messages go out in a window).
    1..10 | ForEach-Object { "t=$_ temp=$(20 + $_ / 10)" } | Set-Content -Path $file
    Get-Content -Path $file | Publish-MqttMessage -Topic 'sensors/batch' -QoS 1
    Write-Host "Published $((Get-Content $file).Count) lines from $file"

    # 2. Tailing: another thread appends a reading every 200 ms; Get-Content -Wait publishes each new line
    #    as it is written, and Select-Object -First ends the tail after five.
    [System.IO.File]::WriteAllText($liveFile, '')
    $writer = [powershell]::Create()
    $null = $writer.AddScript({
        param($path)
        1..5 | ForEach-Object { Start-Sleep -Milliseconds 200; Add-Content -Path $path -Value "live=$_" }
    }).AddArgument($liveFile)
    $handle = $writer.BeginInvoke()
    Get-Content -Path $liveFile -Wait | Select-Object -First 5 | Publish-MqttMessage -Topic 'sensors/live' -QoS 1 -PassThru |
        ForEach-Object { Write-Host "tailed -> $($_.Topic): $($_.PayloadText)" }
    $null = $writer.EndInvoke($handle)
    $writer.Dispose()

    # Collect the events the background subscription raised.
    $received = @()
    while ($received.Count -lt 15) {
        $e = Wait-Event -SourceIdentifier 'readings' -Timeout 10
        if (-not $e) { break }
        $received += $e.MessageData
        $e | Remove-Event
    }
    Write-Host "Subscriber received $($received.Count) readings"
    $received | Select-Object -Last 5 | Format-Table Topic, Payload
    if ($received.Count -ne 15) { throw "expected 15 readings, received $($received.Count)" }
}
finally {
    Get-MqttSubscription | Unregister-MqttSubscription -Confirm:$false
    Disconnect-Mqtt -All -Confirm:$false
    $broker | Stop-MqttBroker -Confirm:$false
    Remove-Item -Path $file, $liveFile -ErrorAction SilentlyContinue
}
