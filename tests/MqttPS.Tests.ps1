# Pester 5 suite for the MqttPS module. Runs in Windows PowerShell 5.1 and PowerShell 7.4+ against the module
# built into ./out/MqttPS (dotnet build src/MqttPS -c Release) and an embedded broker on a free port.

BeforeAll {
    $modulePath = Join-Path $PSScriptRoot '../out/MqttPS/MqttPS.psd1'
    Import-Module $modulePath -Force -ErrorAction Stop
    $script:broker = Start-MqttBroker -Port 0 -Name 'pester'
    $script:uri = $script:broker.Uri

    # Publishes from another runspace (another thread) while this one is blocked in a streaming subscription.
    function Start-BackgroundPublish {
        param([string] $Uri, [string] $Topic, [string[]] $Payloads, [int] $DelayMilliseconds = 500)
        $ps = [powershell]::Create()
        $null = $ps.AddScript({
            param($modulePath, $uri, $topic, $payloads, $delay)
            Import-Module $modulePath
            Start-Sleep -Milliseconds $delay
            $payloads | Publish-MqttMessage -Broker $uri -Topic $topic -QoS 1
        }).AddArgument($modulePath).AddArgument($Uri).AddArgument($Topic).AddArgument($Payloads).AddArgument($DelayMilliseconds)
        [pscustomobject]@{ PowerShell = $ps; Handle = $ps.BeginInvoke() }
    }

    function Wait-Background {
        param($Job)
        $null = $Job.PowerShell.EndInvoke($Job.Handle)
        $errors = @($Job.PowerShell.Streams.Error)
        $Job.PowerShell.Dispose()
        if ($errors.Count -gt 0) { throw $errors[0] }
    }
}

AfterAll {
    Get-MqttSubscription | Unregister-MqttSubscription -Confirm:$false
    Disconnect-Mqtt -All -Confirm:$false
    Stop-MqttBroker -All -Confirm:$false
    Remove-Module MqttPS -Force -ErrorAction SilentlyContinue
}

Describe 'Module' {
    It 'exports exactly the cmdlets of the manifest' {
        $exported = (Get-Module MqttPS).ExportedCmdlets.Keys | Sort-Object
        $exported | Should -Be @(
            'Clear-MqttRetainedMessage', 'Connect-Mqtt', 'Disconnect-Mqtt', 'Get-MqttBroker', 'Get-MqttBrokerClient',
            'Get-MqttConnection', 'Get-MqttRetainedMessage', 'Get-MqttSubscription', 'Publish-MqttMessage',
            'Register-MqttSubscription', 'Start-MqttBroker', 'Stop-MqttBroker', 'Test-MqttTopic', 'Unregister-MqttSubscription')
    }

    It 'has help with examples for every cmdlet' {
        foreach ($name in (Get-Module MqttPS).ExportedCmdlets.Keys) {
            $help = Get-Help $name -Full
            $help.Synopsis | Should -Not -BeNullOrEmpty
            @($help.Examples.Example).Count | Should -BeGreaterOrEqual 2
            foreach ($p in (Get-Command $name).Parameters.Values | Where-Object { $_.Name -notin [System.Management.Automation.PSCmdlet]::CommonParameters -and $_.Name -notin [System.Management.Automation.PSCmdlet]::OptionalCommonParameters }) {
                ($help.parameters.parameter | Where-Object name -eq $p.Name).description | Should -Not -BeNullOrEmpty -Because "$name -$($p.Name) must be documented"
            }
        }
    }

    It 'has an about topic' {
        (Get-Help about_MqttPS | Out-String) | Should -Match 'Register-MqttSubscription'
    }
}

