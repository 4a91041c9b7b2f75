# Start-MqttBroker -ConfigPath: the same mosquitto.conf files run by Debian's mosquitto 2.0.11 and by the embedded
# broker, one after the other on the same ports, and what clients see compared (listeners, authentication, ACL, $SYS,
# the limits in CONNACK, persistence across a restart). Then the errors and warnings a file can produce.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers/MqttPSTestHelpers.psm1') -Force
    Import-Module (Get-MqttPSModulePath) -Force
    $script:work = Join-Path ([IO.Path]::GetTempPath()) ('mqttps-brokerconfig-' + [guid]::NewGuid().ToString('N'))
    $null = New-Item -ItemType Directory -Path $script:work

    # Debian's mosquitto 2.0.11 here cannot open WebSocket listeners ("Unable to start any listening sockets"): probe
    # once, and where it cannot, compare its run of a file without the WebSocket listener.
    $probeDir = Join-Path $script:work 'ws-probe'
    $null = New-Item -ItemType Directory -Path $probeDir
    $probePort = Get-FreeTcpPort
    Set-Content -Path (Join-Path $probeDir 'ws.conf') -Value @("listener $probePort 127.0.0.1", 'protocol websockets', 'allow_anonymous true')
    $probe = Start-Process -FilePath /usr/sbin/mosquitto -ArgumentList @('-c', (Join-Path $probeDir 'ws.conf')) -PassThru -RedirectStandardError (Join-Path $probeDir 'err') -RedirectStandardOutput (Join-Path $probeDir 'out')
    $script:mosquittoWebSockets = -not $probe.WaitForExit(1500)
    if (-not $probe.HasExited) { $probe.Kill(); $null = $probe.WaitForExit(5000) }

    function New-ProbeClient {
        param([string] $Uri, [string] $ClientId, [string] $User, [string] $Password, [string] $Version = 'V311', [string] $CaFile, [bool] $CleanStart = $true, [int] $KeepAlive = 60)
        $o = [MqttPS.Core.Client.MqttClientOptions]::new($Uri)
        $o.ClientId = $ClientId
        $o.ProtocolVersion = $Version
        $o.CleanStart = $CleanStart
        $o.KeepAliveSeconds = $KeepAlive
        $o.ConnectTimeout = [TimeSpan]::FromSeconds(5)
        if ($User) { $o.Username = $User; $o.Password = [Text.Encoding]::UTF8.GetBytes($Password) }
        if ($CaFile) { $t = [MqttPS.Core.Transport.MqttTlsOptions]::new(); $t.CaFile = $CaFile; $t.ServerName = 'localhost'; $o.Tls = $t }
        [MqttPS.Core.Client.MqttClient]::new($o)
    }

    function Connect-Probe {
        <# 'Accepted' or 'Refused' (mosquitto answers a wrong password with 5 Not authorized, MqttPS with 4 Bad user
           name or password: both refuse). Returns the connect result with -PassThru. #>
        param($Client, [switch] $PassThru)
        try { $r = $Client.ConnectAsync().GetAwaiter().GetResult(); if ($PassThru) { $r } else { 'Accepted' } }
        catch { if ($PassThru) { throw } else { 'Refused' } }
    }

    function Get-ReceiveMaximum {
        <# The Receive Maximum a 5.0 client reads in the broker's CONNACK. #>
        param([string] $Uri)
        $c = New-ProbeClient -Uri $Uri -ClientId 'receive-maximum-probe' -Version 'V500'
        try { (Connect-Probe $c -PassThru).ReceiveMaximum } finally { $c.Dispose() }
    }

    function Receive-Topics {
        <# The topics a client receives until nothing comes for -QuietMilliseconds (bounded by -TimeoutSeconds). #>
        param($Client, [int] $QuietMilliseconds = 700, [double] $TimeoutSeconds = 10)
        $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
        while ([DateTime]::UtcNow -lt $deadline) {
            $cts = [Threading.CancellationTokenSource]::new($QuietMilliseconds)
            try { $m = $Client.ReceiveAsync($cts.Token).GetAwaiter().GetResult() } catch { $m = $null } finally { $cts.Dispose() }
            if ($null -eq $m) { return }
            $m.Topic
        }
    }

    function Invoke-OnBothBrokers {
        <#
        Runs -Probe against mosquitto started from -MosquittoConfig (default: -Config), then against Start-MqttBroker
        -ConfigPath -Config; both listen on the ports the file names (-Port is the one to wait for). The probe gets a
        context with Kind ('mosquitto' or 'mqttps') and Restart (stops and starts the same broker on the same file).
        #>
        param([Parameter(Mandatory)] [string] $Config, [string] $MosquittoConfig, [Parameter(Mandatory)] [int] $Port, [Parameter(Mandatory)] [scriptblock] $Probe)
        if (-not $MosquittoConfig) { $MosquittoConfig = $Config }
        $results = [ordered]@{}
        $server = Start-MosquittoConfig -ConfigPath $MosquittoConfig -Port $Port
        try {
            $context = [pscustomobject]@{ Kind = 'mosquitto'; Restart = { Stop-Mosquitto $server -KeepDirectory; Start-MosquittoProcess -Server $server }.GetNewClosure() }
            $results.Mosquitto = & $Probe $context
        }
        finally { Stop-Mosquitto $server -KeepDirectory }
        Wait-Until -Because "port $Port to be free" -Condition { -not (Test-PortOpen $Port) }
        $name = 'conf-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        $script:current = Start-MqttBroker -ConfigPath $Config -Name $name -WarningAction SilentlyContinue
        try {
            $context = [pscustomobject]@{ Kind = 'mqttps'; Restart = {
                Stop-MqttBroker -Name $name -Confirm:$false
                $null = Start-MqttBroker -ConfigPath $Config -Name $name -WarningAction SilentlyContinue }.GetNewClosure() }
            $results.MqttPS = & $Probe $context
        }
        finally { Stop-MqttBroker -Name $name -Confirm:$false -ErrorAction SilentlyContinue }
        [pscustomobject]$results
    }

    function Test-PortOpen([int] $Port) {
        try { $c = [Net.Sockets.TcpClient]::new('127.0.0.1', $Port); $c.Dispose(); $true } catch { $false }
    }

    function ConvertTo-Comparable($Value) { $Value | ConvertTo-Json -Depth 5 -Compress }
}

