# Pester 5: subscriptions that share a connection or a filter, and background (-Action / -SourceIdentifier)
# subscriptions (issue 12). Real PowerShell against mosquitto and the embedded broker; every wait has a deadline.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers/MqttPSTestHelpers.psm1') -Force
    Import-Module (Get-MqttPSModulePath) -Force -ErrorAction Stop

    # The broker under test: mosquitto (3.1.1 or 5.0 on the client side) or the embedded broker.
    function Start-TestBroker {
        param([string] $Kind)
        if ($Kind -eq 'embedded') {
            $b = Start-MqttBroker -Port 0 -Name ('b' + [guid]::NewGuid().ToString('n').Substring(0, 8))
            [pscustomobject]@{ Uri = $b.Uri; Port = $b.Port; Stop = { Stop-MqttBroker $b -Confirm:$false }.GetNewClosure() }
        }
        else {
            $m = Start-Mosquitto
            [pscustomobject]@{ Uri = $m.Uri; Port = $m.Port; Stop = { Stop-Mosquitto $m }.GetNewClosure() }
        }
    }
}

AfterAll {
    Get-MqttSubscription | Unregister-MqttSubscription -Confirm:$false
    Disconnect-Mqtt -All -Confirm:$false
    Stop-MqttBroker -All -Confirm:$false
}

Describe 'A short look at a filter does not disturb a running subscription on it (<Kind>, MQTT <Version>)' -ForEach @(
    @{ Kind = 'mosquitto'; Version = '5.0' }
    @{ Kind = 'mosquitto'; Version = '3.1.1' }
    @{ Kind = 'embedded'; Version = '5.0' }
) {
    BeforeAll {
        $script:broker = Start-TestBroker $Kind
        $script:connection = Connect-Mqtt -Broker $script:broker.Uri -ProtocolVersion $Version -Name 'shared'
        $script:publisher = Connect-Mqtt -Broker $script:broker.Uri -ProtocolVersion $Version -Name 'shared-pub'
        Publish-MqttMessage -Connection $script:publisher -Topic 'q/state' -Payload 'retained-1' -Retain -QoS 1
    }
    AfterAll {
        Get-MqttSubscription | Unregister-MqttSubscription -Confirm:$false
        Disconnect-Mqtt -Name 'shared', 'shared-pub' -Confirm:$false -ErrorAction SilentlyContinue
        & $script:broker.Stop
    }

    It 'keeps the first subscription at its QoS and shows it no re-sent retained message' {
        $global:seen = [System.Collections.Concurrent.ConcurrentQueue[object]]::new()
        $background = Register-MqttSubscription -Connection $script:connection -Topic 'q/#' -QoS 2 -Action { $global:seen.Enqueue($Event.MessageData) }
        try {
            Wait-Until -Because 'the retained message for the new subscription' -Condition { $global:seen.Count -ge 1 }

            # A streaming look at QoS 0 and a read of the retained messages, on the same connection and filter.
            $look = @(Register-MqttSubscription -Connection $script:connection -Topic 'q/#' -QoS 0 -TimeoutSeconds 1)
            $look.Payload | Should -Be 'retained-1' -Because 'the newcomer gets the retained message'
            $retained = @(Get-MqttRetainedMessage -Connection $script:connection -Topic 'q/#' -QuietMilliseconds 300)
            $retained.Payload | Should -Be 'retained-1'

            Publish-MqttMessage -Connection $script:publisher -Topic 'q/live' -Payload 'live-1' -QoS 2
            Wait-Until -Because 'the live message' -Condition { @($global:seen.ToArray() | Where-Object Payload -EQ 'live-1').Count -ge 1 }
            Start-Sleep -Milliseconds 300
            $all = $global:seen.ToArray()
            ($all | ForEach-Object Payload) | Should -Be @('retained-1', 'live-1') -Because 'the looks re-sent no retained message to the running subscription'
            ($all | Where-Object Payload -EQ 'live-1').QoS | Should -Be 'ExactlyOnce' -Because 'the QoS 0 look did not downgrade the broker subscription'
            $background.State | Should -Be 'Active'
            $script:connection.Subscriptions | Should -Be @('q/#')
        }
        finally { $background | Unregister-MqttSubscription -Confirm:$false }
        $script:connection.Subscriptions | Should -BeNullOrEmpty
    }
}

