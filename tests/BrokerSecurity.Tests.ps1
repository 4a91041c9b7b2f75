# Pester 5: the broker under attack, as a PowerShell user sees it (issue 16): packet size limits on Start-MqttBroker
# (-MaxPacketSize, -MaxConnectPacketSize) and their help, sessions that belong to their user, wills in their user's name.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers/MqttPSTestHelpers.psm1') -Force
    Import-Module (Get-MqttPSModulePath) -Force -ErrorAction Stop

    function New-TestCredential([string] $User, [string] $Password) {
        New-Object System.Management.Automation.PSCredential($User, (ConvertTo-SecureString $Password -AsPlainText -Force))
    }
}

AfterAll {
    Disconnect-Mqtt -All -Confirm:$false
    Stop-MqttBroker -All -Confirm:$false
    Remove-Module MqttPS -Force -ErrorAction SilentlyContinue
}

Describe 'Start-MqttBroker -MaxPacketSize and -MaxConnectPacketSize' {
    AfterEach {
        Disconnect-Mqtt -All -Confirm:$false
        Stop-MqttBroker -All -Confirm:$false
    }

    It 'refuses a packet larger than -MaxPacketSize and accepts one that fits' {
        $b = Start-MqttBroker -Port 0 -Name 'small-packets' -MaxPacketSize 1000
        $c = Connect-Mqtt -Broker $b.Uri -Name 'sender'
        Publish-MqttMessage -Connection $c -Topic 'size/ok' -Payload ('x' * 500) -QoS 1 -ErrorAction Stop
        $err = $null
        try { Publish-MqttMessage -Connection $c -Topic 'size/big' -Payload ('x' * 2000) -QoS 1 -ErrorAction Stop } catch { $err = $_ }
        $err | Should -Not -BeNullOrEmpty
        $err.Exception.Message | Should -Match 'at most 1000 bytes.*PacketTooLarge'
    }

    It 'refuses a CONNECT above -MaxConnectPacketSize with Packet too large, and takes larger packets once logged in' {
        $b = Start-MqttBroker -Port 0 -Name 'small-connect' -MaxConnectPacketSize 200
        $err = $null
        try { Connect-Mqtt -Broker $b.Uri -Name 'big-will' -WillTopic 'w' -WillPayload ('x' * 500) -ErrorAction Stop } catch { $err = $_ }
        $err | Should -Not -BeNullOrEmpty
        $err.FullyQualifiedErrorId | Should -BeLike 'ConnectFailed,*'
        $err.Exception.Message | Should -Match 'too large|0x95|PacketTooLarge'
        $c = Connect-Mqtt -Broker $b.Uri -Name 'small-will' -WillTopic 'w' -WillPayload 'bye'
        Publish-MqttMessage -Connection $c -Topic 'size/after-login' -Payload ('x' * 5000) -QoS 1 -ErrorAction Stop
        $c.IsConnected | Should -BeTrue
    }

    It 'refuses a limit below 20 bytes with an error naming the parameter' {
        { Start-MqttBroker -Port 0 -Name 'tiny' -MaxPacketSize 10 -ErrorAction Stop } |
            Should -Throw -ErrorId 'PacketSizeTooSmall,MqttPS.Commands.StartMqttBrokerCommand'
        Get-MqttBroker -Name 'tiny' -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'states the memory bounds in the help' {
        $help = Get-Help Start-MqttBroker -Full
        ($help.parameters.parameter | Where-Object name -eq 'MaxPacketSize').description.Text | Should -Match 'four times this size'
        ($help.parameters.parameter | Where-Object name -eq 'MaxConnectPacketSize').description.Text | Should -Match '64 KiB'
        $description = ($help.description | Out-String)
        $description | Should -Match '100 QoS 2 messages unreleased'
        $description | Should -Match 'million retained messages'
    }
}

Describe 'Sessions and wills belong to their user' {
    BeforeAll {
        $script:dir = Join-Path ([IO.Path]::GetTempPath()) ('mqttps-security-' + [Guid]::NewGuid().ToString('n'))
        $null = New-Item -ItemType Directory -Path $script:dir
        $script:acl = Join-Path $script:dir 'acl.txt'
        Set-Content -Path $script:acl -Value @('topic write anon/x', 'user alice', 'topic readwrite alice/#', 'user bob', 'topic readwrite bob/#')
        $script:b = Start-MqttBroker -Port 0 -Name 'owned' -Users @{ alice = 'alice-pw'; bob = 'bob-pw' } -AllowAnonymous -AclPath $script:acl
        $script:alice = New-TestCredential 'alice' 'alice-pw'
        $script:bob = New-TestCredential 'bob' 'bob-pw'
    }
    AfterAll {
        Get-MqttSubscription | Unregister-MqttSubscription -Confirm:$false -ErrorAction SilentlyContinue
        Disconnect-Mqtt -All -Confirm:$false
        Stop-MqttBroker -All -Confirm:$false
        Remove-Item -Path $script:dir -Recurse -Force -ErrorAction SilentlyContinue
    }

    It "refuses alice with bob's client id, and bob gets his session with its queued message back" {
        $phone = Connect-Mqtt -Broker $script:b.Uri -Credential $script:bob -ClientId 'bob-phone' -CleanStart:$false -SessionExpirySeconds 3600 -Name 'bob-phone'
        # A background subscription stays in the session when the connection goes away.
        $null = Register-MqttSubscription -Connection $phone -Topic 'bob/#' -QoS 1 -Action { }
        Disconnect-Mqtt -Connection $phone -Confirm:$false
        Publish-MqttMessage -Broker $script:b.Uri -Credential $script:bob -Topic 'bob/private' -Payload 'for bob only' -QoS 1

        $err = $null
        try { Connect-Mqtt -Broker $script:b.Uri -Credential $script:alice -ClientId 'bob-phone' -CleanStart:$false -SessionExpirySeconds 3600 -Name 'thief' -ErrorAction Stop } catch { $err = $_ }
        $err | Should -Not -BeNullOrEmpty
        $err.FullyQualifiedErrorId | Should -BeLike 'ConnectFailed,*'
        $err.Exception.Message | Should -Match 'not authori'

        $back = Connect-Mqtt -Broker $script:b.Uri -Credential $script:bob -ClientId 'bob-phone' -CleanStart:$false -SessionExpirySeconds 3600 -Name 'bob-back'
        $back.SessionPresent | Should -BeTrue
    }

    It "refuses a will to a topic the user may not write, and publishes one she may" {
        $err = $null
        try { Connect-Mqtt -Broker $script:b.Uri -Credential $script:alice -ClientId 'alice-forger' -WillTopic 'anon/x' -WillPayload 'forged' -Name 'forger' -ErrorAction Stop } catch { $err = $_ }
        $err | Should -Not -BeNullOrEmpty
        $err.Exception.Message | Should -Match 'not authori'
        $ok = Connect-Mqtt -Broker $script:b.Uri -Credential $script:alice -ClientId 'alice-ok' -WillTopic 'alice/status' -WillPayload 'offline' -Name 'alice-ok'
        $ok.IsConnected | Should -BeTrue
    }
}
