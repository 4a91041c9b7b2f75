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
            $c.Client.PublishWindowLimit | Should -Be 10
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
