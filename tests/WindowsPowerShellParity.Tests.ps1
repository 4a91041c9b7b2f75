# Windows PowerShell 5.1 by proxy (issues 17 and 18): what this Linux machine can prove about the module on .NET
# Framework, and the MQTT 3.1.1 in-flight window that lost messages against mosquitto.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers/MqttPSTestHelpers.psm1') -Force
    Import-Module (Get-MqttPSModulePath) -Force
}

Describe 'Publish-MqttMessage at MQTT 3.1.1 against mosquitto' {
    BeforeAll {
        $script:mosquitto = Start-Mosquitto
    }
    AfterAll {
        Get-MqttConnection | Disconnect-Mqtt
        Stop-Mosquitto $script:mosquitto
    }

    # Before the 3.1.x window of 20, 1..1000 | Publish-MqttMessage -QoS 2 kept 100 in flight and mosquitto_sub saw
    # about 600 of the 1,000 messages, though every publish reported success.
    It 'delivers all 1,000 QoS <QoS> messages of a pipeline to mosquitto_sub, in order' -ForEach @(@{ QoS = 2 }, @{ QoS = 1 }) {
        $topic = "window311/q$QoS"
        $sub = Start-MosquittoSubscriber -Server $script:mosquitto -Topic $topic -QoS $QoS -Version mqttv311
        try {
            $c = Connect-Mqtt -Broker 127.0.0.1 -Port $script:mosquitto.Port -ProtocolVersion 3.1.1 -Name "w311-$QoS"
            $c.ProtocolVersion | Should -Be 'V311'
            1..1000 | Publish-MqttMessage -Connection $c -Topic $topic -QoS $QoS -ErrorVariable failures
            $failures | Should -BeNullOrEmpty
            $lines = Wait-MosquittoSubscriberLine -Subscriber $sub -Count 1000
            $lines.Count | Should -Be 1000
            $lines | Should -Be (1..1000 | ForEach-Object { "$topic $_" })
        }
        finally {
            Stop-MosquittoSubscriber $sub
            Get-MqttConnection -Name "w311-$QoS" -ErrorAction SilentlyContinue | Disconnect-Mqtt
        }
    }

    It 'keeps -MaxInflightMessages of Connect-Mqtt and -WindowSize of Publish-MqttMessage for brokers known to take more' {
        $c = Connect-Mqtt -Broker 127.0.0.1 -Port $script:mosquitto.Port -ProtocolVersion 3.1.1 -MaxInflightMessages 10 -Name 'w311-max'
        try {
            $c.MaxInflightMessages | Should -Be 10
            # The verbose trace shows each PUBLISH and PUBACK: count how many were unacknowledged at most.
            $trace = 1..200 | Publish-MqttMessage -Connection $c -Topic 'window311/wide' -QoS 1 -WindowSize 50 -Verbose 4>&1 |
                Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message
            $open = 0; $most = 0
            foreach ($line in $trace) {
                if ($line -match '^-> PUBLISH .* qos=1') { $open++; if ($open -gt $most) { $most = $open } }
                elseif ($line -match '^<- PUBACK') { $open-- }
            }
            @($trace | Where-Object { $_ -match '^-> PUBLISH' }).Count | Should -Be 200
            $most | Should -BeGreaterThan 10
            $most | Should -BeLessOrEqual 50
        }
        finally { Disconnect-Mqtt $c }
    }
}

