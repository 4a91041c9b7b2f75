# Errors as scripts and users meet them: every error a cmdlet's help documents (NOTES lists them with their
# categories) is raised here, with its FullyQualifiedErrorId, category and TargetObject checked; and the messages of
# what commonly goes wrong say once what happened and what to do, in the cmdlets' terms.

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers/MqttPSTestHelpers.psm1') -Force
    Import-Module (Get-MqttPSModulePath) -Force
    $script:documented = Get-DocumentedError
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers/MqttPSTestHelpers.psm1') -Force
    Import-Module (Get-MqttPSModulePath) -Force -ErrorAction Stop
    $script:work = Join-Path ([IO.Path]::GetTempPath()) ('mqttps-errors-' + [guid]::NewGuid().ToString('n'))
    $script:certs = New-TestCertificateSet -Directory $script:work
    $script:pfxPassword = ConvertTo-SecureString $script:certs.PfxPassword -AsPlainText -Force
    $script:passwd = Join-Path $script:work 'passwd'
    # A line written by mosquitto_passwd (alice / wonderland).
    Set-Content -LiteralPath $script:passwd -Value 'alice:$7$101$xCX8SbgMaFu/VJN1$OsTANhGbeL+N4T8/fHMskNgdUEJ3nk6p3pK3JV2ANFWZF7bbp7Mc98k5+eGdukxvS53YiP0KbYvv03FBJjf/fA=='
    $script:aclPath = Join-Path $script:work 'acl'
    Set-Content -LiteralPath $script:aclPath -Value 'user alice', 'topic readwrite allowed/#'
    $script:alice = [pscredential]::new('alice', (ConvertTo-SecureString 'wonderland' -AsPlainText -Force))
    $script:wrong = [pscredential]::new('alice', (ConvertTo-SecureString 'not-it' -AsPlainText -Force))

    $script:tls = Start-MqttBroker -Port 0 -Name 'errors' -CertificatePath $script:certs.PfxPath -CertificatePassword $script:pfxPassword -TlsPort 0
    $script:tlsPort = ([uri]$script:tls.TlsUri).Port
    $script:guarded = Start-MqttBroker -Port 0 -Name 'guarded' -PasswordFile $script:passwd -AclPath $script:aclPath
    $script:mosquitto = Start-Mosquitto -ConfigLines 'allow_anonymous false', "password_file $script:passwd"
    $script:mosquittoTlsPort = Get-FreeTcpPort
    $script:mosquittoTls = Start-Mosquitto -ConfigLines "listener $script:mosquittoTlsPort 127.0.0.1", "cafile $($script:certs.CaPath)",
        "certfile $($script:certs.CertificatePath)", "keyfile $($script:certs.KeyPath)"
    $script:http = Start-FakeServer -Reply ([Text.Encoding]::ASCII.GetBytes("HTTP/1.1 400 Bad Request`r`nContent-Length: 0`r`nConnection: close`r`n`r`n"))
    $script:silent = Start-FakeServer -Reply ([byte[]]@()) -KeepOpen
    $script:acknowledgesNothing = Start-FakeServer -Reply ([byte[]](0x20, 0x03, 0x00, 0x00, 0x00)) -KeepOpen

    # The error record a command raises (terminating or not), or $null.
    function Get-Failure([scriptblock] $Command) {
        $failure = $null
        try { $null = & $Command } catch { $failure = $_ }
        $failure
    }
}

