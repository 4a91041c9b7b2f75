# The PowerShell side of the cmdlets: every parameter that takes pipeline input binds as declared (by value, by
# property name), -WhatIf changes nothing and -Confirm asks (once, with Yes to All, for a bulk clear), and Ctrl+C
# stops every command that can wait, at once.

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers/MqttPSTestHelpers.psm1') -Force
    Import-Module (Get-MqttPSModulePath) -Force
    # Every parameter that takes pipeline input, from the cmdlets themselves.
    $script:bindings = foreach ($name in (Get-Module MqttPS).ExportedCmdlets.Keys | Sort-Object) {
        foreach ($p in (Get-Command $name).Parameters.Values) {
            foreach ($a in $p.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] }) {
                if ($a.ValueFromPipeline) { @{ Cmdlet = $name; Parameter = $p.Name; Mode = 'ByValue' } }
                if ($a.ValueFromPipelineByPropertyName) { @{ Cmdlet = $name; Parameter = $p.Name; Mode = 'ByPropertyName' } }
            }
        }
    }
    $script:shouldProcess = @((Get-Module MqttPS).ExportedCmdlets.Keys | Where-Object { (Get-Command $_).Parameters.ContainsKey('WhatIf') } | Sort-Object | ForEach-Object { @{ Cmdlet = $_ } })
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers/MqttPSTestHelpers.psm1') -Force
    Import-Module (Get-MqttPSModulePath) -Force -ErrorAction Stop
    $script:broker = Start-MqttBroker -Port 0 -Name 'pipeline'
    $script:conn = Connect-Mqtt -Broker $script:broker.Uri -Name 'pipeline'
    function Get-Retained([string] $Filter) { @(Get-MqttRetainedMessage -EmbeddedBroker $script:broker -Topic $Filter) }
}

AfterAll {
    Get-MqttSubscription | Unregister-MqttSubscription -Confirm:$false
    Disconnect-Mqtt -All -Confirm:$false
    Stop-MqttBroker -All -Confirm:$false
}

Describe 'Pipeline binding' {
    BeforeAll {
        # One scenario per pipeline-bindable parameter and way of binding: it pipes something in and checks what
        # the cmdlet did with it.
        $script:scenarios = @{
            'Publish-MqttMessage -Payload ByValue' = {
                'one', 'two' | Publish-MqttMessage -Topic 'bind/value' -QoS 1 -Retain
                (Get-Retained 'bind/value').PayloadText | Should -Be 'two'
            }
            'Publish-MqttMessage -Payload ByPropertyName' = {
                [pscustomobject]@{ Topic = 'bind/payload'; Payload = @{ v = 1 } } | Publish-MqttMessage -Retain -QoS 1
                (Get-Retained 'bind/payload').PayloadText | Should -Be '{"v":1}'
            }
            'Publish-MqttMessage -Topic ByPropertyName' = {
                [pscustomobject]@{ Topic = 'bind/topic'; Payload = 'x' } | Publish-MqttMessage -Retain -QoS 1
                (Get-Retained 'bind/topic').Topic | Should -Be 'bind/topic'
            }
            'Publish-MqttMessage -QoS ByPropertyName' = {
                'Topic,Payload,QoS,Retain', 'bind/qos,x,2,true' | ConvertFrom-Csv | Publish-MqttMessage -PassThru | ForEach-Object { [int]$_.QoS } | Should -Be 2
            }
            'Publish-MqttMessage -Retain ByPropertyName' = {
                'Topic,Payload,Retain', 'bind/retain,kept,true', 'bind/not-retained,gone,false' | ConvertFrom-Csv | Publish-MqttMessage -QoS 1
                (Get-Retained 'bind/retain').PayloadText | Should -Be 'kept'
                Get-Retained 'bind/not-retained' | Should -BeNullOrEmpty
            }
            'Test-MqttTopic -Topic ByValue' = {
                'a/b', 'x/y' | Test-MqttTopic -Filter 'a/#' | Should -Be @($true, $false)
            }
            'Test-MqttTopic -Topic ByPropertyName' = {
                Publish-MqttMessage -Topic 'bind/test/1' -Payload 'x' -Retain -QoS 1
                Get-MqttRetainedMessage -EmbeddedBroker $script:broker -Topic 'bind/test/#' | Test-MqttTopic -Filter 'bind/+/1' | Should -Be @($true)
            }
            'Clear-MqttRetainedMessage -Topic ByPropertyName' = {
                Publish-MqttMessage -Topic 'bind/clear' -Payload 'x' -Retain -QoS 1
                Get-MqttRetainedMessage -EmbeddedBroker $script:broker -Topic 'bind/clear' | Clear-MqttRetainedMessage -Confirm:$false
                Get-Retained 'bind/clear' | Should -BeNullOrEmpty
            }
            'Disconnect-Mqtt -Connection ByValue' = {
                $c = Connect-Mqtt -Broker $script:broker.Uri -Name 'bind-disconnect'
                $c | Disconnect-Mqtt -Confirm:$false
                $c.State | Should -Be 'Closed'
            }
            'Get-MqttBrokerClient -Broker ByValue' = {
                ($script:broker | Get-MqttBrokerClient).ClientId | Should -Contain $script:conn.ClientId
            }
            'Get-MqttRetainedMessage -EmbeddedBroker ByValue' = {
                Publish-MqttMessage -Topic 'bind/store' -Payload 'x' -Retain -QoS 1
                ($script:broker | Get-MqttRetainedMessage -Topic 'bind/store').Topic | Should -Be 'bind/store'
            }
            'Get-MqttSubscription -Connection ByValue' = {
                $s = Register-MqttSubscription -Topic 'bind/sub' -SourceIdentifier 'bind.sub'
                ($script:conn | Get-MqttSubscription).Id | Should -Contain $s.Id
                $s | Unregister-MqttSubscription -Confirm:$false
            }
            'Stop-MqttBroker -Broker ByValue' = {
                $b = Start-MqttBroker -Port 0 -Name 'bind-stop'
                $b | Stop-MqttBroker -Confirm:$false
                $b.IsRunning | Should -BeFalse
            }
            'Unregister-MqttSubscription -Subscription ByValue' = {
                $s = Register-MqttSubscription -Topic 'bind/unsub' -SourceIdentifier 'bind.unsub'
                $s | Unregister-MqttSubscription -Confirm:$false
                $s.State | Should -Be 'Stopped'
            }
        }
    }

    It '<Cmdlet> -<Parameter> binds <Mode>' -ForEach $script:bindings {
        $scenario = $script:scenarios["$Cmdlet -$Parameter $Mode"]
        $scenario | Should -Not -BeNullOrEmpty -Because "every pipeline-bindable parameter needs a scenario in this test"
        & $scenario
    }
}

