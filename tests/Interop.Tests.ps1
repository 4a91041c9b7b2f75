# The cmdlets against MQTTnet 5.2, the server most .NET services run: Connect-Mqtt, Publish-MqttMessage,
# Register-MqttSubscription and the retained-message cmdlets against an MQTTnet server started here
# (tests/MqttPS.MqttnetHost), over MQTT 5.0 and 3.1.1. Where MQTTnet refuses a feature (shared subscriptions) or
# drops what it was asked to keep (sessions, with its defaults), the user is told so plainly.
# The engine-level matrix, both directions, is in tests/MqttPS.Interop.Tests.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers/MqttPSTestHelpers.psm1') -Force
    Import-Module (Get-MqttPSModulePath) -Force -ErrorAction Stop
    $script:server = Start-MqttnetServer -WebSocket
    $script:persistent = Start-MqttnetServer -PersistentSessions

    # Streams -Count messages from Register-MqttSubscription in another runspace; returns once the subscription is
    # in place (probe messages on <prefix>/probe come back), with the task to wait on.
    function Start-StreamingSubscription {
        param([string] $Uri, [string] $Version, [string] $Prefix, [int] $Count, [int] $QoS)
        $task = Start-PowerShellTask -ArgumentList $Uri, $Version, $Prefix, $Count, $QoS -ScriptBlock {
            param($uri, $version, $prefix, $count, $qos)
            $c = Connect-Mqtt -Broker $uri -ProtocolVersion $version -ClientId "$($prefix -replace '/', '-')-sub" -Name sub
            Register-MqttSubscription -Connection $c -Topic "$prefix/#" -QoS $qos -Count $count -TimeoutSeconds 60
            Disconnect-Mqtt -Connection $c -Confirm:$false
        }
        $probe = Connect-Mqtt -Broker $Uri -ProtocolVersion $Version -ClientId "$($Prefix -replace '/', '-')-probe" -Name probe
        try {
            Wait-Until -TimeoutSeconds 20 -Because 'the background subscription to be in place' -Condition {
                Publish-MqttMessage -Connection $probe -Topic "$Prefix/probe" -Payload 'probe' -QoS 1
                Start-Sleep -Milliseconds 100
                $task.Output.Count -gt 0
            }
        }
        finally { Disconnect-Mqtt -Connection $probe -Confirm:$false }
        $task
    }
}

AfterAll {
    Disconnect-Mqtt -All -Confirm:$false -ErrorAction SilentlyContinue
    if ($script:server) { Stop-MqttnetServer $script:server }
    if ($script:persistent) { Stop-MqttnetServer $script:persistent }
    Remove-Module MqttPS -Force -ErrorAction SilentlyContinue
}