AfterAll {
    Get-MqttSubscription | Unregister-MqttSubscription -Confirm:$false
    Disconnect-Mqtt -All -Confirm:$false
    Stop-MqttBroker -All -Confirm:$false
    Stop-Mosquitto $script:mosquitto
    Stop-Mosquitto $script:mosquittoTls
    $script:http.Dispose(); $script:silent.Dispose(); $script:acknowledgesNothing.Dispose()
    Remove-Item -LiteralPath $script:work -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'What commonly goes wrong is said once, with what to do' {
    AfterEach { Disconnect-Mqtt -All -Confirm:$false }

    It 'names a refused address once and the parameters to check' {
        $port = Get-FreeTcpPort
        $e = Get-Failure { Connect-Mqtt -Broker 127.0.0.1 -Port $port -TimeoutSeconds 5 -ErrorAction Stop }
        $e.FullyQualifiedErrorId | Should -Be 'ConnectFailed,MqttPS.Commands.ConnectMqttCommand'
        $e.CategoryInfo.Category | Should -Be 'ConnectionError'
        ([regex]::Matches($e.Exception.Message, [regex]::Escape("127.0.0.1:$port"))).Count | Should -Be 1
        $e.Exception.Message | Should -Not -Match 'Could not connect to .*Could not connect to'
        $e.Exception.Message | Should -Match '-Port'
    }

    It 'calls a wrong password an AuthenticationError on mosquitto (MQTT <Version>)' -ForEach @(@{ Version = '5.0' }, @{ Version = '3.1.1' }) {
        $e = Get-Failure { Connect-Mqtt -Broker $script:mosquitto.Uri -Credential $script:wrong -ProtocolVersion $Version -ErrorAction Stop }
        $e.FullyQualifiedErrorId | Should -Be 'ConnectFailed,MqttPS.Commands.ConnectMqttCommand'
        $e.CategoryInfo.Category | Should -Be 'AuthenticationError'
        $e.Exception.Message | Should -Match '-Credential'
        $e.Exception.Message | Should -Match "'alice'"
        (Connect-Mqtt -Broker $script:mosquitto.Uri -Credential $script:alice -ProtocolVersion $Version).State | Should -Be 'Connected'
    }

    It 'says a refused publish once' {
        $c = Connect-Mqtt -Broker $script:guarded.Uri -Credential $script:alice
        $e = Get-Failure { Publish-MqttMessage -Connection $c -Topic 'forbidden/a' -Payload 'x' -QoS 1 -ErrorAction Stop }
        $e.FullyQualifiedErrorId | Should -Be 'PublishRejected,MqttPS.Commands.PublishMqttMessageCommand'
        $e.CategoryInfo.Category | Should -Be 'PermissionDenied'
        ([regex]::Matches($e.Exception.Message, '0x87')).Count | Should -Be 1
        ([regex]::Matches($e.Exception.Message, 'forbidden/a')).Count | Should -Be 1
        $e.Exception.Message | Should -Not -Match '\.\.$'
    }

    It 'names no .NET parameter when -Broker is not an address' {
        $e = Get-Failure { Connect-Mqtt -Broker 'mqtt://host/path' -ErrorAction Stop }
        $e.FullyQualifiedErrorId | Should -Be 'InvalidBroker,MqttPS.Commands.ConnectMqttCommand'
        $e.Exception.Message | Should -Not -Match '\(Parameter|brokerHostOrUri'
        $e.Exception.Message | Should -Match '-Broker'
    }

    It 'says what to do with a lost connection, without engine API names' {
        $b = Start-MqttBroker -Port 0 -Name 'vanishing'
        $port = $b.Port
        $c = Connect-Mqtt -Broker $b.Uri
        $b | Stop-MqttBroker -Confirm:$false
        Wait-Until -Because 'the connection to be lost' -Condition { $c.State -eq 'Lost' }
        $publish = Get-Failure { Publish-MqttMessage -Topic 'a' -Payload 'x' -QoS 1 -ErrorAction Stop }
        $subscribe = Get-Failure { Register-MqttSubscription -Topic 'a' -Count 1 -ErrorAction Stop }
        foreach ($e in $publish, $subscribe) {
            $e.Exception.Message | Should -Not -Match 'Async|call Connect'
            $e.Exception.Message | Should -Match "'$($c.Name)'|mqtt://127\.0\.0\.1:$port"
            $e.CategoryInfo.Category | Should -Be 'ConnectionError'
        }
        $subscribe.Exception.Message | Should -Match 'Connect-Mqtt'
    }

    It 'tells a plain client on a TLS port (<Server>) to use mqtts://, not to try MQTT 3.1.1' -ForEach @(@{ Server = 'MqttPS' }, @{ Server = 'mosquitto' }) {
        $port = if ($Server -eq 'mosquitto') { $script:mosquittoTlsPort } else { $script:tlsPort }
        $e = Get-Failure { Connect-Mqtt -Broker "mqtt://127.0.0.1:$port" -TimeoutSeconds 10 -ErrorAction Stop }
        $e.Exception.Message | Should -Match 'speaks TLS'
        $e.Exception.Message | Should -Match ([regex]::Escape("mqtts://127.0.0.1:$port"))
        $e.Exception.Message | Should -Not -Match '3\.1\.1'
        $e.CategoryInfo.Category | Should -Be 'ConnectionError'
    }

    It 'tells a TLS client on a plain port (<Server>) to use mqtt://, not about client certificates' -ForEach @(@{ Server = 'MqttPS' }, @{ Server = 'mosquitto' }) {
        $port = if ($Server -eq 'mosquitto') { $script:mosquitto.Port } else { $script:tls.Port }
        $e = Get-Failure { Connect-Mqtt -Broker "mqtts://127.0.0.1:$port" -TimeoutSeconds 10 -ErrorAction Stop }
        $e.Exception.Message | Should -Match 'does not speak TLS'
        $e.Exception.Message | Should -Match ([regex]::Escape("mqtt://127.0.0.1:$port"))
        $e.Exception.Message | Should -Not -Match 'client certificate'
        $e.CategoryInfo.Category | Should -Be 'ConnectionError'
    }

    It 'calls an HTTP server an HTTP server, not a PUBACK flags violation' {
        $e = Get-Failure { Connect-Mqtt -Broker 127.0.0.1 -Port $script:http.Port -TimeoutSeconds 10 -ErrorAction Stop }
        $e.Exception.Message | Should -Match 'HTTP server'
        $e.Exception.Message | Should -Match '400 Bad Request'
        $e.Exception.Message | Should -Not -Match 'PUBACK|MQTT-2\.1\.3-1'
        $e.CategoryInfo.Category | Should -Be 'ProtocolError'
    }

    It 'names the parameters that fix an untrusted certificate (<Server>)' -ForEach @(@{ Server = 'MqttPS' }, @{ Server = 'mosquitto' }) {
        $port = if ($Server -eq 'mosquitto') { $script:mosquittoTlsPort } else { $script:tlsPort }
        $e = Get-Failure { Connect-Mqtt -Broker "mqtts://127.0.0.1:$port" -ErrorAction Stop }
        $e.CategoryInfo.Category | Should -Be 'AuthenticationError'
        $e.Exception.Message | Should -Match '-CaCertificatePath'
        $e.Exception.Message | Should -Match '-SkipCertificateCheck'
        (Connect-Mqtt -Broker "mqtts://127.0.0.1:$port" -CaCertificatePath $script:certs.CaPath).State | Should -Be 'Connected'
    }

    It 'shortens a 70,000-character topic in its message' {
        $topic = ('t' * 70000) + '/device-42/+'
        $c = Connect-Mqtt -Broker $script:tls.Uri
        $e = Get-Failure { Publish-MqttMessage -Connection $c -Topic $topic -Payload 'x' -ErrorAction Stop }
        $e.FullyQualifiedErrorId | Should -Be 'InvalidTopicName,MqttPS.Commands.PublishMqttMessageCommand'
        $e.Exception.Message.Length | Should -BeLessThan 400
        $e.Exception.Message | Should -Match '70,012 characters'
        $e.TargetObject | Should -Be $topic
    }
}

Describe 'Documented errors' {
    BeforeAll {
        # How to meet each documented error: what to run, and the TargetObject it names.
        $script:scenarios = @{
            'Connect-Mqtt/ConnectFailed'             = @{ Run = { Connect-Mqtt -Broker 127.0.0.1 -Port (Get-FreeTcpPort) -TimeoutSeconds 5 }; Target = '127.0.0.1' }
            'Connect-Mqtt/ConnectTimeout'            = @{ Run = { Connect-Mqtt -Broker 127.0.0.1 -Port $script:silent.Port -TimeoutSeconds 1 }; Target = '127.0.0.1' }
            'Connect-Mqtt/InvalidBroker'             = @{ Run = { Connect-Mqtt -Broker 'mqtt://host/path' }; Target = 'mqtt://host/path' }
            'Connect-Mqtt/InvalidClientId'           = @{ Run = { Connect-Mqtt -ClientId '' -CleanStart:$false }; Target = '' }
            'Connect-Mqtt/SessionExpiryNeedsMqtt5'   = @{ Run = { Connect-Mqtt -ProtocolVersion 3.1.1 -SessionExpirySeconds 60 }; Target = [uint32]60 }
            'Connect-Mqtt/WillTopicMissing'          = @{ Run = { Connect-Mqtt -WillPayload 'x' }; Target = $null }
            'Connect-Mqtt/InvalidTopicName'          = @{ Run = { Connect-Mqtt -WillTopic 'status/+' }; Target = 'status/+' }
            'Connect-Mqtt/ConflictingCertificates'   = @{ Run = { Connect-Mqtt -CertificatePath $script:certs.PfxPath -Certificate ([Security.Cryptography.X509Certificates.X509Certificate2]::new($script:certs.PfxPath, 'pfx-pw')) }; Target = { $script:certs.PfxPath } }
            'Connect-Mqtt/CertificateNotFound'       = @{ Run = { Connect-Mqtt -CertificatePath (Join-Path $script:work 'missing.pfx') }; Target = { Join-Path $script:work 'missing.pfx' } }
            'Connect-Mqtt/CaFileNotFound'            = @{ Run = { Connect-Mqtt -CaCertificatePath (Join-Path $script:work 'missing.crt') }; Target = { Join-Path $script:work 'missing.crt' } }
            'Connect-Mqtt/ConnectionNameInUse'       = @{ Run = { $null = Connect-Mqtt -Broker $script:tls.Uri -Name dup; Connect-Mqtt -Broker $script:tls.Uri -Name dup }; Target = 'dup' }
            'Disconnect-Mqtt/ConnectionNotFound'     = @{ Run = { Disconnect-Mqtt -Name nowhere }; Target = 'nowhere' }
            'Disconnect-Mqtt/NoConnection'           = @{ Run = { Disconnect-Mqtt }; Target = $null }
            'Get-MqttConnection/ConnectionNotFound'  = @{ Run = { Get-MqttConnection -Name nowhere }; Target = 'nowhere' }
            'Get-MqttBroker/BrokerNotFound'          = @{ Run = { Get-MqttBroker -Name nowhere }; Target = 'nowhere' }
            'Get-MqttBrokerClient/BrokerNotFound'    = @{ Run = { Get-MqttBrokerClient -BrokerName nowhere }; Target = 'nowhere' }
            'Get-MqttBrokerClient/AmbiguousBroker'   = @{ Run = { Get-MqttBrokerClient }; Target = @('errors', 'guarded') }
            'Stop-MqttBroker/BrokerNotFound'         = @{ Run = { Stop-MqttBroker -Name nowhere }; Target = 'nowhere' }
            'Stop-MqttBroker/AmbiguousBroker'        = @{ Run = { Stop-MqttBroker }; Target = @('errors', 'guarded') }
            'Get-MqttSubscription/SubscriptionNotFound'        = @{ Run = { Get-MqttSubscription -Id 4242 }; Target = @(4242) }
            'Unregister-MqttSubscription/SubscriptionNotFound' = @{ Run = { Unregister-MqttSubscription -SourceIdentifier nowhere }; Target = 'nowhere' }
            'Test-MqttTopic/InvalidTopicFilter'      = @{ Run = { Test-MqttTopic -Topic a -Filter 'a/#/b' }; Target = 'a/#/b' }
            'Test-MqttTopic/InvalidTopicName'        = @{ Run = { Test-MqttTopic -Topic 'a/+' -Filter '#' }; Target = 'a/+' }
            'Publish-MqttMessage/NoConnection'       = @{ Run = { Publish-MqttMessage -Topic a -Payload x }; Target = $null }
            'Publish-MqttMessage/ConnectionClosed'   = @{ Run = { $c = Connect-Mqtt -Broker $script:tls.Uri; $c | Disconnect-Mqtt; Publish-MqttMessage -Connection $c -Topic a -Payload x }; Target = { Get-MqttConnection } ; TargetType = 'MqttPS.Core.Shell.MqttConnection' }
            'Publish-MqttMessage/ConnectionLost'     = @{ Run = { $b = Start-MqttBroker -Port 0 -Name gone; $c = Connect-Mqtt -Broker $b.Uri; $b | Stop-MqttBroker; Wait-Until -Condition { $c.State -eq 'Lost' }; Publish-MqttMessage -Connection $c -Topic a -Payload x }; TargetType = 'MqttPS.Core.Shell.MqttConnection' }
            'Publish-MqttMessage/InvalidTopicName'   = @{ Run = { $null = Connect-Mqtt -Broker $script:tls.Uri -TimeoutSeconds 30; Publish-MqttMessage -Topic 'a/#' -Payload x }; Target = 'a/#' }
            'Publish-MqttMessage/RequiresMqtt5'      = @{ Run = { $null = Connect-Mqtt -Broker $script:tls.Uri -ProtocolVersion 3.1.1; Publish-MqttMessage -Topic a -Payload x -ContentType text/plain }; Target = 'a' }
            'Publish-MqttMessage/PublishRejected'    = @{ Run = { $null = Connect-Mqtt -Broker $script:guarded.Uri -Credential $script:alice -TimeoutSeconds 30; Publish-MqttMessage -Topic denied -Payload x -QoS 1 }; Target = 'x'; TargetType = 'System.String' }
            'Publish-MqttMessage/PublishTimeout'     = @{ Run = { $null = Connect-Mqtt -Broker 127.0.0.1 -Port $script:acknowledgesNothing.Port; Publish-MqttMessage -Topic a -Payload x -QoS 1 -TimeoutSeconds 1 }; Target = 'x' }
            'Publish-MqttMessage/ConnectFailed'      = @{ Run = { Publish-MqttMessage -Broker 127.0.0.1 -Port (Get-FreeTcpPort) -Topic a -Payload x }; Target = '127.0.0.1' }
            'Register-MqttSubscription/NoConnection' = @{ Run = { Register-MqttSubscription -Topic a -Count 1 }; Target = $null }
            'Register-MqttSubscription/InvalidTopicFilter'         = @{ Run = { $null = Connect-Mqtt -Broker $script:tls.Uri -TimeoutSeconds 30; Register-MqttSubscription -Topic 'a/#/b' -Count 1 }; Target = 'a/#/b' }
            'Register-MqttSubscription/InvalidSubscriptionOptions' = @{ Run = { $null = Connect-Mqtt -Broker $script:tls.Uri -TimeoutSeconds 30; Register-MqttSubscription -Topic '$share/g/a' -NoLocal -Count 1 }; Target = '$share/g/a' }
            'Register-MqttSubscription/ConflictingPayloadFormats'  = @{ Run = { Register-MqttSubscription -Topic a -AsJson -AsBytes -Count 1 }; Target = $null }
            'Register-MqttSubscription/ConflictingConnection'      = @{ Run = { $c = Connect-Mqtt -Broker $script:tls.Uri; Register-MqttSubscription -Topic a -Connection $c -Broker $script:tls.Uri -Count 1 }; Target = { $script:tls.Uri } }
            'Register-MqttSubscription/SubscribeRejected'          = @{ Run = { $null = Connect-Mqtt -Broker $script:guarded.Uri -Credential $script:alice -TimeoutSeconds 30; Register-MqttSubscription -Topic denied -Count 1 -TimeoutSeconds 2 }; Target = 'denied' }
            'Register-MqttSubscription/SourceIdentifierInUse'      = @{ Run = { $null = Connect-Mqtt -Broker $script:tls.Uri -TimeoutSeconds 30; $null = Register-MqttSubscription -Topic a -SourceIdentifier twice; Register-MqttSubscription -Topic b -SourceIdentifier twice }; Target = 'twice' }
            'Register-MqttSubscription/PayloadNotJson'             = @{ Run = { $null = Connect-Mqtt -Broker $script:tls.Uri -TimeoutSeconds 30; Publish-MqttMessage -Topic notjson -Payload 'plain text' -Retain -QoS 1; Register-MqttSubscription -Topic notjson -AsJson -Count 1 -TimeoutSeconds 5 }; TargetType = 'MqttPS.Core.Messages.MqttMessage' }
            'Register-MqttSubscription/ConnectionLost'             = @{ Run = { $b = Start-MqttBroker -Port 0 -Name leaving; $null = Connect-Mqtt -Broker $b.Uri; $stop = Start-PowerShellTask -ArgumentList $b -ScriptBlock { param($b) Start-Sleep -Milliseconds 800; $b.Stop($null, [TimeSpan]::FromSeconds(5)) }; try { Register-MqttSubscription -Topic a -TimeoutSeconds 15 } finally { $null = Wait-PowerShellTask $stop } }; TargetType = 'MqttPS.Core.Shell.MqttConnection' }
            'Get-MqttRetainedMessage/NoConnection'              = @{ Run = { Get-MqttRetainedMessage -Topic '#' }; Target = $null }
            'Get-MqttRetainedMessage/InvalidTopicFilter'        = @{ Run = { Get-MqttRetainedMessage -EmbeddedBroker $script:tls -Topic 'a/#/b' }; Target = @('a/#/b') }
            'Get-MqttRetainedMessage/ConflictingPayloadFormats' = @{ Run = { Get-MqttRetainedMessage -EmbeddedBroker $script:tls -AsString -AsJson }; Target = $null }
            'Get-MqttRetainedMessage/PayloadNotJson'            = @{ Run = { Publish-MqttMessage -Broker $script:tls.Uri -Topic notjson2 -Payload 'plain' -Retain -QoS 1; Get-MqttRetainedMessage -EmbeddedBroker $script:tls -Topic notjson2 -AsJson }; TargetType = 'MqttPS.Core.Messages.MqttMessage' }
            'Clear-MqttRetainedMessage/NoConnection'            = @{ Run = { Clear-MqttRetainedMessage -Topic a -Confirm:$false }; Target = $null }
            'Clear-MqttRetainedMessage/ConflictingConnection'   = @{ Run = { Clear-MqttRetainedMessage -Topic a -Broker $script:tls.Uri -EmbeddedBroker $script:tls -Confirm:$false }; Target = $null }
            'Clear-MqttRetainedMessage/WildcardTopic'           = @{ Run = { Clear-MqttRetainedMessage -EmbeddedBroker $script:tls -Topic 'a/+' -Confirm:$false }; Target = 'a/+' }
            'Clear-MqttRetainedMessage/InvalidTopicFilter'      = @{ Run = { Clear-MqttRetainedMessage -EmbeddedBroker $script:tls -Filter 'a/#/b' -Confirm:$false }; Target = @('a/#/b') }
            'Clear-MqttRetainedMessage/PublishRejected'         = @{ Run = { Clear-MqttRetainedMessage -Broker $script:guarded.Uri -Credential $script:alice -Topic denied -Confirm:$false }; Target = 'denied' }
            'Start-MqttBroker/BrokerNameInUse'           = @{ Run = { Start-MqttBroker -Port 0 -Name errors }; Target = 'errors' }
            'Start-MqttBroker/BrokerStartFailed'         = @{ Run = { Start-MqttBroker -Port $script:tls.Port -Name clash }; Target = 'clash' }
            'Start-MqttBroker/PortConflict'              = @{ Run = { Start-MqttBroker -Port 5000 -WebSocketPort 5000 -Name ports }; Target = 5000 }
            'Start-MqttBroker/InvalidBindAddress'        = @{ Run = { Start-MqttBroker -Port 0 -BindAddress nowhere.example -Name bind }; Target = 'nowhere.example' }
            'Start-MqttBroker/NoWayIn'                   = @{ Run = { Start-MqttBroker -Port 0 -AllowAnonymous:$false -Name closed }; Target = $null }
            'Start-MqttBroker/InvalidUser'               = @{ Run = { Start-MqttBroker -Port 0 -Users @{ 'a:b' = 'x' } -Name colon }; Target = 'a:b' }
            'Start-MqttBroker/CertificateConflict'       = @{ Run = { Start-MqttBroker -Port 0 -CertificatePath $script:certs.PfxPath -Certificate ([Security.Cryptography.X509Certificates.X509Certificate2]::new($script:certs.PfxPath, 'pfx-pw')) -Name two }; Target = $null }
            'Start-MqttBroker/CertificateRequired'       = @{ Run = { Start-MqttBroker -Port 0 -TlsPort 0 -Name nocert }; Target = '-TlsPort' }
            'Start-MqttBroker/ClientCertificateRequired' = @{ Run = { Start-MqttBroker -Port 0 -CertificatePath $script:certs.PfxPath -CertificatePassword $script:pfxPassword -TlsPort 0 -UseCertificateIdentityAsUsername -Name identity }; Target = $null }
            'Start-MqttBroker/CertificateNotFound'       = @{ Run = { Start-MqttBroker -Port 0 -CertificatePath (Join-Path $script:work 'missing.pfx') -Name missing }; Target = { Join-Path $script:work 'missing.pfx' } }
            'Start-MqttBroker/InvalidCertificate'        = @{ Run = { Start-MqttBroker -Port 0 -CertificatePath $script:passwd -TlsPort 0 -Name badcert }; Target = { $script:passwd } }
            'Start-MqttBroker/ClientCaNotFound'          = @{ Run = { Start-MqttBroker -Port 0 -CertificatePath $script:certs.PfxPath -CertificatePassword $script:pfxPassword -TlsPort 0 -ClientCaPath (Join-Path $script:work 'missing-ca.crt') -Name noca }; Target = { Join-Path $script:work 'missing-ca.crt' } }
            'Start-MqttBroker/InvalidClientCa'           = @{ Run = { Start-MqttBroker -Port 0 -CertificatePath $script:certs.PfxPath -CertificatePassword $script:pfxPassword -TlsPort 0 -ClientCaPath $script:passwd -Name badca }; Target = { $script:passwd } }
            'Start-MqttBroker/PasswordFileNotFound'      = @{ Run = { Start-MqttBroker -Port 0 -PasswordFile (Join-Path $script:work 'missing-passwd') -Name nopasswd }; Target = { Join-Path $script:work 'missing-passwd' } }
            'Start-MqttBroker/InvalidPasswordFile'       = @{ Run = { Start-MqttBroker -Port 0 -PasswordFile $script:aclPath -Name badpasswd }; Target = { $script:aclPath } }
            'Start-MqttBroker/AclFileNotFound'           = @{ Run = { Start-MqttBroker -Port 0 -AclPath (Join-Path $script:work 'missing-acl') -Name noacl }; Target = { Join-Path $script:work 'missing-acl' } }
            'Start-MqttBroker/InvalidAclFile'            = @{ Run = { Start-MqttBroker -Port 0 -AclPath $script:passwd -Name badacl }; Target = { $script:passwd } }
            'Start-MqttBroker/InvalidPersistencePath'    = @{ Run = { Start-MqttBroker -Port 0 -PersistencePath $script:passwd -Name filestore }; Target = { $script:passwd } }
            'Start-MqttBroker/PersistencePathInUse'      = @{ Run = { $dir = Join-Path $script:work 'store'; $null = Start-MqttBroker -Port 0 -PersistencePath $dir -Name store1; Start-MqttBroker -Port 0 -PersistencePath $dir -Name store2 }; Target = { Join-Path $script:work 'store' } }
            'Start-MqttBroker/PersistencePathRequired'   = @{ Run = { Start-MqttBroker -Port 0 -Durability Batched -Name nostore }; TargetType = 'MqttPS.Core.Broker.Persistence.PersistenceDurability' }
        }
    }

    AfterEach {
        Get-MqttSubscription | Unregister-MqttSubscription -Confirm:$false
        Disconnect-Mqtt -All -Confirm:$false
        Get-MqttBroker | Where-Object Name -notin 'errors', 'guarded' | Stop-MqttBroker -Confirm:$false
    }

    It '<Cmdlet> raises <Id> (<Categories>) with its TargetObject' -ForEach $script:documented {
        $scenario = $script:scenarios["$Cmdlet/$Id"]
        $scenario | Should -Not -BeNullOrEmpty -Because "the documented error $Cmdlet $Id needs a scenario in this test"
        $record = $null
        $ErrorActionPreference = 'Stop'
        $ConfirmPreference = 'None'
        try { $null = & $scenario.Run } catch { $record = $_ }
        $ErrorActionPreference = 'Continue'
        $record.FullyQualifiedErrorId | Should -BeLike "$Id,*" -Because "$Cmdlet raises $Id (got: $record)"
        $command = (Get-Command $Cmdlet).ImplementingType.FullName
        $record.FullyQualifiedErrorId | Should -Be "$Id,$command"
        "$($record.CategoryInfo.Category)" | Should -BeIn $Categories
        if ($scenario.ContainsKey('TargetType')) { $record.TargetObject.GetType().FullName | Should -Be $scenario.TargetType }
        else {
            $expected = if ($scenario.Target -is [scriptblock]) { & $scenario.Target } else { $scenario.Target }
            if ($null -eq $expected) { $record.TargetObject | Should -BeNullOrEmpty }
            else { $record.TargetObject | Should -Be $expected }
        }
        $message = $record.Exception.Message
        $message.Length | Should -BeLessThan 1000
        $message | Should -Not -Match '\(Parameter ''|Async\b|ParamName'
    }

    It 'documents every error it has a scenario for' {
        $documentedKeys = Get-DocumentedError | ForEach-Object { "$($_.Cmdlet)/$($_.Id)" }
        foreach ($key in $script:scenarios.Keys) { $documentedKeys | Should -Contain $key -Because "$key is raised but not documented in the help's NOTES" }
    }
}
