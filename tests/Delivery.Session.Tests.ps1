# Pester 5: what a PowerShell session holds (issue 12): a client id used twice, and Remove-Module /
# Import-Module -Force stopping what the module started. Every wait has a deadline.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers/MqttPSTestHelpers.psm1') -Force
    Import-Module (Get-MqttPSModulePath) -Force -ErrorAction Stop
}

AfterAll {
    if (Get-Module MqttPS) {
        Get-MqttSubscription | Unregister-MqttSubscription -Confirm:$false
        Disconnect-Mqtt -All -Confirm:$false
        Stop-MqttBroker -All -Confirm:$false
    }
}

Describe 'A client id used by two connections of the session (<Kind>, MQTT <Version>)' -ForEach @(
    @{ Kind = 'mosquitto'; Version = '3.1.1' }
    @{ Kind = 'mosquitto'; Version = '5.0' }
    @{ Kind = 'embedded'; Version = '5.0' }
) {
    It 'warns at Connect-Mqtt and the first connection does not take the session back' {
        if ($Kind -eq 'embedded') { $embedded = Start-MqttBroker -Port 0 -Name 'takeover'; $uri = $embedded.Uri }
        else { $server = Start-Mosquitto; $uri = $server.Uri }
        try {
            $first = Connect-Mqtt -Broker $uri -ProtocolVersion $Version -ClientId 'twice' -Name 'first' -AutoReconnect -ReconnectMaxDelaySeconds 1
            $second = Connect-Mqtt -Broker $uri -ProtocolVersion $Version -ClientId 'twice' -Name 'second' -AutoReconnect -ReconnectMaxDelaySeconds 1 -WarningVariable warnings -WarningAction SilentlyContinue
            @($warnings).Count | Should -Be 1
            "$($warnings[0])" | Should -Match "The client id 'twice' was in use by the connection 'first'"
            Wait-Until -Because 'the first connection to end' -Condition { $first.State -like 'Lost*' }
            # Without the fix the two took the session from each other about every half second.
            Start-Sleep -Seconds 3
            $first.State | Should -BeLike 'Lost*'
            $first.TakenOverBy | Should -Be 'second'
            $first.ReconnectCount | Should -Be 0
            $second.State | Should -Be 'Connected'
            $second.ReconnectCount | Should -Be 0
            Publish-MqttMessage -Connection $second -Topic 'takeover/t' -Payload 'still here' -QoS 1
        }
        finally {
            Disconnect-Mqtt -Name 'first', 'second' -Confirm:$false -ErrorAction SilentlyContinue
            if ($server) { Stop-Mosquitto $server }
            if ($embedded) { Stop-MqttBroker $embedded -Confirm:$false }
        }
    }
}

Describe 'Removing the module stops what it started in the session' {
    It 'stops brokers, closes connections and ends -Action jobs on <How>; a new import starts afresh' -ForEach @(
        @{ How = 'Remove-Module' }
        @{ How = 'Import-Module -Force' }
    ) {
        $server = Start-Mosquitto
        try {
            $broker = Start-MqttBroker -Port 0 -Name 'kept'
            $null = Connect-Mqtt -Broker $server.Uri -Name 'main' -ClientId 'cleanup-client'
            $global:hits = 0
            $null = Register-MqttSubscription -Topic 'rm/#' -SourceIdentifier 'rm' -Action { $global:hits++ }
            & mosquitto_pub -h 127.0.0.1 -p $server.Port -t 'rm/1' -m 'one'
            Wait-Until -Because 'the action to run' -Condition { $global:hits -ge 1 }

            if ($How -eq 'Remove-Module') { Remove-Module MqttPS } else { Import-Module (Get-MqttPSModulePath) -Force }

            { [System.Net.Sockets.TcpClient]::new('127.0.0.1', $broker.Port).Dispose() } | Should -Throw -Because 'the embedded broker stopped listening'
            @(Get-EventSubscriber -SourceIdentifier 'rm' -ErrorAction SilentlyContinue).Count | Should -Be 0
            @(Get-Job -Name 'rm' -ErrorAction SilentlyContinue).Count | Should -Be 0
            & mosquitto_pub -h 127.0.0.1 -p $server.Port -t 'rm/1' -m 'two'
            Start-Sleep -Milliseconds 500
            $global:hits | Should -Be 1 -Because 'the action no longer runs'

            if ($How -eq 'Remove-Module') { Import-Module (Get-MqttPSModulePath) }
            @(Get-MqttConnection).Count | Should -Be 0
            @(Get-MqttBroker).Count | Should -Be 0
            # The old objects no longer block their names.
            $again = Start-MqttBroker -Port 0 -Name 'kept'
            $connection = Connect-Mqtt -Broker $server.Uri -Name 'main' -ClientId 'cleanup-client' -WarningVariable warnings
            @($warnings).Count | Should -Be 0 -Because 'the old connection with that client id was closed'
            $connection.State | Should -Be 'Connected'
            $again.IsRunning | Should -BeTrue
        }
        finally {
            Disconnect-Mqtt -All -Confirm:$false -ErrorAction SilentlyContinue
            Stop-MqttBroker -All -Confirm:$false -ErrorAction SilentlyContinue
            Stop-Mosquitto $server
        }
    }
}
