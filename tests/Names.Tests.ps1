# Names and what users see of them: tab completion (-QoS, connection, broker and subscription names), names by
# position, the only broker, a lost connection's name and state, a broker-assigned client id; and what the broker
# says: -Verbose UNSUBSCRIBE, who cleared a retained message, $SYS topics by default.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers/MqttPSTestHelpers.psm1') -Force
    Import-Module (Get-MqttPSModulePath) -Force -ErrorAction Stop

    # What Tab offers at the end of -Line, as PowerShell's completion engine (TabExpansion2) computes it.
    function Get-Completion([string] $Line) {
        @((TabExpansion2 -inputScript $Line -cursorColumn $Line.Length).CompletionMatches | ForEach-Object CompletionText)
    }
}

AfterAll {
    Get-MqttSubscription | Unregister-MqttSubscription -Confirm:$false
    Disconnect-Mqtt -All -Confirm:$false
    Stop-MqttBroker -All -Confirm:$false
}

Describe 'Tab completion' {
    BeforeAll {
        $script:lab = Start-MqttBroker -Port 0 -Name 'lab'
        $script:office = Start-MqttBroker -Port 0 -Name 'office'
        $null = Connect-Mqtt -Broker $script:lab.Uri -Name 'plant-a'
        $null = Connect-Mqtt -Broker $script:lab.Uri -Name 'plant b'
        $script:sub = Register-MqttSubscription -Topic 'alerts/#' -SourceIdentifier 'ops.alerts'
    }
    AfterAll {
        $script:sub | Unregister-MqttSubscription -Confirm:$false
        Disconnect-Mqtt -Name 'plant*' -Confirm:$false
        $script:office, $script:lab | Stop-MqttBroker -Confirm:$false
    }

    It 'offers 0, 1 and 2 for <Line>, not file names' -ForEach @(
        @{ Line = 'Publish-MqttMessage -Topic t -QoS ' }
        @{ Line = 'Register-MqttSubscription -Topic t -QoS ' }
        @{ Line = 'Connect-Mqtt -WillTopic t -WillQoS ' }
    ) {
        Get-Completion $Line | Should -Be @('0', '1', '2')
    }

    It 'offers the session''s connection names, quoted where needed' {
        Get-Completion 'Disconnect-Mqtt -Name pl' | Should -Be @("'plant b'", 'plant-a')
        Get-Completion 'Get-MqttConnection pla' | Should -Be @("'plant b'", 'plant-a')
        Get-Completion 'Disconnect-Mqtt plant-' | Should -Be @('plant-a')
        Get-Completion 'Disconnect-Mqtt ' | Should -Be @("'plant b'", 'plant-a')
    }

    It 'offers the session''s broker names' {
        Get-Completion 'Stop-MqttBroker -Name ' | Should -Be @('lab', 'office')
        Get-Completion 'Stop-MqttBroker o' | Should -Be @('office')
        Get-Completion 'Stop-MqttBroker ' | Should -Be @('lab', 'office')
        Get-Completion 'Get-MqttBroker l' | Should -Be @('lab')
        Get-Completion 'Get-MqttBrokerClient -BrokerName of' | Should -Be @('office')
    }

    It 'offers the session''s subscriptions by source identifier and id' {
        Get-Completion 'Unregister-MqttSubscription -SourceIdentifier ops' | Should -Be @('ops.alerts')
        Get-Completion 'Get-MqttSubscription -SourceIdentifier ' | Should -Be @('ops.alerts')
        Get-Completion 'Get-MqttSubscription -Id ' | Should -Be @("$($script:sub.Id)")
        Get-Completion 'Unregister-MqttSubscription -Id ' | Should -Be @("$($script:sub.Id)")
    }
}