Describe '-WhatIf and -Confirm' {
    BeforeAll {
        $script:fixture = {
            param($modulePath)
            Import-Module $modulePath
            $b = Start-MqttBroker -Port 0 -Name 'asking'
            $null = Connect-Mqtt -Broker $b.Uri -Name 'asking'
            1..5 | ForEach-Object { Publish-MqttMessage -Topic "old/$_" -Payload "v$_" -Retain -QoS 1 }
            $null = Register-MqttSubscription -Topic 'watch/#' -SourceIdentifier 'watching'
        }
        $script:check = 'Get-MqttBroker | Select-Object -Property Name, IsRunning; Get-MqttConnection | Select-Object -Property Name, State; @(Get-MqttRetainedMessage -EmbeddedBroker (Get-MqttBroker asking) -Topic "old/#").Count; @(Get-MqttSubscription).Count'
        $script:commands = @{
            'Clear-MqttRetainedMessage'   = "Clear-MqttRetainedMessage -Filter 'old/#'"
            'Disconnect-Mqtt'             = 'Disconnect-Mqtt -Name asking'
            'Stop-MqttBroker'             = 'Stop-MqttBroker asking'
            'Unregister-MqttSubscription' = 'Unregister-MqttSubscription -SourceIdentifier watching'
        }
    }

    It '<Cmdlet> -WhatIf says what it would do and does nothing' -ForEach $script:shouldProcess {
        $script:commands[$Cmdlet] | Should -Not -BeNullOrEmpty -Because "$Cmdlet supports -WhatIf and needs a command here"
        $run = Invoke-ExampleCode -Code "$($script:commands[$Cmdlet]) -WhatIf; $script:check" -Setup $script:fixture -SetupArguments (Get-MqttPSModulePath)
        $run.Errors | Should -BeNullOrEmpty
        $run.Written | Should -Match 'What if: Performing the operation'
        $run.Output[0].IsRunning | Should -BeTrue
        $run.Output[1].State | Should -Be 'Connected'
        $run.Output[2] | Should -Be 5
        $run.Output[3] | Should -Be 1
    }

    It 'asks once for a bulk clear and Yes to All clears all five' {
        $run = Invoke-ExampleCode -Code "Clear-MqttRetainedMessage -Filter 'old/#' -Confirm; $script:check" -Setup $script:fixture -SetupArguments (Get-MqttPSModulePath) -Answers 'A'
        $run.Errors | Should -BeNullOrEmpty
        @($run.Prompts).Count | Should -Be 1
        $run.Prompts[0] | Should -Match 'old/1'
        $run.Output[2] | Should -Be 0
    }

    It 'clears only what was answered Yes, and No to All stops asking' {
        $run = Invoke-ExampleCode -Code "Clear-MqttRetainedMessage -Filter 'old/#' -Confirm; $script:check" -Setup $script:fixture -SetupArguments (Get-MqttPSModulePath) -Answers 'Y', 'N', 'L'
        $run.Errors | Should -BeNullOrEmpty
        @($run.Prompts).Count | Should -Be 3
        $run.Output[2] | Should -Be 4
    }

    It 'asks before stopping a broker when $ConfirmPreference says so, and keeps it on No' {
        $run = Invoke-ExampleCode -Code "`$ConfirmPreference = 'Medium'; Stop-MqttBroker asking; $script:check" -Setup $script:fixture -SetupArguments (Get-MqttPSModulePath) -Answers 'N'
        $run.Errors | Should -BeNullOrEmpty
        @($run.Prompts).Count | Should -Be 1
        $run.Prompts[0] | Should -Match 'asking'
        $run.Output[0].IsRunning | Should -BeTrue
    }
}

