# Pester 5: nothing is lost between the wire and the pipeline (issue 12). Real PowerShell against Debian's mosquitto
# (each test starts its own on a free loopback port and stops it by process id) and the embedded broker.
# Every wait has a deadline.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers/MqttPSTestHelpers.psm1') -Force
    Import-Module (Get-MqttPSModulePath) -Force -ErrorAction Stop

    # mosquitto_pub -l publishes each line of its input as a message: a fast, independent publisher process.
    function Start-LinePublisher {
        param([Parameter(Mandatory)] [int] $Port, [Parameter(Mandatory)] [string] $Topic, [Parameter(Mandatory)] [int] $Count,
              [int] $QoS = 1, [string] $Version = 'mqttv5', [double] $DelaySeconds = 0.5, [int] $Padding = 0)
        $pad = 'x' * $Padding
        $start = [System.Diagnostics.ProcessStartInfo]::new('bash')
        $start.ArgumentList.Add('-c')
        $start.ArgumentList.Add("sleep $DelaySeconds; seq -f 'm%05g$pad' 1 $Count | mosquitto_pub -h 127.0.0.1 -p $Port -V $Version -q $QoS -l -t '$Topic'")
        $start.UseShellExecute = $false
        [System.Diagnostics.Process]::Start($start)
    }

    function Stop-LinePublisher {
        param($Process)
        if ($Process -and -not $Process.HasExited) { $Process.Kill($true) }
    }

    function Get-RssMegabytes { [math]::Round([System.Diagnostics.Process]::GetCurrentProcess().WorkingSet64 / 1MB, 1) }

    # The first position where two sequences differ, for a readable failure.
    function Find-FirstDifference {
        param([string[]] $Actual, [string[]] $Expected)
        $n = [math]::Min($Actual.Count, $Expected.Count)
        for ($i = 0; $i -lt $n; $i++) { if ($Actual[$i] -ne $Expected[$i]) { return "at $i expected '$($Expected[$i])' got '$($Actual[$i])'" } }
        if ($Actual.Count -ne $Expected.Count) { return "count $($Actual.Count) instead of $($Expected.Count)" }
        $null
    }
}

AfterAll {
    Get-MqttSubscription | Unregister-MqttSubscription -Confirm:$false
    Disconnect-Mqtt -All -Confirm:$false
    Stop-MqttBroker -All -Confirm:$false
}

Describe 'A slow pipeline loses nothing at QoS 1' {
    It 'delivers all 30,000 messages exactly once and in order from <Name>, with bounded memory' -ForEach @(
        @{ Name = 'mosquitto' }
        @{ Name = 'the embedded broker' }
    ) {
        $count = 30000
        if ($Name -eq 'mosquitto') {
            # The broker keeps what the client holds back; mosquitto's default queue (1000) would drop the rest itself.
            $server = Start-Mosquitto -ConfigLines 'max_queued_messages 100000'
            $port = $server.Port
        }
        else {
            $embedded = Start-MqttBroker -Port 0 -Name 'flood-broker' -MaxQueuedMessages 100000
            $port = $embedded.Port
        }
        try {
            $connection = Connect-Mqtt -Broker "mqtt://127.0.0.1:$port" -Name 'flood'
            $baseline = Get-RssMegabytes
            $peak = $baseline
            $publisher = Start-LinePublisher -Port $port -Topic 'flood1' -Count $count -Padding 40
            $got = [System.Collections.Generic.List[string]]::new($count)
            $subscription = $null
            $i = 0
            $watch = [System.Diagnostics.Stopwatch]::StartNew()
            # The pipeline is slower than the publisher (a 1 ms pause every 5 messages), so the subscription's queue fills.
            Register-MqttSubscription -Topic 'flood1' -QoS 1 -Count $count -TimeoutSeconds 150 -QueueSize 1000 -WarningVariable warnings |
                ForEach-Object {
                    $got.Add($_.Payload.Substring(0, 6))
                    if ($null -eq $subscription) { $subscription = Get-MqttSubscription -Topic 'flood1' }
                    if ((++$i % 5) -eq 0) { Start-Sleep -Milliseconds 1 }
                    if (($i % 1000) -eq 0) { $peak = [math]::Max($peak, (Get-RssMegabytes)) }
                }
            $watch.Stop()
            Write-Host ("    {0}: {1:N0} messages in {2:N1} s; pwsh RSS {3} MB before, {4} MB at peak; {5:N0} messages waited for room (acknowledgement held back)" -f
                $Name, $got.Count, $watch.Elapsed.TotalSeconds, $baseline, $peak, $subscription.MessagesHeldBack)
            $expected = 1..$count | ForEach-Object { 'm{0:d5}' -f $_ }
            Find-FirstDifference -Actual $got -Expected $expected | Should -BeNullOrEmpty
            $subscription.MessagesDropped | Should -Be 0
            $subscription.MessagesHeldBack | Should -BeGreaterThan 0 -Because 'the pipeline was behind, so acknowledgements had to wait'
            @($warnings).Count | Should -Be 0
            ($peak - $baseline) | Should -BeLessThan 200 -Because 'at most -QueueSize plus the Receive Maximum of messages wait in the client'
        }
        finally {
            Stop-LinePublisher $publisher
            Disconnect-Mqtt -Name 'flood' -Confirm:$false -ErrorAction SilentlyContinue
            if ($server) { Stop-Mosquitto $server }
            if ($embedded) { Stop-MqttBroker $embedded -Confirm:$false }
        }
    }
}