Describe 'TLS versions and IPv6 from the cmdlets' {
    BeforeAll {
        # A throw-away server certificate made in PowerShell itself.
        $rsa = [System.Security.Cryptography.RSA]::Create(2048)
        $request = [System.Security.Cryptography.X509Certificates.CertificateRequest]::new('CN=localhost', $rsa,
            [System.Security.Cryptography.HashAlgorithmName]::SHA256, [System.Security.Cryptography.RSASignaturePadding]::Pkcs1)
        $script:certificate = $request.CreateSelfSigned([DateTimeOffset]::UtcNow.AddMinutes(-5), [DateTimeOffset]::UtcNow.AddDays(1))
    }
    AfterEach {
        Get-MqttConnection | Disconnect-Mqtt
        Get-MqttBroker | Stop-MqttBroker -Confirm:$false
    }

    It 'connects with the TLS versions both sides allow (<Client> to a broker with <Broker>)' -ForEach @(
        @{ Client = @('Tls12'); Broker = @('Tls12', 'Tls13') }
        @{ Client = @('Tls12', 'Tls13'); Broker = @('Tls13') }
    ) {
        $b = Start-MqttBroker -Port 0 -TlsPort 0 -Certificate $script:certificate -TlsProtocol $Broker
        $c = Connect-Mqtt -Broker $b.TlsUri -SkipCertificateCheck -TlsProtocol $Client
        $c.IsConnected | Should -BeTrue
    }

    It 'fails with an error naming the TLS handshake when the versions do not overlap' {
        $b = Start-MqttBroker -Port 0 -TlsPort 0 -Certificate $script:certificate -TlsProtocol Tls13
        { Connect-Mqtt -Broker $b.TlsUri -SkipCertificateCheck -TlsProtocol Tls12 -ErrorAction Stop } |
            Should -Throw -ExpectedMessage '*TLS handshake*'
    }

    It 'takes only TLS versions it knows, by name' {
        { Connect-Mqtt -Broker localhost -TlsProtocol Tls11 -ErrorAction Stop } | Should -Throw -ErrorId 'ParameterArgumentValidationError,MqttPS.Commands.ConnectMqttCommand'
        (Get-Command Start-MqttBroker).Parameters['TlsProtocol'].Attributes.ValidValues | Should -Be @('Tls12', 'Tls13')
    }

    It 'reaches a broker by <Address>' -ForEach @(@{ Address = '[::1]' }, @{ Address = '127.0.0.1' }, @{ Address = 'localhost' }) {
        $b = Start-MqttBroker -Port 0 -BindAddress '::'
        $c = Connect-Mqtt -Broker $Address -Port $b.Port
        Publish-MqttMessage -Connection $c -Topic 'v6/t' -Payload 'x' -QoS 1
        $c.IsConnected | Should -BeTrue
    }
}