Describe 'Start-MqttBroker, Get-MqttBroker, Get-MqttBrokerClient, Stop-MqttBroker' {
    It 'started a broker on a free port' {
        $script:broker.IsRunning | Should -BeTrue
        $script:broker.Port | Should -BeGreaterThan 0
        $script:uri | Should -BeLike 'mqtt://127.0.0.1:*'
        (Get-MqttBroker -Name 'pester').Name | Should -Be 'pester'
    }

    It 'refuses a second broker with the same name' {
        { Start-MqttBroker -Port 0 -Name 'pester' -ErrorAction Stop } | Should -Throw -ErrorId 'BrokerNameInUse,MqttPS.Commands.StartMqttBrokerCommand'
    }

    It 'lists the clients connected to the broker' {
        $c = Connect-Mqtt -Broker $script:uri -ClientId 'pester-client' -Name 'brokerclients'
        try {
            $client = Get-MqttBrokerClient -BrokerName 'pester' -ClientId 'pester-client'
            $client.ClientId | Should -Be 'pester-client'
            $client.ProtocolVersion.ToString() | Should -Be 'V500'
            @($script:broker | Get-MqttBrokerClient -ClientId 'pester-*').Count | Should -Be 1
        }
        finally {
            $c | Disconnect-Mqtt -Confirm:$false
        }
    }

    It 'writes broker events in the foreground with -Wait until stopped as by Ctrl+C' {
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $listener.Start(); $port = $listener.LocalEndpoint.Port; $listener.Stop()
        $ps = [powershell]::Create()
        $null = $ps.AddScript({
            param($module, $port)
            Import-Module $module
            Start-MqttBroker -Port $port -Wait -EventKind ClientConnected, MessagePublished
        }).AddArgument($modulePath).AddArgument($port)
        # BeginInvoke<TInput, TOutput> needs a typed input collection (a cast $null carries no type for the
        # generic inference); completed, so the script does not wait for input.
        $noInput = New-Object 'System.Management.Automation.PSDataCollection[psobject]'
        $noInput.Complete()
        $output = New-Object 'System.Management.Automation.PSDataCollection[psobject]'
        $handle = $ps.BeginInvoke($noInput, $output)
        try {
            $deadline = (Get-Date).AddSeconds(15)
            $published = $false
            while (-not $published -and (Get-Date) -lt $deadline) {
                try { Publish-MqttMessage -Broker "mqtt://127.0.0.1:$port" -Topic 'fg/1' -Payload 'x' -QoS 1 -ErrorAction Stop; $published = $true }
                catch { Start-Sleep -Milliseconds 200 }
            }
            $published | Should -BeTrue
            # Read the collection by index: enumerating a PSDataCollection that is still open blocks until it closes.
            $seenKinds = { for ($i = 0; $i -lt $output.Count; $i++) { "$($output[$i].Kind)" } }
            while (@(& $seenKinds) -notcontains 'MessagePublished' -and (Get-Date) -lt $deadline) { Start-Sleep -Milliseconds 100 }
            $watch = [System.Diagnostics.Stopwatch]::StartNew()
            $ps.Stop()   # what Ctrl+C does: StopProcessing
            $watch.Elapsed.TotalSeconds | Should -BeLessThan 2
        }
        finally {
            $ps.Dispose()
        }
        @($output | Where-Object { "$($_.Kind)" -eq 'ClientConnected' }).Count | Should -BeGreaterOrEqual 1
        @($output | Where-Object { "$($_.Kind)" -eq 'MessagePublished' } | ForEach-Object { $_.Topic }) | Should -Contain 'fg/1'
        # The foreground broker ends with its command.
        $deadline = (Get-Date).AddSeconds(5)
        $free = $false
        while (-not $free -and (Get-Date) -lt $deadline) {
            try { $probe = [System.Net.Sockets.TcpClient]::new('127.0.0.1', $port); $probe.Dispose(); Start-Sleep -Milliseconds 100 }
            catch { $free = $true }
        }
        $free | Should -BeTrue
    }

    It 'does not stop a broker with -WhatIf, and stops it otherwise' {
        $b = Start-MqttBroker -Port 0 -Name 'short'
        Stop-MqttBroker -Name 'short' -WhatIf
        $b.IsRunning | Should -BeTrue
        $b | Stop-MqttBroker -Confirm:$false
        $b.IsRunning | Should -BeFalse
        Get-MqttBroker -Name 'short' -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'keeps retained messages across a restart with -PersistencePath' {
        $dir = Join-Path ([System.IO.Path]::GetTempPath()) ("mqttps-pester-" + [guid]::NewGuid().ToString('N'))
        try {
            $first = Start-MqttBroker -Port 0 -Name 'persist1' -PersistencePath $dir
            Publish-MqttMessage -Broker $first.Uri -Topic 'pester/persist' -Payload 'kept' -Retain -QoS 1
            $first | Stop-MqttBroker -Confirm:$false
            $second = Start-MqttBroker -Port 0 -Name 'persist2' -PersistencePath $dir
            (Get-MqttRetainedMessage -EmbeddedBroker $second -Topic 'pester/persist').PayloadText | Should -Be 'kept'
            $second | Stop-MqttBroker -Confirm:$false
        }
        finally {
            Stop-MqttBroker -Name 'persist1', 'persist2' -Confirm:$false -ErrorAction SilentlyContinue
            Remove-Item -Path $dir -Recurse -Force -ErrorAction SilentlyContinue
        }
    }

    It 'refuses users with a wrong password' {
        $users = Start-MqttBroker -Port 0 -Name 'users' -Users @{ alice = 's3cret' }
        try {
            $bad = New-Object System.Management.Automation.PSCredential('alice', (ConvertTo-SecureString 'wrong' -AsPlainText -Force))
            $err = $null
            try { Connect-Mqtt -Broker $users.Uri -Credential $bad -ErrorAction Stop } catch { $err = $_ }
            $err | Should -Not -BeNullOrEmpty
            $err.FullyQualifiedErrorId | Should -BeLike 'ConnectFailed,*'
            $err.CategoryInfo.Category | Should -Be 'AuthenticationError'
            $good = New-Object System.Management.Automation.PSCredential('alice', (ConvertTo-SecureString 's3cret' -AsPlainText -Force))
            $c = Connect-Mqtt -Broker $users.Uri -Credential $good -Name 'alice'
            $c.IsConnected | Should -BeTrue
            $c | Disconnect-Mqtt -Confirm:$false
        }
        finally {
            $users | Stop-MqttBroker -Confirm:$false
        }
    }
}

# ---- begin: Start-MqttBroker production features (branch wiring) ----
Describe 'Start-MqttBroker listeners, users, ACL, persistence' {
    BeforeAll {
        $script:work = Join-Path ([System.IO.Path]::GetTempPath()) ('mqttps-pester-' + [guid]::NewGuid().ToString('N'))
        $null = New-Item -ItemType Directory -Path $script:work
    }

    AfterAll {
        Disconnect-Mqtt -All -Confirm:$false
        Get-MqttBroker | Where-Object { $_.Name -like 'wired-*' } | Stop-MqttBroker -Confirm:$false
        Remove-Item -LiteralPath $script:work -Recurse -Force -ErrorAction SilentlyContinue
    }

    It 'lists every listener in Endpoints and serves MQTT over WebSocket' {
        $b = Start-MqttBroker -Port 0 -WebSocketPort 0 -Name 'wired-ws'
        try {
            @($b.Endpoints).Count | Should -Be 2
            @($b.Endpoints | ForEach-Object { $_.Scheme }) | Should -Be @('mqtt', 'ws')
            $b.WebSocketUri | Should -Match '^ws://127\.0\.0\.1:\d+/mqtt$'
            (Get-MqttBroker -Name 'wired-ws').Endpoints[1].Uri | Should -Be $b.WebSocketUri
            $c = Connect-Mqtt -Broker $b.WebSocketUri -Name 'over-ws'
            $c.IsConnected | Should -BeTrue
            $c | Disconnect-Mqtt -Confirm:$false
        }
        finally {
            $b | Stop-MqttBroker -Confirm:$false
        }
    }

    It 'locks the -PersistencePath directory while running and reports what a restart recovered' {
        $store = Join-Path $script:work 'store'
        $b = Start-MqttBroker -Port 0 -Name 'wired-store' -PersistencePath $store
        { Start-MqttBroker -Port 0 -Name 'wired-store2' -PersistencePath $store -ErrorAction Stop } |
            Should -Throw -ErrorId 'PersistencePathInUse,MqttPS.Commands.StartMqttBrokerCommand'
        Publish-MqttMessage -Broker $b.Uri -Topic 'keep/me' -Payload 'kept' -Retain -QoS 1
        $b | Stop-MqttBroker -Confirm:$false
        $again = Start-MqttBroker -Port 0 -Name 'wired-store' -PersistencePath $store -Durability None
        try {
            $again.PersistencePath | Should -Be $store
            $again.PersistenceRecovery.RetainedMessages | Should -Be 1
            @(Get-MqttRetainedMessage -EmbeddedBroker $again -Topic 'keep/#').Count | Should -Be 1
        }
        finally {
            $again | Stop-MqttBroker -Confirm:$false
        }
        { Start-MqttBroker -Port 0 -Name 'wired-nostore' -Durability Batched -ErrorAction Stop } |
            Should -Throw -ErrorId 'PersistencePathRequired,MqttPS.Commands.StartMqttBrokerCommand'
    }

    It 'authenticates against a mosquitto_passwd file and -Credential users, and applies the ACL' {
        # A line written by mosquitto_passwd (alice / wonderland).
        $passwd = Join-Path $script:work 'passwd'
        Set-Content -LiteralPath $passwd -Value 'alice:$7$101$xCX8SbgMaFu/VJN1$OsTANhGbeL+N4T8/fHMskNgdUEJ3nk6p3pK3JV2ANFWZF7bbp7Mc98k5+eGdukxvS53YiP0KbYvv03FBJjf/fA=='
        $acl = Join-Path $script:work 'acl'
        Set-Content -LiteralPath $acl -Value @('user alice', 'topic readwrite alice/#', 'user carol', 'topic readwrite carol/#')
        $carol = New-Object System.Management.Automation.PSCredential('carol', (ConvertTo-SecureString 'c4rol' -AsPlainText -Force))
        $b = Start-MqttBroker -Port 0 -Name 'wired-auth' -PasswordFile $passwd -Credential $carol -AclPath $acl
        try {
            $bad = New-Object System.Management.Automation.PSCredential('alice', (ConvertTo-SecureString 'wrong' -AsPlainText -Force))
            $err = $null
            try { Connect-Mqtt -Broker $b.Uri -Credential $bad -ErrorAction Stop } catch { $err = $_ }
            $err.CategoryInfo.Category | Should -Be 'AuthenticationError'

            $alice = New-Object System.Management.Automation.PSCredential('alice', (ConvertTo-SecureString 'wonderland' -AsPlainText -Force))
            $a = Connect-Mqtt -Broker $b.Uri -Credential $alice -Name 'wired-alice'
            Publish-MqttMessage -Connection $a -Topic 'alice/ok' -Payload 'x' -QoS 1 -ErrorAction Stop
            $err = $null
            try { Publish-MqttMessage -Connection $a -Topic 'carol/no' -Payload 'x' -QoS 1 -ErrorAction Stop } catch { $err = $_ }
            $err.FullyQualifiedErrorId | Should -BeLike 'PublishRejected,*'
            $err.CategoryInfo.Category | Should -Be 'PermissionDenied'

            $c = Connect-Mqtt -Broker $b.Uri -Credential $carol -Name 'wired-carol'
            $c.IsConnected | Should -BeTrue
            Publish-MqttMessage -Connection $c -Topic 'carol/ok' -Payload 'x' -QoS 1 -ErrorAction Stop
        }
        finally {
            Disconnect-Mqtt -Name 'wired-*' -Confirm:$false -ErrorAction SilentlyContinue
            $b | Stop-MqttBroker -Confirm:$false
        }
    }

    It 'refuses a malformed ACL file with an error naming the line, and starts nothing' {
        $acl = Join-Path $script:work 'bad-acl'
        Set-Content -LiteralPath $acl -Value @('topic read ok/#', 'permit everything')
        $err = $null
        try { Start-MqttBroker -Port 0 -Name 'wired-badacl' -AclPath $acl -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be 'InvalidAclFile,MqttPS.Commands.StartMqttBrokerCommand'
        $err.Exception.Message | Should -Match 'line 2'
        Get-MqttBroker -Name 'wired-badacl' -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'refuses TLS options without a certificate' {
        { Start-MqttBroker -Port 0 -Name 'wired-nocert' -TlsPort 0 -ErrorAction Stop } |
            Should -Throw -ErrorId 'CertificateRequired,MqttPS.Commands.StartMqttBrokerCommand'
    }

    It 'serves TLS with a PFX certificate on -TlsPort' {
        $requestType = 'System.Security.Cryptography.X509Certificates.CertificateRequest' -as [type]
        if ($null -eq $requestType) { Set-ItResult -Skipped -Because 'this .NET has no CertificateRequest to make a test certificate'; return }
        if ($PSVersionTable.PSEdition -eq 'Desktop') { $rsa = New-Object System.Security.Cryptography.RSACng 2048 }
        else { $rsa = [System.Security.Cryptography.RSA]::Create(2048) }
        $request = New-Object System.Security.Cryptography.X509Certificates.CertificateRequest('CN=localhost', $rsa,
            [System.Security.Cryptography.HashAlgorithmName]::SHA256, [System.Security.Cryptography.RSASignaturePadding]::Pkcs1)
        $certificate = $request.CreateSelfSigned([DateTimeOffset]::Now.AddMinutes(-5), [DateTimeOffset]::Now.AddHours(1))
        $pfx = Join-Path $script:work 'server.pfx'
        [System.IO.File]::WriteAllBytes($pfx, $certificate.Export([System.Security.Cryptography.X509Certificates.X509ContentType]::Pfx, 'pfx-pw'))
        $password = ConvertTo-SecureString 'pfx-pw' -AsPlainText -Force
        $b = Start-MqttBroker -Port 0 -Name 'wired-tls' -CertificatePath $pfx -CertificatePassword $password -TlsPort 0
        try {
            $b.TlsUri | Should -Match '^mqtts://127\.0\.0\.1:\d+$'
            @($b.Endpoints | ForEach-Object { $_.Scheme }) | Should -Be @('mqtt', 'mqtts')
            $c = Connect-Mqtt -Broker $b.TlsUri -SkipCertificateCheck -Name 'wired-over-tls'
            $c.IsConnected | Should -BeTrue
            $c | Disconnect-Mqtt -Confirm:$false
        }
        finally {
            $b | Stop-MqttBroker -Confirm:$false
        }
    }
}
# ---- end: Start-MqttBroker production features ----

Describe 'Connect-Mqtt, Get-MqttConnection, Disconnect-Mqtt' {
    AfterEach { Disconnect-Mqtt -All -Confirm:$false }

    It 'returns a connection that becomes the default' {
        $a = Connect-Mqtt -Broker $script:uri -Name 'first'
        $b = Connect-Mqtt -Broker $script:uri -Name 'second' -ProtocolVersion 3.1.1
        $a.IsConnected | Should -BeTrue
        (Get-MqttConnection -Default).Name | Should -Be 'second'
        $b.ProtocolVersion.ToString() | Should -Be 'V311'
        # Other spellings of the versions: a number, a variable holding 5.0, a connection's own version.
        $v = 5.0
        (Connect-Mqtt -Broker $script:uri -Name 'number' -ProtocolVersion 5).ProtocolVersion.ToString() | Should -Be 'V500'
        (Connect-Mqtt -Broker $script:uri -Name 'variable' -ProtocolVersion $v).ProtocolVersion.ToString() | Should -Be 'V500'
        (Connect-Mqtt -Broker $script:uri -Name 'same' -ProtocolVersion $b.ProtocolVersion).ProtocolVersion.ToString() | Should -Be 'V311'
        Disconnect-Mqtt -Name 'number', 'variable', 'same' -Confirm:$false
        @(Get-MqttConnection).Count | Should -Be 2
        Disconnect-Mqtt -Name 'second' -Confirm:$false
        (Get-MqttConnection -Default).Name | Should -Be 'first'
        $b.State | Should -Be 'Closed'
    }

    It 'does not disconnect with -WhatIf' {
        $c = Connect-Mqtt -Broker $script:uri -Name 'kept'
        Disconnect-Mqtt -Name 'kept' -WhatIf
        $c.IsConnected | Should -BeTrue
    }

    It 'reports a refused connection as a ConnectionError' {
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $listener.Start(); $port = $listener.LocalEndpoint.Port; $listener.Stop()
        $err = $null
        try { Connect-Mqtt -Broker 127.0.0.1 -Port $port -TimeoutSeconds 5 -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'ConnectFailed,*'
        $err.CategoryInfo.Category | Should -Be 'ConnectionError'
        $err.Exception.Message | Should -Match "$port"
    }

    It 'validates parameters with errors that name them' {
        { Connect-Mqtt -Broker $script:uri -WillPayload 'x' -ErrorAction Stop } | Should -Throw -ErrorId 'WillTopicMissing,MqttPS.Commands.ConnectMqttCommand'
        { Connect-Mqtt -Broker $script:uri -ProtocolVersion 4.0 } | Should -Throw
    }

    It 'says what to do when there is no connection' {
        { Publish-MqttMessage -Topic 'a' -Payload 'x' -ErrorAction Stop } | Should -Throw -ErrorId 'NoConnection,MqttPS.Commands.PublishMqttMessageCommand'
    }

    It 'shows the protocol conversation with -Verbose' {
        $records = Connect-Mqtt -Broker $script:uri -Name 'verbose' -Verbose 4>&1
        $text = (@($records) | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object { $_.Message }) -join "`n"
        $text | Should -Match 'CONNECT'
        $text | Should -Match 'CONNACK'
        $records = Publish-MqttMessage -Topic 'pester/verbose' -Payload 'x' -QoS 1 -Verbose 4>&1
        $text = (@($records) | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object { $_.Message }) -join "`n"
        $text | Should -Match 'PUBLISH topic=pester/verbose'
        $text | Should -Match 'PUBACK'
    }

    It 'prints connections as a table' {
        Connect-Mqtt -Broker $script:uri -Name 'shown' | Out-Null
        $text = Get-MqttConnection | Out-String -Width 250
        $text | Should -Match 'shown'
        $text | Should -Match 'Connected'
    }
}

Describe 'Publish-MqttMessage' {
    BeforeAll { $script:pub = Connect-Mqtt -Broker $script:uri -Name 'publisher' -ClientId 'pester-pub' }
    AfterAll { Disconnect-Mqtt -Name 'publisher' -Confirm:$false }

    It 'publishes each pipeline string as one message, windowed at QoS 1, and -PassThru emits them in order' {
        $lines = 1..200 | ForEach-Object { "line $_" }
        $sent = $lines | Publish-MqttMessage -Topic 'pester/lines' -QoS 1 -PassThru
        @($sent).Count | Should -Be 200
        $sent[0].PayloadText | Should -Be 'line 1'
        $sent[199].PayloadText | Should -Be 'line 200'
        $script:pub.MessagesSent | Should -BeGreaterOrEqual 200
    }

    It 'sends strings as UTF-8, bytes as they are and objects as compact JSON' {
        $text = "21$([char]0xB0)C"   # non-ASCII written as code so the file reads the same in 5.1 (ANSI) and 7 (UTF-8)
        Publish-MqttMessage -Topic 'pester/enc/text' -Payload $text -Retain -QoS 1
        Publish-MqttMessage -Topic 'pester/enc/bytes' -Payload ([byte[]](0, 255, 7)) -Retain -QoS 1
        Publish-MqttMessage -Topic 'pester/enc/json' -Payload ([pscustomobject]@{ temp = 21.5; unit = 'C' }) -Retain -QoS 1
        $m = Get-MqttRetainedMessage -EmbeddedBroker $script:broker -Topic 'pester/enc/#'
        ($m | Where-Object Topic -eq 'pester/enc/text').PayloadBytes | Should -Be ([byte[]](0x32, 0x31, 0xC2, 0xB0, 0x43))
        ($m | Where-Object Topic -eq 'pester/enc/bytes').PayloadBytes | Should -Be ([byte[]](0, 255, 7))
        ($m | Where-Object Topic -eq 'pester/enc/json').PayloadText | Should -Be '{"temp":21.5,"unit":"C"}'
        ($m | Where-Object Topic -eq 'pester/enc/json').ContentType | Should -Be 'application/json'
    }

    It 'publishes CSV rows by their Topic, Payload, QoS and Retain columns, all of them text' {
        # Every CSV column is a string: QoS "1" converts to 1, Retain "true"/"False" must read as yes/no
        # (the binder alone refuses strings for a switch). The last row is QoS 1: its PUBACK means the broker has
        # handled the QoS 0 row before it, so reading the store right after is not a race.
        @"
Topic,Payload,QoS,Retain
pester/csv/a,alpha,1,true
pester/csv/b,beta,0,True
pester/csv/c,gamma,1,False
"@ | ConvertFrom-Csv | Publish-MqttMessage -ErrorAction Stop
        $m = Get-MqttRetainedMessage -EmbeddedBroker $script:broker -Topic 'pester/csv/#'
        $m.Topic | Should -Be @('pester/csv/a', 'pester/csv/b')
        $m.PayloadText | Should -Be @('alpha', 'beta')
    }

    It 'refuses a Retain column that is not yes or no' {
        $errors = $null
        [pscustomobject]@{ Topic = 'pester/csv/bad'; Payload = 'x'; Retain = 'sometimes' } |
            Publish-MqttMessage -ErrorVariable errors -ErrorAction SilentlyContinue
        @($errors).Count | Should -Be 1
        "$($errors[0])" | Should -Match 'sometimes'
        Get-MqttRetainedMessage -EmbeddedBroker $script:broker -Topic 'pester/csv/bad' | Should -BeNullOrEmpty
    }

    It 're-publishes received message objects with their payload bytes' {
        Get-MqttRetainedMessage -EmbeddedBroker $script:broker -Topic 'pester/enc/bytes' |
            ForEach-Object { $_.Topic = 'pester/copy/bytes'; $_ } |
            Publish-MqttMessage -Retain
        (Get-MqttRetainedMessage -EmbeddedBroker $script:broker -Topic 'pester/copy/bytes').PayloadBytes | Should -Be ([byte[]](0, 255, 7))
    }

    It 're-publishes a message whose payload was changed on the way with the new payload' {
        Get-MqttRetainedMessage -EmbeddedBroker $script:broker -Topic 'pester/enc/json' -AsJson |
            ForEach-Object { $_.Topic = 'pester/copy/json'; $_.Payload.temp = 70.7; $_ } |
            Publish-MqttMessage -Retain -QoS 1
        (Get-MqttRetainedMessage -EmbeddedBroker $script:broker -Topic 'pester/copy/json').PayloadText | Should -Be '{"temp":70.7,"unit":"C"}'
    }

    It 'writes an error naming the topic for an invalid topic and goes on with the next input' {
        $errors = $null
        'pester/ok1', 'bad/+/topic', 'pester/ok2' | ForEach-Object { [pscustomobject]@{ Topic = $_; Payload = 'x' } } |
            Publish-MqttMessage -QoS 1 -PassThru -ErrorVariable errors -ErrorAction SilentlyContinue | Should -HaveCount 2
        $errors.Count | Should -Be 1
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'InvalidTopicName,*'
        $errors[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $errors[0].Exception.Message | Should -Match 'bad/\+/topic'
    }

    It 'refuses MQTT 5.0 properties on a 3.1.1 connection' {
        $old = Connect-Mqtt -Broker $script:uri -ProtocolVersion 3.1.1 -Name 'old'
        try {
            { Publish-MqttMessage -Connection $old -Topic 'a' -Payload 'x' -ResponseTopic 'r' -ErrorAction Stop } | Should -Throw -ErrorId 'RequiresMqtt5,MqttPS.Commands.PublishMqttMessageCommand'
        }
        finally { $old | Disconnect-Mqtt -Confirm:$false }
    }

    It 'publishes through a one-off connection with -Broker' {
        Publish-MqttMessage -Broker $script:uri -Topic 'pester/oneoff' -Payload 'once' -Retain -QoS 1
        (Get-MqttRetainedMessage -EmbeddedBroker $script:broker -Topic 'pester/oneoff').PayloadText | Should -Be 'once'
        @(Get-MqttConnection | Where-Object Name -eq '(transient)').Count | Should -Be 0
    }

    It 'sends MQTT 5.0 properties' {
        $h = @{ site = 'lab' }
        Publish-MqttMessage -Topic 'pester/props' -Payload 'p' -Retain -QoS 1 -ContentType 'text/plain' -ResponseTopic 'pester/reply' -CorrelationData 'c1' -UserProperty $h -MessageExpirySeconds 600
        $m = Get-MqttRetainedMessage -Topic 'pester/props'
        $m.ContentType | Should -Be 'text/plain'
        $m.ResponseTopic | Should -Be 'pester/reply'
        [System.Text.Encoding]::UTF8.GetString($m.CorrelationData) | Should -Be 'c1'
        $m.UserProperties[0].Name | Should -Be 'site'
    }
}

Describe 'Register-MqttSubscription (streaming)' {
    BeforeAll {
        $script:sub = Connect-Mqtt -Broker $script:uri -Name 'subscriber' -ClientId 'pester-sub'
        'one', 'two', 'three' | ForEach-Object { Publish-MqttMessage -Topic "pester/stream/$_" -Payload $_ -Retain -QoS 1 }
    }
    AfterAll { Disconnect-Mqtt -Name 'subscriber' -Confirm:$false }

    It 'stops after -Count messages and unsubscribes' {
        $m = Register-MqttSubscription -Topic 'pester/stream/#' -Count 3 -TimeoutSeconds 15
        @($m).Count | Should -Be 3
        ($m.Topic | Sort-Object) | Should -Be @('pester/stream/one', 'pester/stream/three', 'pester/stream/two')
        Get-MqttSubscription | Should -BeNullOrEmpty
        (Get-MqttBrokerClient -BrokerName 'pester' -ClientId 'pester-sub').Subscriptions | Should -BeNullOrEmpty
    }

    It 'stops at -TimeoutSeconds' {
        $watch = [System.Diagnostics.Stopwatch]::StartNew()
        $m = Register-MqttSubscription -Topic 'pester/nothing/here' -TimeoutSeconds 1
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 5
        $m | Should -BeNullOrEmpty
    }

    It 'unsubscribes when Select-Object -First stops the pipeline' {
        $m = Register-MqttSubscription -Topic 'pester/stream/#' -TimeoutSeconds 15 | Select-Object -First 2
        @($m).Count | Should -Be 2
        Get-MqttSubscription | Should -BeNullOrEmpty
        (Get-MqttBrokerClient -BrokerName 'pester' -ClientId 'pester-sub').Subscriptions | Should -BeNullOrEmpty
    }

    It 'receives live messages published from another thread, in order' {
        $job = Start-BackgroundPublish -Uri $script:uri -Topic 'pester/live' -Payloads (1..20 | ForEach-Object { "$_" })
        $m = Register-MqttSubscription -Topic 'pester/live' -QoS 1 -Count 20 -TimeoutSeconds 30
        Wait-Background $job
        $m.PayloadText | Should -Be (1..20 | ForEach-Object { "$_" })
    }

    It 'returns within a second of Ctrl+C and unsubscribes' {
        $ps = [powershell]::Create()
        $null = $ps.AddScript({
            param($module, $uri)
            Import-Module $module
            Connect-Mqtt -Broker $uri -ClientId 'pester-ctrlc' | Out-Null
            Register-MqttSubscription -Topic 'pester/never/#'
        }).AddArgument($modulePath).AddArgument($script:uri)
        $handle = $ps.BeginInvoke()
        try {
            $deadline = (Get-Date).AddSeconds(15)
            while (-not ((Get-MqttBrokerClient -BrokerName 'pester' -ClientId 'pester-ctrlc').Subscriptions -contains 'pester/never/#') -and (Get-Date) -lt $deadline) {
                Start-Sleep -Milliseconds 100
            }
            (Get-MqttBrokerClient -BrokerName 'pester' -ClientId 'pester-ctrlc').Subscriptions | Should -Contain 'pester/never/#'
            $watch = [System.Diagnostics.Stopwatch]::StartNew()
            $ps.Stop()
            $watch.Elapsed.TotalSeconds | Should -BeLessThan 1.5
            $deadline = (Get-Date).AddSeconds(5)
            while ((Get-MqttBrokerClient -BrokerName 'pester' -ClientId 'pester-ctrlc').Subscriptions -contains 'pester/never/#' -and (Get-Date) -lt $deadline) {
                Start-Sleep -Milliseconds 100
            }
            (Get-MqttBrokerClient -BrokerName 'pester' -ClientId 'pester-ctrlc').Subscriptions | Should -Not -Contain 'pester/never/#'
        }
        finally {
            $ps.Dispose()
        }
    }

    It 'parses payloads with -AsJson and keeps bytes with -AsBytes' {
        Publish-MqttMessage -Topic 'pester/json/1' -Payload @{ v = 42 } -Retain -QoS 1
        $m = Register-MqttSubscription -Topic 'pester/json/1' -AsJson -Count 1 -TimeoutSeconds 10
        $m.Payload.v | Should -Be 42
        $m.Payload | Should -BeOfType [System.Management.Automation.PSCustomObject]
        $b = Register-MqttSubscription -Topic 'pester/json/1' -AsBytes -Count 1 -TimeoutSeconds 10
        , $b.Payload | Should -BeOfType [byte[]]
    }

    It 'writes a non-JSON payload as an InvalidData error with -AsJson' {
        $errors = $null
        Register-MqttSubscription -Topic 'pester/stream/one' -AsJson -Count 1 -TimeoutSeconds 3 -ErrorVariable errors -ErrorAction SilentlyContinue | Out-Null
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'PayloadNotJson,*'
        $errors[0].CategoryInfo.Category | Should -Be 'InvalidData'
    }

    It 'refuses an invalid filter with an error naming it' {
        { Register-MqttSubscription -Topic 'a/#/b' -Count 1 -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidTopicFilter,MqttPS.Commands.RegisterMqttSubscriptionCommand'
    }

    It 'refuses conflicting payload switches' {
        { Register-MqttSubscription -Topic 'a' -AsJson -AsBytes -Count 1 -ErrorAction Stop } | Should -Throw -ErrorId 'ConflictingPayloadFormats,MqttPS.Commands.RegisterMqttSubscriptionCommand'
    }

    It 'prints messages as a table with topic and payload' {
        $text = Register-MqttSubscription -Topic 'pester/stream/one' -Count 1 -TimeoutSeconds 10 | Out-String -Width 250
        $text | Should -Match 'pester/stream/one'
        $text | Should -Match 'Payload'
    }
}

Describe 'Register-MqttSubscription (background), Get-MqttSubscription, Unregister-MqttSubscription' {
    BeforeAll { $script:bg = Connect-Mqtt -Broker $script:uri -Name 'background' -ClientId 'pester-bg' }
    AfterAll {
        Get-MqttSubscription | Unregister-MqttSubscription -Confirm:$false
        Disconnect-Mqtt -Name 'background' -Confirm:$false
    }

    It 'raises events that Wait-Event sees, with the message as MessageData' {
        $s = Register-MqttSubscription -Topic 'pester/events/#' -SourceIdentifier 'pester.events'
        $s.SourceIdentifier | Should -Be 'pester.events'
        Publish-MqttMessage -Topic 'pester/events/1' -Payload 'hello' -QoS 1
        $e = Wait-Event -SourceIdentifier 'pester.events' -Timeout 10
        $e | Should -Not -BeNullOrEmpty
        $e.MessageData.Topic | Should -Be 'pester/events/1'
        $e.MessageData.Payload | Should -Be 'hello'
        $e | Remove-Event
        Unregister-MqttSubscription -SourceIdentifier 'pester.events' -Confirm:$false
    }

    It 'runs -Action for each message' {
        $global:MqttPesterSeen = [System.Collections.ArrayList]::Synchronized((New-Object System.Collections.ArrayList))
        $s = Register-MqttSubscription -Topic 'pester/action' -Action { [void]$global:MqttPesterSeen.Add($Event.MessageData.PayloadText) }
        $s | Should -BeOfType ([MqttPS.Core.Shell.MqttSubscription])
        # Like Register-ObjectEvent -Action: the action is a job named after the source identifier.
        @(Get-Job -Name $s.SourceIdentifier).Count | Should -Be 1
        'a', 'b' | Publish-MqttMessage -Topic 'pester/action' -QoS 1
        $deadline = (Get-Date).AddSeconds(10)
        # Wait-Event runs pending event actions while it waits (the source identifier never fires).
        while ($global:MqttPesterSeen.Count -lt 2 -and (Get-Date) -lt $deadline) { $null = Wait-Event -SourceIdentifier 'pester.idle' -Timeout 1 }
        # The engine hands each event to the thread pool on its own, so actions (as with Register-ObjectEvent)
        # are not guaranteed to run in arrival order.
        @($global:MqttPesterSeen | Sort-Object) | Should -Be @('a', 'b')
        $s | Unregister-MqttSubscription -Confirm:$false
        Get-EventSubscriber -SourceIdentifier $s.SourceIdentifier -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        Get-Job -Name $s.SourceIdentifier -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        Remove-Variable -Name MqttPesterSeen -Scope Global
    }

    It 'lists and unregisters subscriptions by id, source identifier and topic' {
        $a = Register-MqttSubscription -Topic 'pester/list/a' -SourceIdentifier 'pester.list.a'
        $b = Register-MqttSubscription -Topic 'pester/list/b' -SourceIdentifier 'pester.list.b'
        @(Get-MqttSubscription -SourceIdentifier 'pester.list.*').Count | Should -Be 2
        (Get-MqttSubscription -Id $a.Id).Topic | Should -Be 'pester/list/a'
        (Get-MqttSubscription -Topic 'pester/list/b').Id | Should -Be $b.Id
        Unregister-MqttSubscription -Id $a.Id -WhatIf
        @(Get-MqttSubscription -SourceIdentifier 'pester.list.*').Count | Should -Be 2
        Unregister-MqttSubscription -Id $a.Id -Confirm:$false
        Unregister-MqttSubscription -SourceIdentifier 'pester.list.b' -Confirm:$false -PassThru | Select-Object -ExpandProperty State | Should -Be 'Stopped'
        Get-MqttSubscription -SourceIdentifier 'pester.list.*' | Should -BeNullOrEmpty
        Get-EventSubscriber -SourceIdentifier 'pester.list.a' -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'refuses a source identifier another event subscriber uses' {
        $null = Register-EngineEvent -SourceIdentifier 'pester.taken' -Action { }
        try {
            { Register-MqttSubscription -Topic 'pester/taken' -SourceIdentifier 'pester.taken' } |
                Should -Throw -ErrorId 'SourceIdentifierInUse,MqttPS.Commands.RegisterMqttSubscriptionCommand'
            Get-MqttSubscription -SourceIdentifier 'pester.taken' -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        }
        finally { Unregister-Event -SourceIdentifier 'pester.taken'; Remove-Job -Name 'pester.taken' -Force -ErrorAction SilentlyContinue }
    }

    It 'ends the subscription when Unregister-Event removes the subscriber, queueing no events' {
        $s = Register-MqttSubscription -Topic 'pester/orphan' -SourceIdentifier 'pester.orphan'
        Unregister-Event -SourceIdentifier 'pester.orphan'
        $s.State | Should -Be 'Stopped'
        Get-MqttSubscription -SourceIdentifier 'pester.orphan' -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        Publish-MqttMessage -Topic 'pester/orphan' -Payload 'x' -QoS 1
        Start-Sleep -Milliseconds 300
        $s.MessagesReceived | Should -Be 0
        Get-Event -SourceIdentifier 'pester.orphan' -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'reports an unknown id as ObjectNotFound' {
        $err = $null
        Get-MqttSubscription -Id 99999 -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'SubscriptionNotFound,*'
        $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }
}

Describe 'Get-MqttRetainedMessage and Clear-MqttRetainedMessage' {
    BeforeAll {
        $script:ret = Connect-Mqtt -Broker $script:uri -Name 'retained'
        1..5 | ForEach-Object { Publish-MqttMessage -Topic "pester/old/$_" -Payload "v$_" -Retain -QoS 1 }
    }
    AfterAll { Disconnect-Mqtt -Name 'retained' -Confirm:$false }

    It 'reads retained messages through a subscription and from the embedded store alike' {
        $viaBroker = Get-MqttRetainedMessage -Topic 'pester/old/#' -QuietMilliseconds 1000
        $viaStore = $script:broker | Get-MqttRetainedMessage -Topic 'pester/old/#'
        $viaBroker.Topic | Should -Be @('pester/old/1', 'pester/old/2', 'pester/old/3', 'pester/old/4', 'pester/old/5')
        $viaStore.Topic | Should -Be $viaBroker.Topic
        $viaBroker | ForEach-Object { $_.Retain | Should -BeTrue }
    }

    It 'lists what it would clear with -WhatIf and clears nothing' {
        Clear-MqttRetainedMessage -Filter 'pester/old/#' -WhatIf
        @(Get-MqttRetainedMessage -EmbeddedBroker $script:broker -Topic 'pester/old/#').Count | Should -Be 5
    }

    It 'clears by topic, from piped messages, and by filter' {
        Clear-MqttRetainedMessage -Topic 'pester/old/1' -Confirm:$false
        Get-MqttRetainedMessage -EmbeddedBroker $script:broker -Topic 'pester/old/2' | Clear-MqttRetainedMessage -Confirm:$false
        @(Get-MqttRetainedMessage -EmbeddedBroker $script:broker -Topic 'pester/old/#').Count | Should -Be 3
        $cleared = Clear-MqttRetainedMessage -Filter 'pester/old/#' -Confirm:$false -PassThru
        @($cleared).Count | Should -Be 3
        Get-MqttRetainedMessage -EmbeddedBroker $script:broker -Topic 'pester/old/#' | Should -BeNullOrEmpty
    }

    It 'refuses a wildcard in -Topic and explains -Filter' {
        $err = $null
        Clear-MqttRetainedMessage -Topic 'pester/+' -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'WildcardTopic,*'
        $err[0].Exception.Message | Should -Match '-Filter'
    }
}

Describe 'Test-MqttTopic' {
    It 'matches with + and # as MQTT does' {
        Test-MqttTopic -Topic 'home/kitchen/temp' -Filter 'home/+/temp' | Should -BeTrue
        Test-MqttTopic -Topic 'home/kitchen/temp' -Filter 'home/#' | Should -BeTrue
        Test-MqttTopic -Topic 'home' -Filter 'home/#' | Should -BeTrue
        Test-MqttTopic -Topic 'home/kitchen/temp' -Filter 'home/+' | Should -BeFalse
        Test-MqttTopic -Topic '$SYS/broker/uptime' -Filter '#' | Should -BeFalse
    }

    It 'takes topics from the pipeline' {
        'a/b', 'a/b/c', 'x/y' | Test-MqttTopic -Filter 'a/#' | Should -Be @($true, $true, $false)
    }

    It 'refuses an invalid filter with a terminating error naming the rule' {
        { Test-MqttTopic -Topic 'a' -Filter 'a/#/b' } | Should -Throw -ErrorId 'InvalidTopicFilter,MqttPS.Commands.TestMqttTopicCommand'
        { Test-MqttTopic -Topic 'a' -Filter 'sport+' } | Should -Throw '*MQTT-4.7.1*'
    }

    It 'reports a topic name with wildcards as an error and continues' {
        $err = $null
        $r = 'a/+', 'a/b' | Test-MqttTopic -Filter 'a/#' -ErrorVariable err -ErrorAction SilentlyContinue
        $r | Should -Be @($true)
        $err[0].FullyQualifiedErrorId | Should -BeLike 'InvalidTopicName,*'
    }
}