Describe 'Ctrl+C' {
    BeforeAll {
        $script:silent = Start-FakeServer -Reply ([byte[]]@()) -KeepOpen
        $script:acknowledgesNothing = Start-FakeServer -Reply ([byte[]](0x20, 0x03, 0x00, 0x00, 0x00)) -KeepOpen
        $script:waiting = @{
            'Connect-Mqtt, while the broker does not answer'              = { param($s, $a, $uri) Connect-Mqtt -Broker 127.0.0.1 -Port $s -TimeoutSeconds 60 }
            'Publish-MqttMessage, waiting for the acknowledgement'        = { param($s, $a, $uri) $null = Connect-Mqtt -Broker 127.0.0.1 -Port $a; Publish-MqttMessage -Topic t -Payload x -QoS 1 -TimeoutSeconds 60 }
            'Register-MqttSubscription, waiting for the SUBACK'           = { param($s, $a, $uri) $null = Connect-Mqtt -Broker 127.0.0.1 -Port $a; Register-MqttSubscription -Topic t }
            'Register-MqttSubscription, streaming'                        = { param($s, $a, $uri) $null = Connect-Mqtt -Broker $uri; Register-MqttSubscription -Topic 'never/#' }
            'Get-MqttRetainedMessage, collecting'                         = { param($s, $a, $uri) $null = Connect-Mqtt -Broker 127.0.0.1 -Port $a; Get-MqttRetainedMessage -Topic '#' -TimeoutSeconds 60 }
            'Clear-MqttRetainedMessage -Filter, looking the topics up'    = { param($s, $a, $uri) $null = Connect-Mqtt -Broker 127.0.0.1 -Port $a; Clear-MqttRetainedMessage -Filter '#' -Confirm:$false }
            'Start-MqttBroker -Wait'                                      = { param($s, $a, $uri) Start-MqttBroker -Port 0 -Wait }
        }
    }
    AfterAll { $script:silent.Dispose(); $script:acknowledgesNothing.Dispose() }

    It 'stops <_> at once' -ForEach @(
        'Connect-Mqtt, while the broker does not answer'
        'Publish-MqttMessage, waiting for the acknowledgement'
        'Register-MqttSubscription, waiting for the SUBACK'
        'Register-MqttSubscription, streaming'
        'Get-MqttRetainedMessage, collecting'
        'Clear-MqttRetainedMessage -Filter, looking the topics up'
        'Start-MqttBroker -Wait'
    ) {
        $task = Start-PowerShellTask -ScriptBlock $script:waiting[$_] -ArgumentList $script:silent.Port, $script:acknowledgesNothing.Port, $script:broker.Uri
        try {
            Start-Sleep -Milliseconds 1500
            $task.Handle.IsCompleted | Should -BeFalse -Because 'the command is still waiting'
            (Stop-PowerShellTask -Task $task).TotalSeconds | Should -BeLessThan 1.5
        }
        finally { $task.PowerShell.Dispose() }
    }
}