Describe 'Stop-MqttBroker and Disconnect-Mqtt take names by position' {
    It 'stops a broker and closes a connection named by the first argument' {
        $b = Start-MqttBroker -Port 0 -Name 'positional'
        $c = Connect-Mqtt -Broker $b.Uri -Name 'by-position'
        Disconnect-Mqtt by-position -Confirm:$false
        $c.State | Should -Be 'Closed'
        Stop-MqttBroker positional -Confirm:$false
        $b.IsRunning | Should -BeFalse
    }

    It 'still takes broker and connection objects by position and from the pipeline' {
        $b = Start-MqttBroker -Port 0 -Name 'object'
        $c = Connect-Mqtt -Broker $b.Uri -Name 'object-connection'
        Disconnect-Mqtt $c -Confirm:$false
        $c.State | Should -Be 'Closed'
        Stop-MqttBroker $b -Confirm:$false
        $b.IsRunning | Should -BeFalse
        $b2 = Start-MqttBroker -Port 0 -Name 'piped'
        $b2 | Stop-MqttBroker -Confirm:$false
        $b2.IsRunning | Should -BeFalse
    }

    It 'stops the only broker without an argument, and with several says which names exist' {
        Get-MqttBroker | Should -BeNullOrEmpty
        $err = $null
        try { Stop-MqttBroker -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be 'BrokerNotFound,MqttPS.Commands.StopMqttBrokerCommand'
        $err.CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $first = Start-MqttBroker -Port 0 -Name 'first'
        $second = Start-MqttBroker -Port 0 -Name 'second'
        $err = $null
        try { Stop-MqttBroker -Confirm:$false -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be 'AmbiguousBroker,MqttPS.Commands.StopMqttBrokerCommand'
        $err.Exception.Message | Should -Match 'first, second'
        $err.TargetObject | Should -Be @('first', 'second')
        $first.IsRunning, $second.IsRunning | Should -Be @($true, $true)
        Stop-MqttBroker second -Confirm:$false
        Stop-MqttBroker -Confirm:$false
        $first.IsRunning | Should -BeFalse
    }
}

Describe 'A broker object where an address is expected' {
    # -Broker takes an address as text; a broker started here, given as is, used to arrive as its display text.
    BeforeAll { $script:given = Start-MqttBroker -Port 0 -Name 'given' }
    AfterAll { if ($script:given.IsRunning) { $script:given | Stop-MqttBroker -Confirm:$false } }

    It 'connects to it: Connect-Mqtt $broker' {
        $c = Connect-Mqtt $script:given -Name 'to-given'
        try {
            $c.IsConnected | Should -BeTrue
            $c.Broker | Should -Be $script:given.Uri
        } finally { $c | Disconnect-Mqtt -Confirm:$false }
    }

    It 'publishes, reads and clears retained messages through it with -Broker $broker' {
        Publish-MqttMessage -Broker $script:given -Topic 'given/1' -Payload 'kept' -Retain
        (Get-MqttRetainedMessage -Broker $script:given -Topic 'given/1').Payload | Should -Be 'kept'
        Clear-MqttRetainedMessage -Broker $script:given -Topic 'given/1' -Confirm:$false
        $script:given.RetainedCount | Should -Be 0
    }

    It 'says a stopped broker has no address' {
        $stopped = Start-MqttBroker -Port 0 -Name 'given-stopped'
        $stopped | Stop-MqttBroker -Confirm:$false
        { Connect-Mqtt $stopped -Name 'to-stopped' } | Should -Throw "*broker 'given-stopped' is stopped, so it has no address*"
    }
}

Describe 'A lost connection' {
    It 'shows State Lost with the reason apart, and gives its name to the next Connect-Mqtt' {
        $b = Start-MqttBroker -Port 0 -Name 'going'
        $c = Connect-Mqtt -Broker $b.Uri -Name 'm5'
        $b | Stop-MqttBroker -Confirm:$false
        Wait-Until -Because 'the connection to be lost' -Condition { $c.State -eq 'Lost' }
        $c.LostReason | Should -Not -BeNullOrEmpty
        $c.State | Should -BeExactly 'Lost'
        (Get-MqttConnection -Name m5 | Format-Table | Out-String -Width 80) | Should -Match 'm5\s+Lost\s'
        $b2 = Start-MqttBroker -Port 0 -Name 'back'
        try {
            $again = Connect-Mqtt -Broker $b2.Uri -Name 'm5' -ErrorAction Stop
            $again.State | Should -Be 'Connected'
            @(Get-MqttConnection -Name m5).Count | Should -Be 1
            (Get-MqttConnection -Name m5).State | Should -Be 'Connected'
        }
        finally {
            Disconnect-Mqtt -Name m5 -Confirm:$false
            $b2 | Stop-MqttBroker -Confirm:$false
        }
    }

    It 'still blocks its name while it is open' {
        $b = Start-MqttBroker -Port 0 -Name 'open'
        try {
            $null = Connect-Mqtt -Broker $b.Uri -Name 'taken'
            { Connect-Mqtt -Broker $b.Uri -Name 'taken' -ErrorAction Stop } | Should -Throw -ErrorId 'ConnectionNameInUse,MqttPS.Commands.ConnectMqttCommand'
        }
        finally {
            Disconnect-Mqtt -Name taken -Confirm:$false
            $b | Stop-MqttBroker -Confirm:$false
        }
    }
}

Describe 'Connect-Mqtt -ClientId ""' {
    It 'gets a client id assigned by <Server> and shows it on the connection' -ForEach @(
        @{ Server = 'the embedded broker' }
        @{ Server = 'mosquitto' }
    ) {
        if ($Server -eq 'mosquitto') { $peer = Start-Mosquitto; $uri = $peer.Uri }
        else { $peer = Start-MqttBroker -Port 0 -Name 'assigning'; $uri = $peer.Uri }
        try {
            $c = Connect-Mqtt -Broker $uri -ClientId '' -Name 'assigned'
            $c.ClientId | Should -Not -BeNullOrEmpty
            $c.ClientId | Should -Not -BeLike 'mqttps-*' -Because 'the broker assigned it, the client did not make it up'
            if ($Server -ne 'mosquitto') { (Get-MqttBrokerClient -BrokerName 'assigning').ClientId | Should -Be $c.ClientId }
            (Get-MqttConnection -Name assigned | Format-Table | Out-String -Width 80) | Should -Match ([regex]::Escape($c.ClientId.Substring(0, [Math]::Min(15, $c.ClientId.Length))))
        }
        finally {
            Disconnect-Mqtt -Name assigned -Confirm:$false -ErrorAction SilentlyContinue
            if ($Server -eq 'mosquitto') { Stop-Mosquitto $peer } else { $peer | Stop-MqttBroker -Confirm:$false }
        }
    }

    It 'refuses an empty client id without a clean start, naming the rule' {
        { Connect-Mqtt -Broker 127.0.0.1 -ClientId '' -CleanStart:$false -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidClientId,MqttPS.Commands.ConnectMqttCommand'
    }
}

Describe 'What the broker says' {
    BeforeAll {
        $script:said = Start-MqttBroker -Port 0 -Name 'said'
        $script:conn = Connect-Mqtt -Broker $script:said.Uri -Name 'said' -ClientId 'the-clearer'
    }
    AfterAll {
        Disconnect-Mqtt -Name said -Confirm:$false
        $script:said | Stop-MqttBroker -Confirm:$false
    }

    It 'shows UNSUBSCRIBE with -Verbose when a streaming subscription ends, as it shows SUBSCRIBE' {
        $records = Register-MqttSubscription -Topic 'verbose/#' -TimeoutSeconds 1 -Verbose 4>&1
        $text = (@($records) | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message) -join "`n"
        $text | Should -Match '-> SUBSCRIBE'
        $text | Should -Match '-> UNSUBSCRIBE'
        $text | Should -Match '<- UNSUBACK'
        Get-MqttSubscription | Should -BeNullOrEmpty
    }

    It 'shows UNSUBSCRIBE with -Verbose for Unregister-MqttSubscription' {
        $s = Register-MqttSubscription -Topic 'verbose/bg' -SourceIdentifier 'verbose.bg'
        $records = $s | Unregister-MqttSubscription -Confirm:$false -Verbose 4>&1
        ((@($records) | ForEach-Object Message) -join "`n") | Should -Match '-> UNSUBSCRIBE'
    }

    It 'names the client that cleared a retained message in the broker''s event' {
        $port = Get-FreeTcpPort
        $task = Start-PowerShellTask -ArgumentList $port -ScriptBlock {
            param($port)
            Start-MqttBroker -Port $port -Wait -EventKind RetainedMessageChanged
        }
        try {
            Wait-TcpPort -Port $port
            $c = Connect-Mqtt -Broker "mqtt://127.0.0.1:$port" -ClientId 'the-clearer' -Name 'clearing'
            Publish-MqttMessage -Connection $c -Topic 'keep/me' -Payload 'x' -Retain -QoS 1
            Clear-MqttRetainedMessage -Connection $c -Topic 'keep/me' -Confirm:$false
            Wait-Until -Because 'two retained-message events' -Condition { $task.Output.Count -ge 2 }
            $set, $cleared = $task.Output[0], $task.Output[1]
            $set.Reason | Should -Be 'set'
            $cleared.Reason | Should -Be 'cleared'
            $cleared.Topic | Should -Be 'keep/me'
            $cleared.ClientId | Should -Be 'the-clearer'
        }
        finally {
            Disconnect-Mqtt -Name clearing -Confirm:$false -ErrorAction SilentlyContinue
            $null = Stop-PowerShellTask -Task $task
            $task.PowerShell.Dispose()
        }
    }

    It 'publishes $SYS topics by default, as mosquitto does, and none with -SysIntervalSeconds 0' {
        $b = Start-MqttBroker -Port 0 -Name 'sys'
        $quiet = Start-MqttBroker -Port 0 -Name 'quiet' -SysIntervalSeconds 0
        try {
            # mosquitto_sub, the tool every MQTT tutorial uses, sees them.
            $lines = & mosquitto_sub -h 127.0.0.1 -p $b.Port -t '$SYS/broker/version' -C 1 -W 15 2>&1
            $LASTEXITCODE | Should -Be 0
            "$lines" | Should -Match 'MqttPS'
            (Get-MqttRetainedMessage -EmbeddedBroker $b -Topic '$SYS/#').Topic | Should -Contain '$SYS/broker/uptime'
            Get-MqttRetainedMessage -EmbeddedBroker $quiet -Topic '$SYS/#' | Should -BeNullOrEmpty
        }
        finally { $b, $quiet | Stop-MqttBroker -Confirm:$false }
    }
}
