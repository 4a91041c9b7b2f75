# Every example of every cmdlet's help, run as a user pastes it: in a fresh runspace, against a scene that has
# what the examples talk about (a broker named lab with TLS, users and retained data, connections named lab1 and
# lab2, a background subscription 'alerts', the files readings.txt, messages.csv, acl.txt, passwd and
# certificates in the current folder). The examples name real addresses and ports (localhost, 1883, 8883,
# 0.0.0.0, broker.example.com); the scene gives them free loopback ports instead. An example whose description
# says it runs until Ctrl+C must still be running after a few seconds and stop at once when stopped; every
# other example must finish on its own. No example may write an error.

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers/MqttPSTestHelpers.psm1') -Force
    Import-Module (Get-MqttPSModulePath) -Force
    $script:examples = foreach ($name in (Get-Module MqttPS).ExportedCmdlets.Keys | Sort-Object) {
        foreach ($e in @((Get-Help $name -Full).examples.example)) {
            $remarks = ($e.remarks.Text -join ' ')
            @{ Cmdlet = $name; Title = ($e.title -replace '^-+\s*|\s*-+$', ''); Code = $e.code; UntilStopped = $remarks -match 'Ctrl\+C' }
        }
    }
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers/MqttPSTestHelpers.psm1') -Force
    $script:fixtures = Join-Path ([IO.Path]::GetTempPath()) ('mqttps-examples-' + [guid]::NewGuid().ToString('n'))
    $null = New-TestCertificateSet -Directory $script:fixtures
    Set-Content -LiteralPath (Join-Path $script:fixtures 'readings.txt') -Value '20.5', '20.7', '21.0'
    Set-Content -LiteralPath (Join-Path $script:fixtures 'messages.csv') -Value 'Topic,Payload,QoS,Retain', 'home/hall/light,on,1,true', 'home/hall/door,closed,0,false'
    Set-Content -LiteralPath (Join-Path $script:fixtures 'acl.txt') -Value 'user alice', 'topic readwrite sensors/#', 'pattern write devices/%c/status'
    # A line written by mosquitto_passwd (alice / wonderland).
    Set-Content -LiteralPath (Join-Path $script:fixtures 'passwd') -Value 'alice:$7$101$xCX8SbgMaFu/VJN1$OsTANhGbeL+N4T8/fHMskNgdUEJ3nk6p3pK3JV2ANFWZF7bbp7Mc98k5+eGdukxvS53YiP0KbYvv03FBJjf/fA=='
    $script:credential = [pscredential]::new('operator', (ConvertTo-SecureString 's3cret' -AsPlainText -Force))

    # Runs in the example's runspace before the example, in a copy of the fixture folder.
    $script:scene = {
        param($modulePath, $fixtures)
        Import-Module $modulePath
        $work = Join-Path $fixtures ('run-' + [guid]::NewGuid().ToString('n'))
        $null = New-Item -ItemType Directory -Path $work
        Get-ChildItem -LiteralPath $fixtures -File | Copy-Item -Destination $work
        Set-Location -LiteralPath $work
        $pfxPassword = ConvertTo-SecureString 'pfx-pw' -AsPlainText -Force
        $lab = Start-MqttBroker -Port 0 -Name lab -CertificatePath ./server.pfx -CertificatePassword $pfxPassword -TlsPort 0 -Users @{ operator = 's3cret' } -AllowAnonymous
        $PSDefaultParameterValues['Start-MqttBroker:Port'] = 0           # a broker started without -Port: not 1883
        $null = Connect-Mqtt -Broker $lab.Uri -Name lab1
        foreach ($name in 'lamp', 'heater') { Publish-MqttMessage -Topic "config/$name" -Payload '{"on":true}' -Retain -QoS 1 }
        1..10 | ForEach-Object { Publish-MqttMessage -Topic "sensors/$_/temp" -Payload @{ value = 20 + $_ / 10 } -Retain -QoS 1 }
        Publish-MqttMessage -Topic 'devices/7/state' -Payload 'decommissioned' -Retain -QoS 1
        Publish-MqttMessage -Topic 'devices/8/state' -Payload 'active' -Retain -QoS 1
        Publish-MqttMessage -Topic 'devices/old/1' -Payload 'gone' -Retain -QoS 1
        Publish-MqttMessage -Topic 'jobs/done' -Payload 'build 42' -Retain -QoS 1
        $null = Connect-Mqtt -Broker $lab.Uri -Name lab2                   # the default connection
        $null = Register-MqttSubscription -Topic 'alerts/#' -SourceIdentifier alerts
        $ExampleSubstitutions = @{
            '(?<=-Broker )localhost\b'         = "127.0.0.1:$($lab.Port)"
            'mqtts://broker\.example\.com'     = "$($lab.TlsUri) -CaCertificatePath ./ca.crt"   # and trust the scene's CA
            '(?<=-Port )1883\b'                = '0'
            '(?<=-TlsPort )8883\b'             = '0'
            '(?<=-WebSocketPort )8080\b'       = '0'
            '(?<=-SecureWebSocketPort )8443\b' = '0'
            '(?<=-BindAddress )0\.0\.0\.0'     = '127.0.0.1'
        }
    }
}

AfterAll {
    Remove-Item -LiteralPath $script:fixtures -Recurse -Force -ErrorAction SilentlyContinue
}

Describe '<Cmdlet>: <Title>' -ForEach $script:examples {
    It 'runs as documented, without errors' {
        $run = Invoke-ExampleCode -Code $Code -Setup $script:scene -SetupArguments (Get-MqttPSModulePath), $script:fixtures `
            -UntilStopped:$UntilStopped -Answers 'A' -Credential $script:credential -Secret 'pfx-pw'
        $shown = "`n--- as run:`n$($run.Code)"
        ($run.Errors | ForEach-Object { "$_" }) -join "`n" | Should -BeNullOrEmpty -Because "the example writes no error$shown"
        if ($UntilStopped) {
            $run.Completed | Should -BeFalse -Because "the example runs until Ctrl+C$shown"
            $run.StopSeconds | Should -BeLessThan 1.5 -Because 'Ctrl+C returns the prompt at once'
        }
        else {
            $run.Completed | Should -BeTrue -Because "the example finishes on its own$shown"
        }
    }
}
