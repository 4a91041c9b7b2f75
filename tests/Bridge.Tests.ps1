# Bridges with mosquitto on both ends: the embedded broker bridged to a mosquitto hub (in, out and both, prefixes,
# QoS 0/1/2, the hub restarted mid-stream without losing a QoS 1 message), a mosquitto bridged to the embedded broker
# (nothing comes back twice), two embedded brokers bridged; the bridge view of Get-MqttBroker and the -Bridge errors.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers/MqttPSTestHelpers.psm1') -Force
    Import-Module (Get-MqttPSModulePath) -Force
    $script:work = Join-Path ([IO.Path]::GetTempPath()) ('mqttps-bridge-' + [guid]::NewGuid().ToString('N'))
    $null = New-Item -ItemType Directory -Path $script:work

    function New-Probe {
        <# An engine client (QoS as delivered is visible), connected; -Persistent keeps its session on the broker and
           reconnects by itself. #>
        param([string] $Uri, [string] $ClientId, [switch] $Persistent, [string[]] $Subscribe = @(), [string] $QoS = 'ExactlyOnce')
        $o = [MqttPS.Core.Client.MqttClientOptions]::new($Uri)
        $o.ClientId = $ClientId
        $o.ProtocolVersion = 'V311'
        $o.ConnectTimeout = [TimeSpan]::FromSeconds(5)
        if ($Persistent) { $o.CleanStart = $false; $o.AutoReconnect = $true; $o.ReconnectMinDelay = [TimeSpan]::FromMilliseconds(200); $o.ReconnectMaxDelay = [TimeSpan]::FromSeconds(1) }
        $c = [MqttPS.Core.Client.MqttClient]::new($o)
        $null = $c.ConnectAsync().GetAwaiter().GetResult()
        foreach ($filter in $Subscribe) { $null = $c.SubscribeAsync($filter, $QoS).GetAwaiter().GetResult() }
        $c
    }

    function Send-Probe([object] $Client, [string] $Topic, [string] $Payload, [string] $QoS = 'AtLeastOnce', [bool] $Retain = $false) {
        $null = $Client.PublishAsync([MqttPS.Core.Messages.MqttMessage]::new($Topic, $Payload, $QoS, $Retain)).GetAwaiter().GetResult()
    }

    function Receive-Probe {
        <# Messages until nothing comes for -QuietMilliseconds (or -Count arrived), bounded by -TimeoutSeconds. #>
        param([object] $Client, [int] $QuietMilliseconds = 800, [int] $Count = [int]::MaxValue, [double] $TimeoutSeconds = 20)
        $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
        $n = 0
        while ($n -lt $Count -and [DateTime]::UtcNow -lt $deadline) {
            $cts = [Threading.CancellationTokenSource]::new($QuietMilliseconds)
            try { $m = $Client.ReceiveAsync($cts.Token).GetAwaiter().GetResult() } catch { $m = $null } finally { $cts.Dispose() }
            if ($null -eq $m) { if ($Count -eq [int]::MaxValue) { return } else { continue } }
            $n++
            $m
        }
    }

    function Wait-BridgeState([object] $Broker, [string] $State, [double] $TimeoutSeconds = 30) {
        Wait-Until -TimeoutSeconds $TimeoutSeconds -Because "the bridge of $($Broker.Name) to be $State" -Condition { @($Broker.Bridges | Where-Object State -eq $State).Count -gt 0 }
    }
}