AfterAll {
    Stop-MqttBroker -All -Confirm:$false -ErrorAction SilentlyContinue
    Remove-Item -LiteralPath $script:work -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'The same mosquitto.conf on mosquitto and on Start-MqttBroker' {
    It 'serves the configuration the other tests give mosquitto (Start-Mosquitto) the same way' {
        $dir = Join-Path $script:work 'plain'
        $server = Start-Mosquitto -Directory $dir -ConfigLines @('max_queued_messages 100')
        $config = $server.ConfigPath
        $port = $server.Port
        Stop-Mosquitto $server -KeepDirectory
        $r = Invoke-OnBothBrokers -Config $config -Port $port -Probe {
            $sub = New-ProbeClient -Uri "mqtt://127.0.0.1:$port" -ClientId 'sub'
            $pub = New-ProbeClient -Uri "mqtt://127.0.0.1:$port" -ClientId 'pub'
            try {
                [ordered]@{
                    Anonymous = Connect-Probe $sub
                    Publisher = Connect-Probe $pub
                    Subscribed = $sub.SubscribeAsync('plain/#', 'AtLeastOnce').GetAwaiter().GetResult().ReasonCodes -join ','
                    Published = $pub.PublishAsync([MqttPS.Core.Messages.MqttMessage]::new('plain/a', 'x', 'AtLeastOnce')).GetAwaiter().GetResult().IsSuccess
                    Received = @(Receive-Topics $sub)
                }
            }
            finally { $sub.Dispose(); $pub.Dispose() }
        }
        $r.MqttPS.Received | Should -Be @('plain/a')
        ConvertTo-Comparable $r.MqttPS | Should -Be (ConvertTo-Comparable $r.Mosquitto)
    }

    It 'serves TLS, WebSocket, password and ACL settings alike' {
        $dir = Join-Path $script:work 'secure'
        $pki = New-TestPki -Directory (Join-Path $dir 'pki')
        New-MosquittoPasswordFile -Path (Join-Path $dir 'passwd') -Users @{ alice = 'wonderland'; bob = 'builder' }
        Set-Content -Path (Join-Path $dir 'acl') -Value @('user alice', 'topic readwrite alice/#', 'topic read shared/#', '', 'user bob', 'topic readwrite bob/#', 'topic readwrite shared/#')
        $tcp = Get-FreeTcpPort; $tls = Get-FreeTcpPort; $ws = Get-FreeTcpPort
        $common = @('user root', 'persistence false', 'allow_anonymous false', "password_file $dir/passwd", "acl_file $dir/acl",
            "listener $tcp 127.0.0.1", "listener $tls 127.0.0.1", "certfile $pki/server.crt", "keyfile $pki/server.key", "cafile $pki/ca.crt")
        $config = Join-Path $dir 'mosquitto.conf'
        Set-Content -Path $config -Value ($common + @("listener $ws 127.0.0.1", 'protocol websockets'))
        $mosquittoConfig = $config
        if (-not $script:mosquittoWebSockets) { $mosquittoConfig = Join-Path $dir 'mosquitto-nows.conf'; Set-Content -Path $mosquittoConfig -Value $common }

        $r = Invoke-OnBothBrokers -Config $config -MosquittoConfig $mosquittoConfig -Port $tcp -Probe {
            param($context)
            $result = [ordered]@{
                AnonymousTcp = Connect-Probe (New-ProbeClient -Uri "mqtt://127.0.0.1:$tcp" -ClientId 'anon')
                WrongPassword = Connect-Probe (New-ProbeClient -Uri "mqtt://127.0.0.1:$tcp" -ClientId 'a0' -User alice -Password nope)
                UnknownUser = Connect-Probe (New-ProbeClient -Uri "mqtt://127.0.0.1:$tcp" -ClientId 'm0' -User mallory -Password x)
            }
            $alice = New-ProbeClient -Uri "mqtts://127.0.0.1:$tls" -ClientId 'alice-tls' -User alice -Password wonderland -CaFile "$pki/ca.crt"
            $bob = New-ProbeClient -Uri "mqtt://127.0.0.1:$tcp" -ClientId 'bob-tcp' -User bob -Password builder
            try {
                $result.AliceOverTls = Connect-Probe $alice
                $result.BobOverTcp = Connect-Probe $bob
                foreach ($filter in 'alice/#', 'shared/#', 'bob/#') { $null = $alice.SubscribeAsync($filter, 'AtLeastOnce').GetAwaiter().GetResult() }
                foreach ($topic in 'shared/from-bob', 'bob/private') { $null = $bob.PublishAsync([MqttPS.Core.Messages.MqttMessage]::new($topic, 'b', 'AtLeastOnce')).GetAwaiter().GetResult() }
                foreach ($topic in 'alice/own', 'shared/from-alice') {
                    try { $null = $alice.PublishAsync([MqttPS.Core.Messages.MqttMessage]::new($topic, 'a', 'AtLeastOnce')).GetAwaiter().GetResult() } catch { }
                }
                $result.AliceReceived = @(Receive-Topics $alice | Sort-Object)
            }
            finally { $alice.Dispose(); $bob.Dispose() }
            $result
        }
        $r.MqttPS.AliceReceived | Should -Be @('alice/own', 'shared/from-bob')
        $r.MqttPS.AnonymousTcp | Should -Be 'Refused'
        ConvertTo-Comparable $r.MqttPS | Should -Be (ConvertTo-Comparable $r.Mosquitto)

        # The WebSocket listener of the same file (mosquitto's only where it can open one).
        $b = Start-MqttBroker -ConfigPath $config -Name 'conf-ws' -WarningAction SilentlyContinue
        try {
            @($b.Endpoints.Scheme) | Should -Be @('mqtt', 'mqtts', 'ws')
            $overWs = New-ProbeClient -Uri "ws://127.0.0.1:$ws/" -ClientId 'alice-ws' -User alice -Password wonderland
            try { Connect-Probe $overWs | Should -Be 'Accepted' } finally { $overWs.Dispose() }
            Connect-Probe (New-ProbeClient -Uri "ws://127.0.0.1:$ws/mqtt" -ClientId 'anon-ws') | Should -Be 'Refused'
        }
        finally { $b | Stop-MqttBroker -Confirm:$false }
    }

    It 'announces the same limits in CONNACK' {
        $dir = Join-Path $script:work 'limits'
        $null = New-Item -ItemType Directory -Path $dir
        $port = Get-FreeTcpPort
        $config = Join-Path $dir 'mosquitto.conf'
        Set-Content -Path $config -Value @('persistence false', "listener $port 127.0.0.1", 'allow_anonymous true', 'max_keepalive 30',
            'max_inflight_messages 7', 'max_topic_alias 3', 'retain_available false', 'max_packet_size 2048')
        $r = Invoke-OnBothBrokers -Config $config -Port $port -Probe {
            $c = New-ProbeClient -Uri "mqtt://127.0.0.1:$port" -ClientId 'limits' -Version V500 -KeepAlive 120
            try {
                $a = Connect-Probe $c -PassThru
                [ordered]@{ ServerKeepAlive = $a.ServerKeepAlive; ReceiveMaximum = $a.ReceiveMaximum; TopicAliasMaximum = $a.TopicAliasMaximum
                    RetainAvailable = $a.RetainAvailable; MaximumPacketSize = $a.MaximumPacketSize; MaximumQoS = "$($a.MaximumQoS)" }
            }
            finally { $c.Dispose() }
        }
        $r.MqttPS.ServerKeepAlive | Should -Be 30
        $r.MqttPS.ReceiveMaximum | Should -Be 7
        $r.MqttPS.RetainAvailable | Should -BeFalse
        ConvertTo-Comparable $r.MqttPS | Should -Be (ConvertTo-Comparable $r.Mosquitto)
    }

    It 'publishes the $SYS topics mosquitto publishes' {
        $dir = Join-Path $script:work 'sys'
        $null = New-Item -ItemType Directory -Path $dir
        $port = Get-FreeTcpPort
        $config = Join-Path $dir 'mosquitto.conf'
        Set-Content -Path $config -Value @('persistence false', "listener $port 127.0.0.1", 'allow_anonymous true', 'sys_interval 1')
        $r = Invoke-OnBothBrokers -Config $config -Port $port -Probe {
            $c = New-ProbeClient -Uri "mqtt://127.0.0.1:$port" -ClientId 'sys'
            try {
                $null = Connect-Probe $c
                $null = $c.SubscribeAsync('$SYS/broker/#', 'AtMostOnce').GetAwaiter().GetResult()
                $topics = @(Receive-Topics $c -QuietMilliseconds 2500 -TimeoutSeconds 4 | Sort-Object -Unique)
                [ordered]@{ Topics = $topics; Wildcard = @() }
            }
            finally { $c.Dispose() }
        }
        # Every figure mosquitto 2.0.11 publishes, except the publish byte counters MqttPS does not keep.
        $expected = @($r.Mosquitto.Topics | Where-Object { $_ -notlike '$SYS/broker/publish/bytes/*' })
        $expected.Count | Should -BeGreaterThan 30
        $missing = @($expected | Where-Object { $_ -notin $r.MqttPS.Topics })
        $missing | Should -BeNullOrEmpty
    }

    It 'keeps persistent sessions and retained messages across a restart with persistence true' {
        $dir = Join-Path $script:work 'persist'
        $null = New-Item -ItemType Directory -Path (Join-Path $dir 'store')
        $port = Get-FreeTcpPort
        $config = Join-Path $dir 'mosquitto.conf'
        Set-Content -Path $config -Value @('user root', "listener $port 127.0.0.1", 'allow_anonymous true', 'persistence true', "persistence_location $dir/store/")
        $r = Invoke-OnBothBrokers -Config $config -Port $port -Probe {
            param($context)
            $keeper = New-ProbeClient -Uri "mqtt://127.0.0.1:$port" -ClientId 'keeper' -CleanStart $false
            $null = Connect-Probe $keeper
            $null = $keeper.SubscribeAsync('keep/#', 'AtLeastOnce').GetAwaiter().GetResult()
            $null = $keeper.DisconnectAsync().GetAwaiter().GetResult(); $keeper.Dispose()
            $pub = New-ProbeClient -Uri "mqtt://127.0.0.1:$port" -ClientId 'pub'
            $null = Connect-Probe $pub
            foreach ($i in 1..3) { $null = $pub.PublishAsync([MqttPS.Core.Messages.MqttMessage]::new("keep/$i", "m$i", 'AtLeastOnce')).GetAwaiter().GetResult() }
            $null = $pub.PublishAsync([MqttPS.Core.Messages.MqttMessage]::new('status/last', 'retained', 'AtLeastOnce', $true)).GetAwaiter().GetResult()
            $null = $pub.DisconnectAsync().GetAwaiter().GetResult(); $pub.Dispose()

            $null = & $context.Restart

            $back = New-ProbeClient -Uri "mqtt://127.0.0.1:$port" -ClientId 'keeper' -CleanStart $false
            $late = New-ProbeClient -Uri "mqtt://127.0.0.1:$port" -ClientId 'late'
            try {
                $resumed = Connect-Probe $back -PassThru
                $queued = @(Receive-Topics $back)
                $null = Connect-Probe $late
                $null = $late.SubscribeAsync('status/#', 'AtLeastOnce').GetAwaiter().GetResult()
                [ordered]@{ SessionPresent = $resumed.SessionPresent; Queued = $queued; Retained = @(Receive-Topics $late) }
            }
            finally { $back.Dispose(); $late.Dispose() }
        }
        $r.MqttPS.Queued | Should -Be @('keep/1', 'keep/2', 'keep/3')
        ConvertTo-Comparable $r.MqttPS | Should -Be (ConvertTo-Comparable $r.Mosquitto)
    }
}

Describe 'Start-MqttBroker -ConfigPath errors, warnings and parameters' {
    BeforeAll {
        $script:dir = Join-Path $script:work 'errors'
        $null = New-Item -ItemType Directory -Path $script:dir
    }

    It 'refuses a file with security-weakening, unknown and out-of-range directives, naming file, line and directive, and starts nothing' {
        $port = Get-FreeTcpPort
        $config = Join-Path $script:dir 'bad.conf'
        Set-Content -Path $config -Value @("listener $port 127.0.0.1", 'require_certificate true', 'auth_plugin /usr/lib/mosquitto-auth.so', 'psk_file /etc/psk',
            'allow_anonymus true', 'max_keepalive 5')
        $err = $null
        try { Start-MqttBroker -ConfigPath $config -Name 'conf-bad' -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be 'InvalidConfigFile,MqttPS.Commands.StartMqttBrokerCommand'
        $err.CategoryInfo.Category | Should -Be 'InvalidData'
        $message = $err.Exception.Message
        $message | Should -Match ([regex]::Escape("bad.conf:2: require_certificate: needs certfile"))
        $message | Should -Match ([regex]::Escape("bad.conf:3: auth_plugin: not supported"))
        $message | Should -Match ([regex]::Escape("bad.conf:4: psk_file: not supported"))
        $message | Should -Match ([regex]::Escape("bad.conf:5: allow_anonymus: unknown directive"))
        $message | Should -Match ([regex]::Escape("bad.conf:6: max_keepalive: 5 is out of range: 10 to 65535 seconds"))
        Get-MqttBroker -Name 'conf-bad' -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        Test-PortOpen $port | Should -BeFalse
    }

    It 'warns about directives without effect with file and line, reads include_dir, and lets parameters win' {
        $port = Get-FreeTcpPort
        $null = New-Item -ItemType Directory -Path (Join-Path $script:dir 'conf.d')
        Set-Content -Path (Join-Path $script:dir 'conf.d/limits.conf') -Value @('max_inflight_messages 9')
        $config = Join-Path $script:dir 'good.conf'
        Set-Content -Path $config -Value @("listener $port 127.0.0.1", 'allow_anonymous true', 'pid_file /run/mosquitto.pid', "include_dir $script:dir/conf.d", 'sys_interval 0')
        $b = Start-MqttBroker -ConfigPath $config -Name 'conf-good' -WarningVariable warnings -WarningAction SilentlyContinue
        try {
            @($warnings | Where-Object { "$_" -match 'good\.conf:3: pid_file: ignored' }).Count | Should -Be 1
            $b.Uri | Should -Be "mqtt://127.0.0.1:$port"
            Get-ReceiveMaximum $b.Uri | Should -Be 9
            $b.ConfigPath | Should -Be $config
        }
        finally { $b | Stop-MqttBroker -Confirm:$false }

        $moved = Start-MqttBroker -ConfigPath $config -Port 0 -MaxInflightMessages 3 -Name 'conf-moved' -WarningAction SilentlyContinue
        try {
            $moved.Port | Should -Not -Be $port
            Get-ReceiveMaximum $moved.Uri | Should -Be 3
            $c = Connect-Mqtt -Broker $moved.Uri -Name 'conf-moved-client'
            $c.IsConnected | Should -BeTrue
            $c | Disconnect-Mqtt -Confirm:$false
        }
        finally { $moved | Stop-MqttBroker -Confirm:$false }
    }

    It 'writes the event kinds log_type asks for with -Wait' {
        $port = Get-FreeTcpPort
        $config = Join-Path $script:dir 'log.conf'
        Set-Content -Path $config -Value @("listener $port 127.0.0.1", 'allow_anonymous true', 'log_type subscribe', 'sys_interval 0')
        $task = Start-PowerShellTask -ArgumentList $config -ScriptBlock {
            param($config)
            Start-MqttBroker -ConfigPath $config -Wait -Name 'conf-wait' -WarningAction SilentlyContinue | Select-Object -First 1
        }
        Wait-TcpPort -Port $port
        # A connect (not written: log_type has no information/notice), then a subscription (written).
        $c = New-ProbeClient -Uri "mqtt://127.0.0.1:$port" -ClientId 'conf-wait-client'
        try {
            Connect-Probe $c | Should -Be 'Accepted'
            $null = $c.SubscribeAsync('logged/#', 'AtMostOnce').GetAwaiter().GetResult()
            $events = @(Wait-PowerShellTask -Task $task -TimeoutSeconds 20)
            $events.Count | Should -Be 1
            $events[0].Kind | Should -Be 'SubscriptionAdded'
            $events[0].Topic | Should -Be 'logged/#'
        }
        finally { $c.Dispose() }
    }
}
