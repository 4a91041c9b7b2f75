# The default views as a user sees them in an 80-column console: every column shown, a wide console does not spread
# the table, long topics keep their end, packet counts read as packets, and Format-List * shows no plumbing.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers/MqttPSTestHelpers.psm1') -Force
    Import-Module (Get-MqttPSModulePath) -Force -ErrorAction Stop
    $script:format = [xml](Get-Content -Raw (Join-Path (Split-Path (Get-MqttPSModulePath)) 'MqttPS.format.ps1xml'))

    $port = Get-FreeTcpPort
    # A foreground broker in the background writes the events this test formats.
    $script:events = Start-PowerShellTask -ArgumentList $port -ScriptBlock { param($port) Start-MqttBroker -Port $port -Name 'views' -Wait }
    Wait-TcpPort -Port $port
    $script:uri = "mqtt://127.0.0.1:$port"
    $script:broker = Start-MqttBroker -Port 0 -Name 'view-broker'
    $script:edge = Start-MqttBroker -Port 0 -Name 'view-edge' -Bridge @{ Name = 'to-view-broker'; Address = $script:broker.Uri; Topic = 'views/# both 1' }
    Wait-Until -Because 'the bridge to connect' -Condition { @($script:edge.Bridges | Where-Object State -eq 'Connected').Count -eq 1 }
    $script:conn = Connect-Mqtt -Broker $script:uri -Name 'viewer' -ClientId 'viewer-client-with-a-long-id'
    $script:longTopic = 'plant/building-7/floor-3/line-12/sensor-0042'
    $script:sub = Register-MqttSubscription -Topic $script:longTopic -SourceIdentifier 'views.sensor'
    Publish-MqttMessage -Topic $script:longTopic -Payload '{"temp":21.5}' -Retain -QoS 1
    $script:message = Get-MqttRetainedMessage -Topic $script:longTopic
    $null = Connect-Mqtt -Broker $script:broker.Uri -Name 'on-broker' -ClientId 'client-on-broker'
    Wait-Until -Because 'the broker events of the connect and the publish' -Condition { $script:events.Output.Count -ge 3 }

    $script:objects = @{
        'MqttPS.Core.Messages.MqttMessage'           = $script:message
        'MqttPS.Core.Shell.MqttConnection'           = $script:conn
        'MqttPS.Core.Shell.MqttSubscription'         = $script:sub
        'MqttPS.Core.Shell.MqttEmbeddedBroker'       = $script:broker
        'MqttPS.Core.Shell.MqttBrokerEndpoint'       = $script:broker.Endpoints[0]
        'MqttPS.Core.Broker.Bridges.MqttBridgeStatistics' = $script:edge.Bridges[0]
        'MqttPS.Core.Broker.MqttBrokerClientInfo'    = (Get-MqttBrokerClient -BrokerName 'view-broker')
        'MqttPS.Core.Broker.MqttBrokerEvent'         = $script:events.Output[$script:events.Output.Count - 1]
    }

    function Get-TableLines($InputObject, [int] $Width) {
        @(($InputObject | Format-Table | Out-String -Width $Width) -split "`r?`n" | Where-Object { $_.Trim() })
    }
}

AfterAll {
    $script:sub | Unregister-MqttSubscription -Confirm:$false
    Disconnect-Mqtt -All -Confirm:$false
    Stop-MqttBroker -All -Confirm:$false
    $null = Stop-PowerShellTask -Task $script:events
    $script:events.PowerShell.Dispose()
}

