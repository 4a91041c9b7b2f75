# Background subscriptions as PowerShell events (-Action, -SourceIdentifier) and the module in other runspaces:
# ForEach-Object -Parallel, Start-ThreadJob and Start-Job each have a session of their own, and what a runspace opens
# closes with it.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers/MqttPSTestHelpers.psm1') -Force
    Import-Module (Get-MqttPSModulePath) -Force -ErrorAction Stop
    $script:module = Get-MqttPSModulePath
    $script:broker = Start-MqttBroker -Port 0 -Name 'runspaces'
    $script:conn = Connect-Mqtt -Broker $script:broker.Uri -Name 'main' -ClientId 'main-runspace'
}

AfterAll {
    Get-MqttSubscription | Unregister-MqttSubscription -Confirm:$false
    Disconnect-Mqtt -All -Confirm:$false
    Stop-MqttBroker -All -Confirm:$false
}

Describe 'Background subscriptions as events' {
    It 'runs -Action with the message in $Event.MessageData and $args[0], the subscription as $Event.Sender, its output in the job' {
        $s = Register-MqttSubscription -Topic 'events/action' -AsJson -Action {
            [pscustomobject]@{ Topic = $Event.MessageData.Topic; Value = $Event.MessageData.Payload.v; Same = $args[0].Topic -eq $Event.MessageData.Topic; Sender = $Event.Sender.Id }
        }
        try {
            1..3 | ForEach-Object { Publish-MqttMessage -Topic 'events/action' -Payload @{ v = $_ } -QoS 1 }
            $job = Get-Job -Name $s.SourceIdentifier
            # Wait-Event runs pending actions while it waits (this source identifier never fires).
            Wait-Until -Because 'three actions to run' -Condition { $null = Wait-Event -SourceIdentifier 'events.idle' -Timeout 1; $job.Output.Count -ge 3 }
            $results = @(Receive-Job -Job $job)
            $results.Value | Should -Be @(1, 2, 3)
            $results.Topic | Should -Be @('events/action', 'events/action', 'events/action')
            $results.Same | Should -Be @($true, $true, $true)
            $results.Sender | Should -Be @($s.Id, $s.Id, $s.Id)
            (Get-EventSubscriber -SourceIdentifier $s.SourceIdentifier).SourceIdentifier | Should -Be $s.SourceIdentifier
        }
        finally { $s | Unregister-MqttSubscription -Confirm:$false }
        Get-EventSubscriber -SourceIdentifier $s.SourceIdentifier -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        Get-Job -Name $s.SourceIdentifier -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'queues events for Wait-Event and Get-Event under -SourceIdentifier, in order' {
        $s = Register-MqttSubscription -Topic 'events/queue/#' -SourceIdentifier 'events.queue'
        try {
            'a', 'b', 'c' | ForEach-Object { Publish-MqttMessage -Topic "events/queue/$_" -Payload $_ -QoS 1 }
            $first = Wait-Event -SourceIdentifier 'events.queue' -Timeout 10
            $first.MessageData.Payload | Should -Be 'a'
            $first | Remove-Event
            Wait-Until -Because 'the other two events' -Condition { @(Get-Event -SourceIdentifier 'events.queue' -ErrorAction SilentlyContinue).Count -ge 2 }
            (Get-Event -SourceIdentifier 'events.queue').MessageData.Payload | Should -Be @('b', 'c')
            Get-Event -SourceIdentifier 'events.queue' | Remove-Event
        }
        finally { $s | Unregister-MqttSubscription -Confirm:$false }
    }

    It 'ends the MQTT subscription when Unregister-Event removes its event subscriber' {
        $s = Register-MqttSubscription -Topic 'events/unregister' -SourceIdentifier 'events.unregister'
        Unregister-Event -SourceIdentifier 'events.unregister'
        Wait-Until -Because 'the subscription to end' -Condition { $s.State -ne 'Active' }
        Wait-Until -Because 'the broker to forget the filter' -Condition { (Get-MqttBrokerClient -BrokerName runspaces -ClientId 'main-runspace').Subscriptions -notcontains 'events/unregister' }
    }
}

Describe 'Other runspaces' {
    It 'gives every ForEach-Object -Parallel runspace a session of its own' {
        $counts = 1..3 | ForEach-Object -ThrottleLimit 3 -Parallel {
            Import-Module $using:module
            $c = Connect-Mqtt -Broker $using:broker.Uri -Name "parallel$_" -ClientId "parallel-$_"
            Publish-MqttMessage -Topic "parallel/$_" -Payload "$_" -Retain -QoS 1
            [pscustomobject]@{ Connections = @(Get-MqttConnection).Count; Default = (Get-MqttConnection -Default).Name }
            Disconnect-Mqtt
        }
        $counts.Connections | Should -Be @(1, 1, 1)
        ($counts.Default | Sort-Object) | Should -Be @('parallel1', 'parallel2', 'parallel3')
        (Get-MqttRetainedMessage -EmbeddedBroker $script:broker -Topic 'parallel/#').Topic | Should -Be @('parallel/1', 'parallel/2', 'parallel/3')
        (Get-MqttConnection).Name | Should -Be @('main')
    }

    It 'works in Start-ThreadJob and closes what the job opened when its runspace ends' {
        $job = Start-ThreadJob -ArgumentList $script:module, $script:broker.Uri -ScriptBlock {
            param($module, $uri)
            Import-Module $module
            $null = Connect-Mqtt -Broker $uri -ClientId 'thread-job'
            Publish-MqttMessage -Topic 'jobs/thread' -Payload 'from a thread job' -Retain -QoS 1
            (Register-MqttSubscription -Topic 'jobs/thread' -Count 1 -TimeoutSeconds 10).PayloadText
        }
        $null = Wait-Job $job -Timeout 60
        $job.State | Should -Be 'Completed'
        Receive-Job $job | Should -Be 'from a thread job'
        Remove-Job $job
        Wait-Until -Because 'the job''s connection to close with its runspace' -Condition { -not (Get-MqttBrokerClient -BrokerName runspaces -ClientId 'thread-job') }
    }

    It 'works in Start-Job, a PowerShell process of its own' {
        $job = Start-Job -ArgumentList $script:module, $script:broker.Uri -ScriptBlock {
            param($module, $uri)
            Import-Module $module
            Publish-MqttMessage -Broker $uri -Topic 'jobs/process' -Payload 'from a job' -Retain -QoS 1
            (Get-MqttRetainedMessage -Broker $uri -Topic 'jobs/process').PayloadText
        }
        $null = Wait-Job $job -Timeout 120
        $job.State | Should -Be 'Completed'
        Receive-Job $job | Should -Be 'from a job'
        Remove-Job $job
    }

    It 'closes a runspace''s connections and brokers when the runspace closes' {
        $task = Start-PowerShellTask -ArgumentList $script:broker.Uri -ScriptBlock {
            param($uri)
            $null = Connect-Mqtt -Broker $uri -ClientId 'closing-runspace'
            (Start-MqttBroker -Port 0 -Name 'inner').Port
        }
        $innerPort = @(Wait-PowerShellTask -Task $task)[0]
        Wait-Until -Because 'the runspace''s connection to close' -Condition { -not (Get-MqttBrokerClient -BrokerName runspaces -ClientId 'closing-runspace') }
        { Wait-TcpPort -Port $innerPort -TimeoutSeconds 1 } | Should -Throw -Because "the inner broker stopped with its runspace"
    }
}
