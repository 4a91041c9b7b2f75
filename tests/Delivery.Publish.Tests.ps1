# Pester 5: Publish-MqttMessage when the connection goes away (issue 12): one terminating error for a lost
# connection, the offline queue under -AutoReconnect across a 40-second mosquitto outage, and retained messages that
# are never cleared by accident. Every wait has a deadline.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers/MqttPSTestHelpers.psm1') -Force
    Import-Module (Get-MqttPSModulePath) -Force -ErrorAction Stop
}

AfterAll {
    Get-MqttSubscription | Unregister-MqttSubscription -Confirm:$false
    Disconnect-Mqtt -All -Confirm:$false
    Stop-MqttBroker -All -Confirm:$false
}

Describe 'A lost connection ends Publish-MqttMessage with one error' {
    BeforeEach {
        $script:server = Start-Mosquitto
        $script:connection = Connect-Mqtt -Broker $script:server.Uri -Name 'pub'
    }
    AfterEach {
        Disconnect-Mqtt -Name 'pub' -Confirm:$false -ErrorAction SilentlyContinue
        Stop-Mosquitto $script:server
    }

    It 'writes one terminating ConnectionLost error naming the connection and what became of the messages' {
        $server = $script:server
        $caught = $null
        $Error.Clear()
        try {
            1..3000 | ForEach-Object {
                if ($_ -eq 1000) { Stop-Mosquitto $server -KeepDirectory; Start-Sleep -Milliseconds 200 }
                "line $_"
            } | Publish-MqttMessage -Topic 'lost/t' -QoS 1
        }
        catch { $caught = $_ }
        $caught | Should -Not -BeNullOrEmpty
        $caught.FullyQualifiedErrorId | Should -Be 'ConnectionLost,MqttPS.Commands.PublishMqttMessageCommand'
        $caught.CategoryInfo.Category | Should -Be 'ConnectionError'
        $caught.Exception.Message | Should -Match "The connection 'pub' was lost"
        $caught.Exception.Message -match '(\d[\d,]*) confirmed by the broker, (\d+) sent but not confirmed .*, (\d+) not sent; the rest of the input was not read' | Should -BeTrue
        [int]($Matches[1] -replace ',') + [int]$Matches[2] + [int]$Matches[3] | Should -BeLessOrEqual 1000
        [int]($Matches[1] -replace ',') | Should -BeGreaterOrEqual 900
        $Error.Count | Should -Be 1 -Because 'one error for the whole command, not one per remaining input line'
    }

    It 'stops reading endless input (as from Get-Content -Wait) instead of failing line after line' {
        $server = $script:server
        $Error.Clear()
        $watch = [System.Diagnostics.Stopwatch]::StartNew()
        {
            & {
                $i = 0
                while ($watch.Elapsed.TotalSeconds -lt 30) {
                    $i++
                    if ($i -eq 100) { Stop-Mosquitto $server -KeepDirectory }
                    "line $i"
                    Start-Sleep -Milliseconds 2
                }
            } | Publish-MqttMessage -Topic 'lost/tail' -QoS 1
        } | Should -Throw -ErrorId 'ConnectionLost,MqttPS.Commands.PublishMqttMessageCommand'
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 10
        $Error.Count | Should -Be 1
    }

    It 'reports a closed default connection once, as a connection error' {
        Stop-Mosquitto $script:server -KeepDirectory
        Wait-Until -Because 'the connection to be lost' -Condition { $script:connection.State -like 'Lost*' }
        $Error.Clear()
        { 'a', 'b', 'c' | Publish-MqttMessage -Topic 'lost/late' -QoS 1 } | Should -Throw -ErrorId 'ConnectionLost,MqttPS.Commands.PublishMqttMessageCommand'
        $Error.Count | Should -Be 1
    }
}