Describe 'Default table views' {
    BeforeDiscovery {
        $views = ([xml](Get-Content -Raw (Join-Path $PSScriptRoot '../out/MqttPS/MqttPS.format.ps1xml'))).Configuration.ViewDefinitions.View |
            ForEach-Object { @{ Type = $_.ViewSelectedBy.TypeName } }
    }

    It 'shows every column of <Type> within 80 columns' -ForEach $views {
        $view = $script:format.Configuration.ViewDefinitions.View | Where-Object { $_.ViewSelectedBy.TypeName -eq $Type }
        $labels = @($view.TableControl.TableHeaders.TableColumnHeader | ForEach-Object Label)
        $lines = Get-TableLines $script:objects[$Type] 80
        $header = $lines[0]
        foreach ($label in $labels) { $header | Should -Match "(^|\s)$([regex]::Escape($label))(\s|$)" -Because "the $label column of $Type is shown at 80 columns" }
        $lines | ForEach-Object { $_.Length | Should -BeLessOrEqual 80 }
    }

    It 'keeps the columns of <Type> where they are in a wide console, giving the room to the last one' -ForEach $views {
        $narrow = (Get-TableLines $script:objects[$Type] 80)[0]
        $wide = (Get-TableLines $script:objects[$Type] 250)[0]
        $view = $script:format.Configuration.ViewDefinitions.View | Where-Object { $_.ViewSelectedBy.TypeName -eq $Type }
        $labels = @($view.TableControl.TableHeaders.TableColumnHeader | ForEach-Object Label)
        foreach ($label in $labels) {
            $wide.IndexOf($label) | Should -Be $narrow.IndexOf($label) -Because "$label starts at the same column however wide the console"
        }
    }
}

Describe 'What the columns show' {
    It 'shortens long topics in the middle, keeping the device id at the end' {
        foreach ($o in $script:message, $script:sub) {
            $row = (Get-TableLines $o 80)[2]
            $row | Should -Match 'sensor-0042'
            $row | Should -Match 'plant/'
            $row | Should -Match '\.\.\.'
        }
    }

    It 'labels the broker client counters as packets, not messages' {
        $header = (Get-TableLines $script:objects['MqttPS.Core.Broker.MqttBrokerClientInfo'] 80)[0]
        $header | Should -Match 'PktsIn'
        $header | Should -Match 'PktsOut'
        $header | Should -Not -Match '(^|\s)(In|Out)(\s|$)'
        $client = $script:objects['MqttPS.Core.Broker.MqttBrokerClientInfo']
        $client.PacketsReceived | Should -BeGreaterThan 0
        $client.psobject.Properties.Name | Should -Not -Contain 'MessagesReceived'
    }

    It 'shows how many bridges of a broker are up, and every endpoint address whole' {
        $row = (Get-TableLines $script:edge 80)[2]
        $row | Should -Match '\b1/1 up\b'
        $row | Should -Match ([regex]::Escape($script:edge.Endpoints[0].Uri))
    }

    It 'shows the state of the subscription and the messages it received' {
        $lines = Get-TableLines $script:sub 80
        $lines[2] | Should -Match '\bActive\b'
        $lines[2] | Should -Match "^\s*$($script:sub.Id)\s+Active\s+\d+\s"
    }
}

Describe 'Format-List *' {
    It 'shows no plumbing of <Type>' -ForEach @(
        @{ Type = 'MqttPS.Core.Messages.MqttMessage' }
        @{ Type = 'MqttPS.Core.Shell.MqttConnection' }
        @{ Type = 'MqttPS.Core.Shell.MqttSubscription' }
        @{ Type = 'MqttPS.Core.Shell.MqttEmbeddedBroker' }
        @{ Type = 'MqttPS.Core.Broker.MqttBrokerClientInfo' }
        @{ Type = 'MqttPS.Core.Broker.MqttBrokerEvent' }
    ) {
        $o = $script:objects[$Type]
        $text = $o | Format-List * | Out-String -Width 200
        foreach ($p in $o.psobject.Properties) {
            $value = $p.Value
            if ($null -eq $value) { continue }
            $type = $value.GetType()
            if ($type.IsEnum) { continue }   # a setting shown by name, wherever its type is defined
            $type.IsSubclassOf([Delegate]) | Should -BeFalse -Because "$Type.$($p.Name) is a callback"
            $type.FullName | Should -Not -Match '^MqttPS\.Core\.(Client|Transport)\.|^MqttPS\.Core\.Broker\.MqttBroker$|Queue|Adapter|^System\.Management\.Automation\.PSEventSubscriber$' -Because "$Type.$($p.Name) is plumbing"
        }
        $text | Should -Not -Match '(?m)^(Client|EventSink|EventRegistration|Queue|Requested|IsEnded|HasUserProperties|HasSubscriptionIdentifiers)\s+:'
        $text | Should -Not -Match 'MqttPS\.Core\.(Shell\.MqttClientAdapter|Broker\.MqttBroker\b)'
    }
}