Describe 'QoS 0 overflow follows an explicit policy' {
    BeforeAll {
        $script:server = Start-Mosquitto
        $script:connection = Connect-Mqtt -Broker $script:server.Uri -Name 'qos0'
    }
    AfterAll {
        Disconnect-Mqtt -Name 'qos0' -Confirm:$false -ErrorAction SilentlyContinue
        Stop-Mosquitto $script:server
    }

    It 'drops QoS 0 messages the pipeline cannot take, counts them and reports them in a few warning lines' {
        $publisher = Start-LinePublisher -Port $script:server.Port -Topic 'flood0' -Count 20000 -QoS 0
        try {
            $subscription = $null
            $received = 0
            Register-MqttSubscription -Topic 'flood0' -QoS 0 -TimeoutSeconds 6 -QueueSize 100 -WarningVariable warnings -WarningAction SilentlyContinue |
                ForEach-Object {
                    if ($null -eq $subscription) { $subscription = Get-MqttSubscription -Topic 'flood0' }
                    $received++
                    Start-Sleep -Milliseconds 1
                }
            $subscription.MessagesDropped | Should -BeGreaterThan 0
            ($received + $subscription.MessagesDropped) | Should -BeLessOrEqual 20000
            @($warnings).Count | Should -BeIn 1, 2, 3
            "$($warnings[-1])" | Should -Match ([regex]::Escape(('{0:N0}' -f $subscription.MessagesDropped)) + ' QoS 0 messages in all')
            "$($warnings[-1])" | Should -Match '-OverflowPolicy DropOldest, -QueueSize 100'
        }
        finally { Stop-LinePublisher $publisher }
    }

    It 'drops nothing with -OverflowPolicy Backpressure: the connection stops reading instead' {
        $publisher = Start-LinePublisher -Port $script:server.Port -Topic 'paced0' -Count 3000 -QoS 0 -Version mqttv311
        try {
            $got = [System.Collections.Generic.List[string]]::new()
            $subscription = $null
            Register-MqttSubscription -Topic 'paced0' -QoS 0 -Count 3000 -TimeoutSeconds 60 -QueueSize 50 -OverflowPolicy Backpressure -WarningVariable warnings |
                ForEach-Object {
                    if ($null -eq $subscription) { $subscription = Get-MqttSubscription -Topic 'paced0' }
                    $got.Add($_.Payload)
                    if (($got.Count % 20) -eq 0) { Start-Sleep -Milliseconds 1 }
                }
            $got.Count | Should -Be 3000
            $subscription.MessagesDropped | Should -Be 0
            @($warnings).Count | Should -Be 0
        }
        finally { Stop-LinePublisher $publisher }
    }
}

Describe 'The help states the delivery guarantees' {
    It 'has them in the NOTES of <Command>' -ForEach @(
        @{ Command = 'Register-MqttSubscription'; Says = 'QoS 1 and 2: nothing is dropped', 'OverflowPolicy', 'Unregister-Event and Stop-Job end the MQTT subscription', 'share one broker subscription' }
        @{ Command = 'Publish-MqttMessage'; Says = 'one terminating ConnectionLost error', 'offline queue', 'OfflineQueueFull', "-Payload ''" }
        @{ Command = 'Connect-Mqtt'; Says = 'ReconnectMaxDelaySeconds', 'OfflineQueueSize', 'takes that connection''s session over', 'Receive Maximum of 1000' }
    ) {
        $notes = (Get-Help $Command -Full).alertSet | Out-String -Width 400
        $notes | Should -Match 'Delivery guarantees'
        foreach ($phrase in $Says) { $notes | Should -Match ([regex]::Escape($phrase)) }
    }

    It 'has them in about_MqttPS' {
        $about = Get-Help about_MqttPS | Out-String
        $about | Should -Match 'DELIVERY GUARANTEES'
        $about | Should -Match 'Remove-Module MqttPS'
    }
}
