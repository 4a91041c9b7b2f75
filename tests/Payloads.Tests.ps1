# Object payloads become the JSON ConvertTo-Json -Compress gives for them (same depth, same truncation warning,
# stoppable by Ctrl+C), and -AsJson gives what ConvertFrom-Json gives for the same text.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers/MqttPSTestHelpers.psm1') -Force
    Import-Module (Get-MqttPSModulePath) -Force -ErrorAction Stop
    $script:broker = Start-MqttBroker -Port 0 -Name 'payloads'
    $null = Connect-Mqtt -Broker $script:broker.Uri -Name 'payloads'
    $script:work = Join-Path ([IO.Path]::GetTempPath()) ('mqttps-payloads-' + [guid]::NewGuid().ToString('n'))
    $null = New-Item -ItemType Directory -Path $script:work

    # What was stored for a topic, as text: the payload exactly as it went over the wire.
    function Get-SentText([string] $Topic) {
        (Get-MqttRetainedMessage -EmbeddedBroker $script:broker -Topic $Topic).PayloadText
    }
}

AfterAll {
    Disconnect-Mqtt -All -Confirm:$false
    Stop-MqttBroker -All -Confirm:$false
    Remove-Item -LiteralPath $script:work -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Publish-MqttMessage with object payloads' {
    BeforeDiscovery {
        $script:cases = @(
            @{ Name = 'nested custom objects'; Make = { [pscustomobject]@{ a = [pscustomobject]@{ b = [pscustomobject]@{ c = [pscustomobject]@{ d = 1 } } }; arr = @(1, @(2, @(3, @(4)))) } } }
            @{ Name = 'hashtables and scalars'; Make = { [ordered]@{ z = 1; y = @{ deep = @{ deeper = 1 } }; n = $null; t = $true; s = "tab`there `"quoted`" \ $([char]0x2028)"; c = [char]'q' } } }
            @{ Name = 'numbers'; Make = { [ordered]@{ one = 1.0; nan = [double]::NaN; inf = [double]::NegativeInfinity; dec = 1.50d; big = 1.5e20; small = 1e-7; single = [float]1.1; bigint = [bigint]::Pow(10, 30); long = [long]::MaxValue; enum = [DayOfWeek]::Monday; flags = [IO.FileAttributes]'Hidden, ReadOnly' } } }
            @{ Name = 'dates and times'; Make = { [ordered]@{ utc = [datetime]::new(2024, 1, 2, 3, 4, 5, 123, [DateTimeKind]::Utc); local = [datetime]::new(2024, 1, 2, 3, 4, 5, [DateTimeKind]::Local); plain = (Get-Date '2024-05-06T07:08:09.5'); offset = [datetimeoffset]::new(2024, 1, 2, 3, 4, 5, [timespan]::FromHours(-5)); span = [timespan]::FromSeconds(90); guid = [guid]'0f8fad5b-d9cb-469f-a165-70867728950e'; uri = [uri]'http://example.com/a b' } } }
            @{ Name = 'a number with an added property'; Make = { Add-Member -InputObject ([psobject]::new(5)) -NotePropertyName extra -NotePropertyValue 'e' -Force -PassThru } }
            @{ Name = 'an exception'; Make = { [InvalidOperationException]::new('boom') } }
            @{ Name = 'a list of mixed items'; Make = { [Collections.Generic.List[object]]@(1, 'a', @{ k = 1 }, $null) } }
            # Depth 1 at most: deeper, its folder's access time changes as the test writes files.
            @{ Name = 'a file from Get-Item'; MaxDepth = 1; Make = { Get-Item -LiteralPath (New-Item -ItemType File -Force -Path (Join-Path $script:work 'probe.txt')).FullName } }
            @{ Name = 'an array as one payload'; Make = { , @(1, 'two', @{ three = 3 }) } }
        )
    }

    It 'sends <Name> as ConvertTo-Json -Compress does, at depth <Depth>' -ForEach (
        $script:cases | ForEach-Object { $case = $_; 0, 1, 2 | Where-Object { $null -eq $case.MaxDepth -or $_ -le $case.MaxDepth } | ForEach-Object { @{ Name = $case.Name; Make = $case.Make; Depth = $_ } } }
    ) {
        $value = & $Make
        $expected = ConvertTo-Json -InputObject $value -Compress -Depth $Depth -WarningAction SilentlyContinue
        $topic = "json/$($Name -replace ' ', '-')/$Depth"
        Publish-MqttMessage -Topic $topic -Payload $value -Depth $Depth -Retain -QoS 1 -WarningAction SilentlyContinue -ErrorAction Stop
        Get-SentText $topic | Should -BeExactly $expected
    }

    It 'uses depth 2 by default and warns once per command when it cuts deeper levels' {
        $deep = { [pscustomobject]@{ level1 = [pscustomobject]@{ level2 = [pscustomobject]@{ level3 = [pscustomobject]@{ level4 = 'x' } } } } }
        $warnings = @()
        1..3 | ForEach-Object { & $deep } | Publish-MqttMessage -Topic 'json/default-depth' -Retain -QoS 1 -WarningVariable warnings -WarningAction SilentlyContinue
        Get-SentText 'json/default-depth' | Should -BeExactly (ConvertTo-Json -InputObject (& $deep) -Compress -WarningAction SilentlyContinue)
        @($warnings).Count | Should -Be 1
        "$($warnings[0])" | Should -Match 'truncated.*depth of 2'
        "$($warnings[0])" | Should -Match '-Depth'
        $warnings = @()
        Publish-MqttMessage -Topic 'json/deep-enough' -Payload (& $deep) -Depth 5 -Retain -QoS 1 -WarningVariable warnings -WarningAction SilentlyContinue
        @($warnings).Count | Should -Be 0
        Get-SentText 'json/deep-enough' | Should -BeExactly '{"level1":{"level2":{"level3":{"level4":"x"}}}}'
    }

    It 'refuses a -Depth that ConvertTo-Json refuses' {
        { Publish-MqttMessage -Topic 'json/x' -Payload @{ a = 1 } -Depth 101 } | Should -Throw -ErrorId 'ParameterArgumentValidationError,MqttPS.Commands.PublishMqttMessageCommand'
    }

    It 'publishes an ErrorRecord, $Host and a [type] in moments, cut at depth 2 as ConvertTo-Json cuts them' {
        # Before: reflection 32 levels deep ran for a minute, took gigabytes and ended "Insufficient memory".
        $task = Start-PowerShellTask -ArgumentList $script:broker.Uri -ScriptBlock {
            param($uri)
            $null = Connect-Mqtt -Broker $uri
            try { 1 / 0 } catch { Publish-MqttMessage -Topic 'json/error' -Payload $_ -Retain -QoS 1 -WarningAction SilentlyContinue }
            Publish-MqttMessage -Topic 'json/host' -Payload $Host -Retain -QoS 1 -WarningAction SilentlyContinue
            Publish-MqttMessage -Topic 'json/type' -Payload ([string]) -Retain -QoS 1 -WarningAction SilentlyContinue
        }
        $null = Wait-PowerShellTask -Task $task -TimeoutSeconds 30
        # Here, not in the task: the provider's drive list (Pester adds TestDrive) is part of the JSON.
        Publish-MqttMessage -Topic 'json/item' -Payload (Get-Item -LiteralPath $PSHOME) -Retain -QoS 1 -WarningAction SilentlyContinue
        foreach ($topic in 'json/error', 'json/host') {
            $text = Get-SentText $topic
            $text | Should -Not -BeNullOrEmpty -Because "$topic was published"
            { $null = ConvertFrom-Json $text } | Should -Not -Throw
            $text.Length | Should -BeLessThan 100000 -Because "$topic is cut at depth 2"
        }
        Get-SentText 'json/type' | Should -BeExactly (ConvertTo-Json -InputObject ([string]) -Compress -WarningAction SilentlyContinue)
        Get-SentText 'json/item' | Should -BeExactly (ConvertTo-Json -InputObject (Get-Item -LiteralPath $PSHOME) -Compress -WarningAction SilentlyContinue)
        # ConvertTo-Json itself refuses an ErrorRecord (its exception keeps data under a type as key); we write it.
        $sent = ConvertFrom-Json (Get-SentText 'json/error')
        $sent.Exception.Message | Should -Match 'divide by zero'
        $sent.CategoryInfo.Category | Should -Be ([int][System.Management.Automation.ErrorCategory]::NotSpecified)
    }

    It 'stops converting a huge object graph at Ctrl+C' {
        $task = Start-PowerShellTask -ArgumentList $script:broker.Uri -ScriptBlock {
            param($uri)
            $null = Connect-Mqtt -Broker $uri
            # Three references to itself on every level: 3^100 values at -Depth 100, far more than any time allows.
            $graph = @{}
            $graph.a = $graph; $graph.b = $graph; $graph.c = $graph
            Publish-MqttMessage -Topic 'json/huge' -Payload $graph -Depth 100
        }
        Start-Sleep -Milliseconds 1500
        $task.Handle.IsCompleted | Should -BeFalse -Because 'the conversion is still running'
        $elapsed = Stop-PowerShellTask -Task $task
        $elapsed.TotalSeconds | Should -BeLessThan 2
        $task.PowerShell.Dispose()
        Get-MqttRetainedMessage -EmbeddedBroker $script:broker -Topic 'json/huge' | Should -BeNullOrEmpty
    }

    It 'sends -WillPayload objects as the same JSON' {
        $will = [pscustomobject]@{ state = 'offline'; at = [datetime]::new(2024, 1, 2, 3, 4, 5, [DateTimeKind]::Utc) }
        $c2 = Connect-Mqtt -Broker $script:broker.Uri -Name 'will2' -ClientId 'will-probe' -WillTopic 'json/will2' -WillPayload $will -WillRetain
        # Another connection with the same client id takes the session over: the broker closes the first one
        # without a DISCONNECT from it, and publishes its will.
        $c3 = Connect-Mqtt -Broker $script:broker.Uri -Name 'will3' -ClientId 'will-probe'
        Wait-Until -Because 'the will to be published' -TimeoutSeconds 15 -Condition { Get-SentText 'json/will2' }
        Get-SentText 'json/will2' | Should -BeExactly (ConvertTo-Json -InputObject $will -Compress)
        Disconnect-Mqtt -Name 'will2', 'will3' -Confirm:$false -ErrorAction SilentlyContinue
    }
}

Describe 'Register-MqttSubscription and Get-MqttRetainedMessage -AsJson' {
    BeforeDiscovery {
        $script:texts = @(
            @{ Name = 'integers, big integers and doubles'; Text = '{"i":42,"neg":-7,"zero":-0,"big":12345678901234567890123,"d":1.0,"e":1e5,"inf":1E400}' }
            @{ Name = 'ISO and Microsoft dates'; Text = '{"utc":"2024-01-02T03:04:05Z","local":"2024-01-02T03:04:05.1234567+02:00","plain":"2024-01-02T03:04:05","ms":"\/Date(1234567890000)\/","dateOnly":"2024-01-02","short":"2024-01-02T03:04"}' }
            @{ Name = 'nesting'; Text = '{"a":[1,[2,[3,{"b":{"c":[true,false,null]}}]]],"o":{}}' }
            @{ Name = 'a top-level array'; Text = '[{"n":1},{"n":2},"x"]' }
            @{ Name = 'a string'; Text = '"on"' }
            @{ Name = 'repeated names'; Text = '{"a":1,"a":2}' }
        )
    }

    It 'gives what ConvertFrom-Json gives for <Name>' -ForEach $script:texts {
        $topic = "asjson/$($Name -replace ' ', '-')"
        Publish-MqttMessage -Topic $topic -Payload $Text -Retain -QoS 1
        $expected = ConvertFrom-Json $Text -NoEnumerate
        $viaStore = (Get-MqttRetainedMessage -EmbeddedBroker $script:broker -Topic $topic -AsJson).Payload
        $viaStream = (Register-MqttSubscription -Topic $topic -AsJson -Count 1 -TimeoutSeconds 10).Payload
        foreach ($actual in $viaStore, $viaStream) {
            # Same structure and values, and the same .NET types at every leaf (Int64, BigInteger, Double, DateTime
            # of the same kind, PSCustomObject, Object[]).
            ConvertTo-Json -InputObject $actual -Depth 20 -Compress | Should -BeExactly (ConvertTo-Json -InputObject $expected -Depth 20 -Compress)
            Get-LeafTypes $actual | Should -Be (Get-LeafTypes $expected)
        }
    }

    It 'refuses what ConvertFrom-Json cannot make an object of, as an InvalidData error naming the topic' {
        Publish-MqttMessage -Topic 'asjson/cased' -Payload '{"a":1,"A":2}' -Retain -QoS 1
        $errors = $null
        $null = Get-MqttRetainedMessage -EmbeddedBroker $script:broker -Topic 'asjson/cased' -AsJson -ErrorVariable errors -ErrorAction SilentlyContinue
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'PayloadNotJson,*'
        $errors[0].CategoryInfo.Category | Should -Be 'InvalidData'
        $errors[0].Exception.Message | Should -Match 'asjson/cased'
        $errors[0].Exception.Message | Should -Match 'differ only in case'
    }

    BeforeAll {
        function Get-LeafTypes($Value, [string] $Path = '$') {
            if ($null -eq $Value) { return "$Path=null" }
            if ($Value -is [System.Management.Automation.PSCustomObject]) {
                "$Path=PSCustomObject"
                foreach ($p in $Value.psobject.Properties) { Get-LeafTypes $p.Value "$Path.$($p.Name)" }
                return
            }
            if ($Value -is [array]) {
                "$Path=$($Value.GetType().Name)"
                for ($i = 0; $i -lt $Value.Count; $i++) { Get-LeafTypes $Value[$i] "$Path[$i]" }
                return
            }
            if ($Value -is [datetime]) { return "$Path=DateTime/$($Value.Kind)" }
            "$Path=$($Value.GetType().FullName)"
        }
    }
}