AfterAll {
    Stop-MqttBroker -All -Confirm:$false -ErrorAction SilentlyContinue
    Remove-Item -LiteralPath $script:work -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'The embedded broker bridged to a mosquitto hub' {
    BeforeAll {
        $script:hub = Start-Mosquitto -Directory (Join-Path $script:work 'hub') -ConfigLines @('user root')
        $script:edge = Start-MqttBroker -Port 0 -Name 'edge' -Bridge @{
            Name = 'hub'; Address = "127.0.0.1:$($script:hub.Port)"; ClientId = 'edge1'; RestartDelaySeconds = 1
            Topic = 'up/# out 1 site/ edge1/', 'down/# in 2', 'chat/# both 2', 'noise/# out 0'
        }
        Wait-BridgeState $script:edge 'Connected'
    }
    AfterAll {
        $script:edge | Stop-MqttBroker -Confirm:$false
        Stop-Mosquitto $script:hub
    }

    It 'carries messages out with prefixes remapped, in, and both ways, each at most at its QoS, none twice' {
        $atHub = New-Probe -Uri $script:hub.Uri -ClientId 'hub-watch' -Subscribe 'edge1/#', 'chat/#', 'noise/#'
        $atEdge = New-Probe -Uri $script:edge.Uri -ClientId 'edge-watch' -Subscribe 'down/#', 'chat/#'
        try {
            Send-Probe $atEdge 'site/up/temp' '21' 'ExactlyOnce'
            Send-Probe $atEdge 'noise/x' 'n' 'ExactlyOnce'
            Send-Probe $atEdge 'chat/from-edge' 'e' 'ExactlyOnce'
            Send-Probe $atHub 'down/cmd' 'go' 'ExactlyOnce'
            Send-Probe $atHub 'chat/from-hub' 'h' 'ExactlyOnce'
            $hubGot = @(Receive-Probe $atHub)
            $edgeGot = @(Receive-Probe $atEdge)
            ($hubGot | Where-Object Topic -eq 'edge1/up/temp').QoS | Should -Be 'AtLeastOnce'
            ($hubGot | Where-Object Topic -eq 'noise/x').QoS | Should -Be 'AtMostOnce'
            ($edgeGot | Where-Object Topic -eq 'down/cmd').QoS | Should -Be 'ExactlyOnce'
            @($hubGot | Where-Object Topic -eq 'chat/from-edge').Count | Should -Be 1
            @($hubGot | Where-Object Topic -eq 'chat/from-hub').Count | Should -Be 1
            @($edgeGot | Where-Object Topic -eq 'chat/from-hub').Count | Should -Be 1
            @($edgeGot | Where-Object Topic -eq 'chat/from-edge').Count | Should -Be 1
            @($edgeGot | Where-Object Topic -like 'site/*').Count | Should -Be 0
        }
        finally { $atHub.Dispose(); $atEdge.Dispose() }
    }

    It 'publishes its state retained on both brokers and shows state, counters and queue in Get-MqttBroker' {
        $atHub = New-Probe -Uri $script:hub.Uri -ClientId 'state-watch' -Subscribe '$SYS/broker/connection/edge1/state'
        try { (@(Receive-Probe $atHub -Count 1) | Select-Object -First 1).PayloadText | Should -Be '1' } finally { $atHub.Dispose() }
        (Get-MqttRetainedMessage -EmbeddedBroker $script:edge -Topic '$SYS/broker/connection/edge1/state').PayloadText | Should -Be '1'
        $bridge = (Get-MqttBroker -Name 'edge').Bridges | Select-Object -First 1
        $bridge.Name | Should -Be 'hub'
        $bridge.State | Should -Be 'Connected'
        $bridge.Address | Should -Be "mqtt://127.0.0.1:$($script:hub.Port)"
        $bridge.MessagesOut | Should -BeGreaterThan 0
        $bridge.MessagesIn | Should -BeGreaterThan 0
        $bridge.QueuedMessages | Should -Be 0
        $table = $bridge | Out-String -Width 120
        $table | Should -Match 'Name\s+State\s+Address\s+In\s+Out\s+Dropped\s+Queued'
        $table | Should -Match 'hub\s+Connected'
    }

    It 'loses no QoS 1 message when the hub is restarted mid-stream' {
        # The hub keeps its subscriber's session across its restart (persistence); the edge keeps what it cannot send.
        $hubDir = Join-Path $script:work 'persistent-hub'
        $null = New-Item -ItemType Directory -Path (Join-Path $hubDir 'db')
        $hubPort = Get-FreeTcpPort
        $hub2 = Start-Mosquitto -Directory $hubDir -Port $hubPort -ConfigLines @('user root', 'persistence true', "persistence_location $hubDir/db/")
        $edge2 = Start-MqttBroker -Port 0 -Name 'edge-restart' -Bridge @{ Name = 'hub2'; Address = "127.0.0.1:$hubPort"; ClientId = 'edge2'; RestartDelaySeconds = 1; Topic = 'stream/# out 1' }
        try {
            Wait-BridgeState $edge2 'Connected'
            $subscriber = New-Probe -Uri $hub2.Uri -ClientId 'stream-sub' -Persistent -Subscribe 'stream/#' -QoS AtLeastOnce
            $publisher = New-Probe -Uri $edge2.Uri -ClientId 'stream-pub'
            try {
                foreach ($i in 1..300) {
                    Send-Probe $publisher "stream/$i" "$i"
                    if ($i -eq 100) { Stop-Mosquitto $hub2 -KeepDirectory }
                    if ($i -eq 200) { Start-MosquittoProcess -Server $hub2 }
                    Start-Sleep -Milliseconds 5
                }
                $got = [Collections.Generic.HashSet[string]]::new()
                $deadline = [DateTime]::UtcNow.AddSeconds(60)
                while ($got.Count -lt 300 -and [DateTime]::UtcNow -lt $deadline) {
                    foreach ($m in @(Receive-Probe $subscriber -QuietMilliseconds 1000 -TimeoutSeconds 5)) { $null = $got.Add($m.PayloadText) }
                }
                $missing = @(1..300 | Where-Object { -not $got.Contains("$_") })
                $missing | Should -BeNullOrEmpty -Because 'every QoS 1 message published on the edge reaches the hub subscriber'
                (Get-MqttBroker -Name 'edge-restart').Bridges[0].Connects | Should -BeGreaterOrEqual 2
            }
            finally { $subscriber.Dispose(); $publisher.Dispose() }
        }
        finally {
            $edge2 | Stop-MqttBroker -Confirm:$false
            Stop-Mosquitto $hub2
        }
    }
}

Describe 'A mosquitto bridged to the embedded broker' {
    It 'gets nothing back twice (mosquitto announces itself with try_private, protocol level 0x84)' {
        $center = Start-MqttBroker -Port 0 -Name 'center'
        $edgeDir = Join-Path $script:work 'mosquitto-edge'
        $edgeM = Start-Mosquitto -Directory $edgeDir -ConfigLines @('user root', 'connection tocenter', "address 127.0.0.1:$($center.Port)", 'topic br/# both 1', 'restart_timeout 1', 'cleansession true')
        try {
            Wait-Until -TimeoutSeconds 30 -Because 'the mosquitto bridge to connect' -Condition { @(Get-MqttBrokerClient -Broker $center | Where-Object IsBridge).Count -eq 1 }
            Wait-Until -TimeoutSeconds 10 -Because 'its subscription' -Condition { @((Get-MqttBrokerClient -Broker $center | Where-Object IsBridge).Subscriptions).Count -gt 0 }
            $atEdge = New-Probe -Uri $edgeM.Uri -ClientId 'edge-sub' -Subscribe 'br/#' -QoS AtLeastOnce
            $atCenter = New-Probe -Uri $center.Uri -ClientId 'center-sub' -Subscribe 'br/#' -QoS AtLeastOnce
            try {
                Send-Probe $atEdge 'br/from-edge' 'e'
                Send-Probe $atCenter 'br/from-center' 'c'
                $edgeGot = @(Receive-Probe $atEdge -QuietMilliseconds 1500)
                $centerGot = @(Receive-Probe $atCenter -QuietMilliseconds 1500)
                @($edgeGot | Where-Object Topic -eq 'br/from-edge').Count | Should -Be 1 -Because 'the measured defect: mosquitto got its own message back'
                @($edgeGot | Where-Object Topic -eq 'br/from-center').Count | Should -Be 1
                @($centerGot | Where-Object Topic -eq 'br/from-edge').Count | Should -Be 1
                @($centerGot | Where-Object Topic -eq 'br/from-center').Count | Should -Be 1
            }
            finally { $atEdge.Dispose(); $atCenter.Dispose() }
        }
        finally {
            Stop-Mosquitto $edgeM
            $center | Stop-MqttBroker -Confirm:$false
        }
    }
}

Describe 'Bridges from a configuration file, between two embedded brokers, and their errors' {
    It 'runs the bridge of a mosquitto.conf like mosquitto does (prefixes and QoS), into a mosquitto hub' {
        $hub = Start-Mosquitto -Directory (Join-Path $script:work 'conf-hub') -ConfigLines @('user root')
        $dir = Join-Path $script:work 'conf-edge'
        $null = New-Item -ItemType Directory -Path $dir
        $edgePort = Get-FreeTcpPort
        $config = Join-Path $dir 'edge.conf'
        Set-Content -Path $config -Value @('user root', 'persistence false', "listener $edgePort 127.0.0.1", 'allow_anonymous true', '',
            'connection hub', "address 127.0.0.1:$($hub.Port)", 'remote_clientid conf-edge', 'topic sensors/# out 1 "" plant1/', 'restart_timeout 1')
        try {
            $results = foreach ($kind in 'mosquitto', 'mqttps') {
                if ($kind -eq 'mosquitto') { $edge = Start-MosquittoConfig -ConfigPath $config -Port $edgePort }
                else { $edge = Start-MqttBroker -ConfigPath $config -Name 'conf-edge' -WarningAction SilentlyContinue; Wait-BridgeState $edge 'Connected' }
                try {
                    $watch = New-Probe -Uri $hub.Uri -ClientId "watch-$kind" -Subscribe 'plant1/#'
                    $pub = New-Probe -Uri "mqtt://127.0.0.1:$edgePort" -ClientId "pub-$kind"
                    try {
                        # mosquitto's bridge needs a moment after connecting before its subscriptions are in place.
                        Wait-Until -TimeoutSeconds 20 -Because "the $kind bridge to carry a first message" -Condition {
                            Send-Probe $pub 'sensors/probe' 'p' 'AtMostOnce'
                            @(Receive-Probe $watch -QuietMilliseconds 300 -TimeoutSeconds 1).Count -gt 0
                        }
                        $null = @(Receive-Probe $watch -QuietMilliseconds 500)
                        Send-Probe $pub 'sensors/t1' '20' 'ExactlyOnce'
                        $m = @(Receive-Probe $watch) | Select-Object -First 1
                        [pscustomobject]@{ Kind = $kind; Topic = $m.Topic; QoS = "$($m.QoS)"; Payload = $m.PayloadText }
                    }
                    finally { $watch.Dispose(); $pub.Dispose() }
                }
                finally {
                    if ($kind -eq 'mosquitto') { Stop-Mosquitto $edge -KeepDirectory } else { $edge | Stop-MqttBroker -Confirm:$false }
                    Wait-Until -Because "port $edgePort to be free" -Condition { try { $c = [Net.Sockets.TcpClient]::new('127.0.0.1', $edgePort); $c.Dispose(); $false } catch { $true } }
                }
            }
            $results[1].Topic | Should -Be 'plant1/sensors/t1'
            $results[1].QoS | Should -Be 'AtLeastOnce'
            ($results[1] | Select-Object Topic, QoS, Payload | ConvertTo-Json -Compress) | Should -Be ($results[0] | Select-Object Topic, QoS, Payload | ConvertTo-Json -Compress)
        }
        finally { Stop-Mosquitto $hub }
    }

    It 'bridges two embedded brokers both ways at QoS 2 without duplicates' {
        $hubB = Start-MqttBroker -Port 0 -Name 'hub-b'
        $edgeA = Start-MqttBroker -Port 0 -Name 'edge-a' -Bridge @{ Name = 'b'; Address = $hubB.Uri; Topic = 'x/# both 2'; ProtocolVersion = '5.0' }
        try {
            Wait-BridgeState $edgeA 'Connected'
            $a = New-Probe -Uri $edgeA.Uri -ClientId 'a' -Subscribe 'x/#'
            $b = New-Probe -Uri $hubB.Uri -ClientId 'b' -Subscribe 'x/#'
            try {
                1..20 | ForEach-Object { Send-Probe $a "x/a$_" "$_" 'ExactlyOnce'; Send-Probe $b "x/b$_" "$_" 'ExactlyOnce' }
                $atA = @(Receive-Probe $a)
                $atB = @(Receive-Probe $b)
                $atA.Count | Should -Be 40
                $atB.Count | Should -Be 40
                @($atA.Topic | Sort-Object -Unique).Count | Should -Be 40
                @($atB | Where-Object QoS -ne 'ExactlyOnce').Count | Should -Be 0
            }
            finally { $a.Dispose(); $b.Dispose() }
        }
        finally { $edgeA, $hubB | Stop-MqttBroker -Confirm:$false }
    }

    It 'refuses a bridge hashtable with a wrong key or value, naming it' {
        { Start-MqttBroker -Port 0 -Name 'bad-bridge' -Bridge @{ Name = 'x'; Adress = 'hub:1883'; Topic = 'a/#' } -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidBridge,MqttPS.Commands.StartMqttBrokerCommand' -ExpectedMessage "*'Adress' is not a bridge setting*"
        { Start-MqttBroker -Port 0 -Name 'bad-bridge' -Bridge @{ Name = 'x'; Address = 'hub:1883'; Topic = 'a/# sideways 1' } -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidBridge,MqttPS.Commands.StartMqttBrokerCommand' -ExpectedMessage '*not a bridge direction*'
        Get-MqttBroker -Name 'bad-bridge' -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }
}