Describe 'MqttPS cmdlets against an MQTTnet 5.2 server over MQTT <Version>' -ForEach @(@{ Version = '5.0' }, @{ Version = '3.1.1' }) {
    AfterEach {
        Disconnect-Mqtt -All -Confirm:$false -ErrorAction SilentlyContinue
    }

    It 'connects with Connect-Mqtt and lists the connection' {
        $c = Connect-Mqtt -Broker $server.Uri -ProtocolVersion $Version -ClientId "connect-$Version"
        "$($c.ProtocolVersion)" | Should -Be @{ '5.0' = 'V500'; '3.1.1' = 'V311' }[$Version]
        (Get-MqttConnection -Default).Name | Should -Be $c.Name
    }

    It 'streams what Publish-MqttMessage sends from a pipeline, in order, at QoS <QoS>' -ForEach @(@{ QoS = 0 }, @{ QoS = 1 }, @{ QoS = 2 }) {
        $prefix = "stream/$($Version -replace '\.', '')/$QoS"
        $lines = 1..200 | ForEach-Object { "line $_" }
        $task = Start-StreamingSubscription -Uri $server.Uri -Version $Version -Prefix $prefix -Count 400 -QoS $QoS
        $c = Connect-Mqtt -Broker $server.Uri -ProtocolVersion $Version -ClientId "pub-$($prefix -replace '/', '-')"
        $lines | Publish-MqttMessage -Connection $c -Topic "$prefix/data" -QoS $QoS
        # Fill up the count with probes that may still come: the data lines are what is checked.
        Wait-Until -TimeoutSeconds 30 -Because 'the 200 lines to arrive' -Condition {
            @($(for ($i = 0; $i -lt $task.Output.Count; $i++) { $task.Output[$i] }) | Where-Object Topic -eq "$prefix/data").Count -ge 200
        }
        1..200 | ForEach-Object { Publish-MqttMessage -Connection $c -Topic "$prefix/probe" -Payload 'fill' -QoS 0 }
        $received = @(Wait-PowerShellTask -Task $task -TimeoutSeconds 60 | Where-Object Topic -eq "$prefix/data")
        $received.Payload | Should -Be $lines
        $received | ForEach-Object { [int]$_.QoS } | Sort-Object -Unique | Should -Be $QoS
    }

    It 'lists retained messages with Get-MqttRetainedMessage and clears them with Clear-MqttRetainedMessage' {
        $c = Connect-Mqtt -Broker $server.Uri -ProtocolVersion $Version -ClientId "retained-$Version"
        $root = "retained/$($Version -replace '\.', '')"
        Publish-MqttMessage -Connection $c -Topic "$root/lamp" -Payload 'on' -QoS 1 -Retain
        Publish-MqttMessage -Connection $c -Topic "$root/door" -Payload 'closed' -QoS 1 -Retain
        $listed = @(Get-MqttRetainedMessage -Connection $c -Topic "$root/#" -TimeoutSeconds 5 | Sort-Object Topic)
        $listed.Topic | Should -Be @("$root/door", "$root/lamp")
        $listed.Payload | Should -Be @('closed', 'on')
        Get-MqttRetainedMessage -Connection $c -Topic "$root/#" -TimeoutSeconds 5 | Clear-MqttRetainedMessage -Connection $c -Confirm:$false
        @(Get-MqttRetainedMessage -Connection $c -Topic "$root/#" -TimeoutSeconds 2).Count | Should -Be 0
    }

    It 'says plainly that MQTTnet refused a shared subscription' {
        $c = Connect-Mqtt -Broker $server.Uri -ProtocolVersion $Version -ClientId "shared-$Version"
        $err = $null
        try { Register-MqttSubscription -Connection $c -Topic '$share/workers/jobs/#' -QoS 1 -Count 1 -TimeoutSeconds 5 -ErrorAction Stop }
        catch { $err = $_ }
        $err | Should -Not -BeNullOrEmpty
        $err.FullyQualifiedErrorId | Should -BeLike 'SubscribeRejected*'
        $err.Exception.Message | Should -BeLike "*refused the subscription to '`$share/workers/jobs/#'*"
        if ($Version -eq '5.0') { $err.Exception.Message | Should -BeLike '*Shared Subscriptions not supported*' }
        (Get-MqttConnection -Name $c.Name).Subscriptions | Should -BeNullOrEmpty
    }

    It 'shows that MQTTnet with its defaults dropped the session, and kept it with persistent sessions on' {
        foreach ($target in @($server, $persistent)) {
            $id = "session-$Version-$($target.Port)"
            # 3.1.1: Clean Session 0; 5.0: Clean Start 0 and a Session Expiry Interval.
            $keep = @{ CleanStart = $false }
            if ($Version -eq '5.0') { $keep.SessionExpirySeconds = 300 }
            $first = Connect-Mqtt -Broker $target.Uri -ProtocolVersion $Version -ClientId $id @keep
            Disconnect-Mqtt -Connection $first -Confirm:$false
            $again = Connect-Mqtt -Broker $target.Uri -ProtocolVersion $Version -ClientId $id @keep
            $again.SessionPresent | Should -Be ($target -eq $persistent) -Because "SessionPresent reports what the server at $($target.Uri) kept"
            Disconnect-Mqtt -Connection $again -Confirm:$false
        }
    }

    It 'connects over ws:// to MQTTnet''s WebSocket endpoint' {
        $c = Connect-Mqtt -Broker $server.WebSocketUri -ProtocolVersion $Version -ClientId "ws-$Version"
        $prefix = "ws/$($Version -replace '\.', '')"
        $task = Start-StreamingSubscription -Uri $server.Uri -Version $Version -Prefix $prefix -Count 2 -QoS 1
        Publish-MqttMessage -Connection $c -Topic "$prefix/data" -Payload 'over a WebSocket' -QoS 1
        Publish-MqttMessage -Connection $c -Topic "$prefix/probe" -Payload 'fill' -QoS 1
        @(Wait-PowerShellTask -Task $task -TimeoutSeconds 30 | Where-Object Topic -eq "$prefix/data").Payload | Should -Be 'over a WebSocket'
    }
}

Describe 'MQTT 5.0 properties through MQTTnet' {
    It 'passes user properties, content type and response topic from Publish-MqttMessage to Register-MqttSubscription' {
        $task = Start-StreamingSubscription -Uri $server.Uri -Version '5.0' -Prefix 'props' -Count 2 -QoS 1
        $c = Connect-Mqtt -Broker $server.Uri -ClientId 'props-pub'
        Publish-MqttMessage -Connection $c -Topic 'props/data' -Payload '{"t":21}' -QoS 1 -ContentType 'application/json' `
            -ResponseTopic 'props/reply' -UserProperty ([ordered]@{ site = 'lab'; unit = 'C' })
        Publish-MqttMessage -Connection $c -Topic 'props/probe' -Payload 'fill' -QoS 1
        $m = @(Wait-PowerShellTask -Task $task -TimeoutSeconds 30 | Where-Object Topic -eq 'props/data')
        $m.Count | Should -Be 1
        $m[0].ContentType | Should -Be 'application/json'
        $m[0].ResponseTopic | Should -Be 'props/reply'
        ($m[0].UserProperties | ForEach-Object { "$($_.Name)=$($_.Value)" }) | Should -Be @('site=lab', 'unit=C')
        Disconnect-Mqtt -Connection $c -Confirm:$false
    }
}