Describe 'Unregister-Event and Stop-Job end a background subscription' {
    BeforeAll {
        $script:broker = Start-MqttBroker -Port 0 -Name 'events'
        $script:connection = Connect-Mqtt -Broker $script:broker.Uri -Name 'events' -ClientId 'events-client'
    }
    AfterAll {
        Disconnect-Mqtt -Name 'events' -Confirm:$false -ErrorAction SilentlyContinue
        Stop-MqttBroker $script:broker -Confirm:$false
    }

    It 'unsubscribes at the broker on <Command> and frees the source identifier' -ForEach @(
        @{ Command = 'Unregister-Event' }
        @{ Command = 'Stop-Job' }
    ) {
        $subscription = Register-MqttSubscription -Topic 'ev/#' -SourceIdentifier 'watch' -Action { }
        (Get-MqttBrokerClient -BrokerName 'events' -ClientId 'events-client').Subscriptions | Should -Contain 'ev/#'
        if ($Command -eq 'Unregister-Event') { Unregister-Event -SourceIdentifier 'watch' } else { Stop-Job -Name 'watch' }
        $subscription.State | Should -Be 'Stopped'
        @(Get-MqttSubscription).Count | Should -Be 0
        $script:connection.Subscriptions | Should -BeNullOrEmpty
        Wait-Until -Because 'the broker to drop the subscription' -Condition {
            @((Get-MqttBrokerClient -BrokerName 'events' -ClientId 'events-client').Subscriptions).Count -eq 0
        }
        $again = Register-MqttSubscription -Topic 'ev/#' -SourceIdentifier 'watch' -Action { }
        $again.State | Should -Be 'Active'
        $again | Unregister-MqttSubscription -Confirm:$false
        Get-Job -Name 'watch' -ErrorAction SilentlyContinue | Remove-Job -Force
    }

    It 'says when the connection ends under a background subscription' {
        $other = Start-MqttBroker -Port 0 -Name 'vanishing'
        $c = Connect-Mqtt -Broker $other.Uri -Name 'vanishing'
        $subscription = Register-MqttSubscription -Connection $c -Topic 'gone/#' -SourceIdentifier 'gone' -Action { 'ran' }
        Stop-MqttBroker $other -Confirm:$false
        Wait-Until -Because 'the subscription to see its connection lost' -Condition { $subscription.State -eq 'Lost' }
        $subscription.EndReason | Should -Match "the connection 'vanishing' was lost"
        # The next MqttPS command in the session says so, once.
        $null = Get-MqttSubscription -WarningVariable notices -WarningAction SilentlyContinue
        @($notices).Count | Should -Be 1
        "$($notices[0])" | Should -Match "background subscription #$($subscription.Id) to gone/# \(gone\) has ended"
        $null = Get-MqttSubscription -WarningVariable again -WarningAction SilentlyContinue
        @($again).Count | Should -Be 0
        $subscription | Unregister-MqttSubscription -Confirm:$false
    }
}

Describe 'A slow background subscription loses nothing and keeps the event queue bounded' {
    BeforeAll {
        $script:server = Start-Mosquitto -ConfigLines 'max_queued_messages 100000'
        $script:connection = Connect-Mqtt -Broker $script:server.Uri -Name 'bg'
    }
    AfterAll {
        Disconnect-Mqtt -Name 'bg' -Confirm:$false -ErrorAction SilentlyContinue
        Stop-Mosquitto $script:server
    }

    It 'runs the action for every QoS 1 message, in arrival order, holding the rest back at the broker' {
        $global:actionGot = [System.Collections.Generic.List[string]]::new()
        $subscription = Register-MqttSubscription -Topic 'bg/t' -QoS 1 -QueueSize 50 -Action {
            $global:actionGot.Add($Event.MessageData.Payload)
            Start-Sleep -Milliseconds 1
        }
        try {
            & bash -c "seq -f 'b%04g' 1 2000 | mosquitto_pub -h 127.0.0.1 -p $($script:server.Port) -q 1 -l -t bg/t"
            Wait-Until -TimeoutSeconds 90 -IntervalMilliseconds 20 -Because 'the action to run for every message' -Condition { $global:actionGot.Count -ge 2000 }
            $global:actionGot.ToArray() | Should -Be (1..2000 | ForEach-Object { 'b{0:d4}' -f $_ })
            $subscription.MessagesDropped | Should -Be 0
            $subscription.MessagesHeldBack | Should -BeGreaterThan 0 -Because 'the action was slower than the publisher'
        }
        finally { $subscription | Unregister-MqttSubscription -Confirm:$false }
    }

    It 'keeps at most -QueueSize events of a subscription without -Action waiting in the event queue' {
        $subscription = Register-MqttSubscription -Topic 'bg/q' -QoS 1 -QueueSize 20 -SourceIdentifier 'bgq'
        try {
            & bash -c "seq -f 'q%03g' 1 300 | mosquitto_pub -h 127.0.0.1 -p $($script:server.Port) -q 1 -l -t bg/q"
            Wait-Until -Because 'the event queue to fill' -Condition { @(Get-Event -SourceIdentifier 'bgq' -ErrorAction SilentlyContinue).Count -ge 20 }
            Start-Sleep -Milliseconds 500
            @(Get-Event -SourceIdentifier 'bgq').Count | Should -Be 20
            $payloads = [System.Collections.Generic.List[string]]::new()
            $deadline = [DateTime]::UtcNow.AddSeconds(60)
            while ($payloads.Count -lt 300 -and [DateTime]::UtcNow -lt $deadline) {
                $e = Wait-Event -SourceIdentifier 'bgq' -Timeout 5
                if (-not $e) { break }
                $payloads.Add($e.MessageData.Payload)
                Remove-Event -EventIdentifier $e.EventIdentifier
            }
            $payloads.ToArray() | Should -Be (1..300 | ForEach-Object { 'q{0:d3}' -f $_ })
            $subscription.MessagesDropped | Should -Be 0
        }
        finally {
            $subscription | Unregister-MqttSubscription -Confirm:$false
            Get-Event -SourceIdentifier 'bgq' -ErrorAction SilentlyContinue | Remove-Event
        }
    }
}