Describe 'Publishing through a 40-second broker outage with -AutoReconnect' {
    It 'queues every publish without waiting, loses no QoS 1 message and reconnects within the set back-off' {
        $directory = Join-Path ([IO.Path]::GetTempPath()) ('mqttps-outage-' + [guid]::NewGuid().ToString('n'))
        $null = New-Item -ItemType Directory -Path $directory
        # mosquitto started as root drops to its own user, which must be able to write its database here.
        & chmod 0777 $directory
        # Persistence keeps the subscriber's session (and what queues for it) across the restart.
        $server = Start-Mosquitto -Directory $directory -ConfigLines 'persistence true', "persistence_location $directory/", 'max_queued_messages 10000'
        try {
            $subscriber = Connect-Mqtt -Broker $server.Uri -Name 'outage-sub' -ClientId 'outage-sub' -CleanStart:$false -SessionExpirySeconds 3600 -AutoReconnect -ReconnectMaxDelaySeconds 2
            $null = Register-MqttSubscription -Connection $subscriber -Topic 'outage/#' -QoS 1 -SourceIdentifier 'outage'
            $publisher = Connect-Mqtt -Broker $server.Uri -Name 'outage-pub' -AutoReconnect -ReconnectMaxDelaySeconds 2 -OfflineQueueSize 500
            Publish-MqttMessage -Connection $publisher -Topic 'outage/t' -Payload 'before' -QoS 1

            Stop-Mosquitto $server -KeepDirectory
            $outage = [System.Diagnostics.Stopwatch]::StartNew()
            Wait-Until -Because 'the publisher to notice the outage' -Condition { $publisher.IsReconnecting }

            # Five single QoS 1 publishes, a QoS 0 one and a pipeline: none waits for the broker.
            $calls = [System.Diagnostics.Stopwatch]::StartNew()
            $Error.Clear()
            1..5 | ForEach-Object { Publish-MqttMessage -Connection $publisher -Topic 'outage/t' -Payload "single $_" -QoS 1 -WarningVariable +queuedWarnings -WarningAction SilentlyContinue }
            Publish-MqttMessage -Connection $publisher -Topic 'outage/t' -Payload 'qos0' -QoS 0 -WarningAction SilentlyContinue
            1..200 | ForEach-Object { "piped $_" } | Publish-MqttMessage -Connection $publisher -Topic 'outage/t' -QoS 1 -WarningAction SilentlyContinue
            $calls.Elapsed.TotalSeconds | Should -BeLessThan 5
            $Error.Count | Should -Be 0
            $queuedWarnings[0] | Should -Match "The connection 'outage-pub' is reconnecting: the message waits in its offline queue"
            $publisher.QueuedMessages | Should -Be 206
            $publisher.State | Should -BeLike 'Reconnecting*'

            while ($outage.Elapsed.TotalSeconds -lt 40) { Start-Sleep -Milliseconds 500 }
            Start-MosquittoProcess -Server $server
            $recovery = [System.Diagnostics.Stopwatch]::StartNew()
            Wait-Until -TimeoutSeconds 15 -Because 'the publisher to reconnect and send its queue' -Condition { $publisher.IsConnected -and $publisher.QueuedMessages -eq 0 }
            Write-Host ("    reconnected {0:N1} s after mosquitto was back (-ReconnectMaxDelaySeconds 2); outage {1:N0} s" -f $recovery.Elapsed.TotalSeconds, $outage.Elapsed.TotalSeconds)
            $recovery.Elapsed.TotalSeconds | Should -BeLessThan 6
            $publisher.ReconnectCount | Should -Be 1

            $expected = @('before') + (1..5 | ForEach-Object { "single $_" }) + (1..200 | ForEach-Object { "piped $_" })
            Wait-Until -TimeoutSeconds 20 -Because 'the subscriber to receive every QoS 1 message' -Condition {
                @(Get-Event -SourceIdentifier 'outage' -ErrorAction SilentlyContinue | Where-Object { $_.MessageData.QoS -ne 'AtMostOnce' }).Count -ge $expected.Count
            }
            $received = @(Get-Event -SourceIdentifier 'outage' | ForEach-Object { $_.MessageData } | Where-Object { $_.Payload -ne 'qos0' } | ForEach-Object Payload)
            $received | Should -Be $expected -Because 'every QoS 1 message published during the outage arrives, once and in order'
        }
        finally {
            Get-Event -SourceIdentifier 'outage' -ErrorAction SilentlyContinue | Remove-Event
            Get-MqttSubscription | Unregister-MqttSubscription -Confirm:$false
            Disconnect-Mqtt -All -Confirm:$false
            Stop-Mosquitto $server
        }
    }

    It 'stops with one OfflineQueueFull error when the offline queue stays full' {
        $server = Start-Mosquitto
        try {
            $publisher = Connect-Mqtt -Broker $server.Uri -Name 'full-pub' -AutoReconnect -ReconnectMaxDelaySeconds 2 -OfflineQueueSize 10
            Stop-Mosquitto $server -KeepDirectory
            Wait-Until -Because 'the publisher to notice the outage' -Condition { $publisher.IsReconnecting }
            $Error.Clear()
            { 1..50 | ForEach-Object { "m$_" } | Publish-MqttMessage -Connection $publisher -Topic 'full/t' -QoS 1 -TimeoutSeconds 2 } |
                Should -Throw -ErrorId 'OfflineQueueFull,MqttPS.Commands.PublishMqttMessageCommand'
            $Error.Count | Should -Be 1
            "$($Error[0])" | Should -Match '10 waiting in the offline queue'
            $publisher.QueuedMessages | Should -Be 10
        }
        finally {
            Disconnect-Mqtt -Name 'full-pub' -Confirm:$false -ErrorAction SilentlyContinue
            Stop-Mosquitto $server
        }
    }
}