Describe 'The engine on a .NET Framework runtime: Mono' {
    # tests/install-dependencies.sh installs Mono's runtime and the netstandard facade a netstandard2.0 assembly needs;
    # without them these tests fail rather than skip. The host is a net472 program that references the shipped
    # netstandard2.0 MqttPS.Core.dll, as Windows PowerShell 5.1 loads it, and prints one STEP line per step.
    BeforeAll {
        $repo = (Resolve-Path (Join-Path $PSScriptRoot '..')).Path
        $mono = Get-Command mono -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
        if (-not $mono) { throw 'mono is not installed: run tests/install-dependencies.sh as root (Debian package mono-runtime).' }
        $facade = Get-MonoNetStandardFacade
        $build = & dotnet build (Join-Path $repo 'tests/MqttPS.NetFrameworkHost') -c Release -nologo -v q 2>&1
        if ($LASTEXITCODE -ne 0) { throw "building the net472 host failed: $($build -join "`n")" }
        $hostDir = Join-Path $repo 'tests/MqttPS.NetFrameworkHost/bin/Release/net472'
        Copy-Item $facade $hostDir -Force

        $pki = New-TestPki -Directory (Join-Path ([IO.Path]::GetTempPath()) ('mqttps-fx-pki-' + [Guid]::NewGuid().ToString('n')))
        $script:pkiDirectory = $pki
        $script:mosquitto = Start-Mosquitto
        $script:mosquittoTls = Start-Mosquitto -ConfigLines @("cafile $pki/ca.crt", "certfile $pki/server.crt", "keyfile $pki/server.key", 'require_certificate true')

        $packages = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else { Join-Path ([Environment]::GetFolderPath('UserProfile')) '.nuget/packages' }
        $sma = Join-Path $packages 'powershellstandard.library/5.1.0-preview-06/lib/netstandard2.0/System.Management.Automation.dll'
        $cmdlets = (Import-PowerShellDataFile (Get-MqttPSModulePath)).CmdletsToExport -join ','
        $script:runs = @{}
        foreach ($engine in 'epoll', 'dotnet') {
            $arguments = @((Join-Path $hostDir 'MqttPS.NetFrameworkHost.exe'), '--pki', $pki, '--engine', $engine,
                '--mosquitto-port', $script:mosquitto.Port, '--mosquitto-tls-port', $script:mosquittoTls.Port,
                '--module', (Join-Path $repo 'out/MqttPS/MqttPS.dll'), '--sma', $sma, '--cmdlets', $cmdlets)
            $environment = @{ MQTTPS_SOCKET_ENGINE = $(if ($engine -eq 'dotnet') { 'dotnet' } else { $null }) }
            $script:runs[$engine] = Invoke-ExternalProgram -FilePath $mono.Source -ArgumentList $arguments -Environment $environment -TimeoutSeconds 240
        }
    }
    AfterAll {
        Stop-Mosquitto $script:mosquitto
        Stop-Mosquitto $script:mosquittoTls
        Remove-Item -Recurse -Force $script:pkiDirectory -ErrorAction SilentlyContinue
    }

    It 'passes every step of the engine matrix with the <Engine> socket engine' -ForEach @(@{ Engine = 'epoll' }, @{ Engine = 'dotnet' }) {
        $run = $script:runs[$Engine]
        $steps = @($run.Output | Where-Object { $_ -like 'STEP|*' } | ForEach-Object {
            $f = $_ -split '\|', 5
            [pscustomobject]@{ Step = $f[1]; Result = $f[2]; Ms = [int]$f[3]; Detail = $f[4] }
        })
        # The table goes to the log (out/TestResults/pester.log): the closing note of issue 17 quotes it.
        Write-Host "Mono matrix, $Engine engine (exit code $($run.ExitCode)):"
        $steps | ForEach-Object { Write-Host ('  {0,-5} {1,6} ms  {2}: {3}' -f $_.Result, $_.Ms, $_.Step, $_.Detail) }
        if ($run.StandardError) { Write-Host "  stderr: $($run.StandardError)" }

        # The run was not cut short, and it covered what Windows PowerShell users rely on.
        $run.Output[-1] | Should -Be "END|$($steps.Count) steps|0 failed"
        foreach ($expected in 'runtime', 'embedded broker starts', 'embedded: client 5.0 connects', 'embedded: client 3.1.1 connects',
            'embedded: reached at `[::1`]', 'embedded: reached at 127.0.0.1', 'embedded: reached at localhost', '*wildcards*',
            'embedded: QoS 0 x 1,000 in order*', 'embedded: QoS 1 x 1,000 in order*', 'embedded: QoS 2 x 1,000 in order (5.0)', 'embedded: QoS 2 x 1,000 in order (3.1.1)',
            'embedded: retained set, list, clear', 'embedded: TLS with CA file and PFX client certificate', 'mosquitto: client 3.1.1 connects',
            'mosquitto: QoS 2 x 1,000 in order (3.1.1)', 'mosquitto: retained set, list, clear', 'mosquitto: TLS with CA file and PFX client certificate',
            'mosquitto: TLS with a PFX written by OpenSSL 3*', 'TLS version choice', 'MqttPS.dll cmdlet types resolve') {
            @($steps | Where-Object { $_.Step -like $expected }).Count | Should -BeGreaterOrEqual 1 -Because "the matrix has a step '$expected'"
        }
        @($steps | Where-Object Result -eq 'FAIL' | ForEach-Object { "$($_.Step): $($_.Detail)" }) | Should -BeNullOrEmpty
        $run.ExitCode | Should -Be 0
        ($steps | Where-Object Step -eq 'runtime').Detail | Should -BeLike "Mono *socket engine $Engine; .NET Framework code paths on"
        # A runtime limit says what users of Windows PowerShell 5.1 do about it.
        foreach ($limit in @($steps | Where-Object Result -eq 'LIMIT')) { $limit.Detail | Should -BeLike '*-legacy*' }
    }

    It 'gives the same result for each step with both socket engines' {
        $results = foreach ($engine in 'epoll', 'dotnet') {
            ($script:runs[$engine].Output | Where-Object { $_ -like 'STEP|*' } | ForEach-Object { ($_ -split '\|')[1..2] -join '=' } | Where-Object { $_ -notlike 'runtime=*' }) -join ';'
        }
        $results[1] | Should -Be $results[0]
    }
}

Describe 'The engine compiled for .NET Framework 4.7.2' {
    It 'compiles without warnings' {
        # --no-incremental: an up-to-date build would skip the compiler and show no warnings at all.
        $project = Join-Path $PSScriptRoot 'MqttPS.Core.Net472'
        $output = & dotnet build $project -c Release -nologo --no-incremental -p:TreatWarningsAsErrors=false 2>&1
        $LASTEXITCODE | Should -Be 0 -Because ($output -join "`n")
        @($output | Select-String -Pattern ': warning [A-Z]+[0-9]+' | ForEach-Object { $_.Line.Trim() } | Sort-Object -Unique) | Should -BeNullOrEmpty
    }
}