Describe 'A retained message is cleared only on purpose' {
    BeforeAll {
        $script:broker = Start-MqttBroker -Port 0 -Name 'retain'
        $script:connection = Connect-Mqtt -Broker $script:broker.Uri -Name 'retain'
    }
    AfterAll {
        Disconnect-Mqtt -Name 'retain' -Confirm:$false -ErrorAction SilentlyContinue
        Stop-MqttBroker $script:broker -Confirm:$false
    }
    BeforeEach { Publish-MqttMessage -Topic 'cfg/mode' -Payload 'auto' -Retain -QoS 1 }

    It 'refuses -Retain without a payload, and keeps the retained message' {
        { Publish-MqttMessage -Topic 'cfg/mode' -Retain -ErrorAction Stop } | Should -Throw -ErrorId 'RetainedPayloadMissing,MqttPS.Commands.PublishMqttMessageCommand'
        (Get-MqttRetainedMessage -Topic 'cfg/#' -EmbeddedBroker $script:broker).Payload | Should -Be 'auto'
    }

    It 'refuses a $null payload (an unset variable), piped or given, with a clear error' {
        $unset = $null
        { Publish-MqttMessage -Topic 'cfg/mode' -Payload $unset -Retain -ErrorAction Stop } | Should -Throw '*$null*Clear-MqttRetainedMessage*'
        { $unset | Publish-MqttMessage -Topic 'cfg/mode' -Retain -ErrorAction Stop } | Should -Throw -ErrorId 'RetainedPayloadNull,MqttPS.Commands.PublishMqttMessageCommand'
        { [pscustomobject]@{ Topic = 'cfg/mode'; Payload = $unset; Retain = $true } | Publish-MqttMessage -ErrorAction Stop } | Should -Throw -ErrorId 'RetainedPayloadNull,MqttPS.Commands.PublishMqttMessageCommand'
        (Get-MqttRetainedMessage -Topic 'cfg/#' -EmbeddedBroker $script:broker).Payload | Should -Be 'auto'
    }

    It 'clears it with an explicit empty payload' {
        Publish-MqttMessage -Topic 'cfg/mode' -Payload '' -Retain
        Wait-Until -Because 'the retained message to be cleared' -Condition { @(Get-MqttRetainedMessage -Topic 'cfg/#' -EmbeddedBroker $script:broker).Count -eq 0 }
    }

    It 'still publishes a $null payload without -Retain, as an empty message' {
        { Publish-MqttMessage -Topic 'cfg/other' -Payload $null -ErrorAction Stop } | Should -Not -Throw
    }
}
