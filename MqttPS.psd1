@{
    RootModule             = 'MqttPS.dll'
    ModuleVersion          = '0.1.0'
    GUID                   = 'b3f0c6a2-5d4e-4c8b-9a71-2e6f0d8c4a17'
    Author                 = 'MqttPS contributors'
    CompanyName            = 'MqttPS'
    Copyright              = '(c) MqttPS contributors. MIT License.'
    Description            = 'MQTT 3.1.1 and 5.0 in the PowerShell pipeline: publish, subscribe (streaming or background events), manage retained messages and run an embedded broker. Its own MQTT engine; no dependencies.'
    PowerShellVersion      = '5.1'
    CompatiblePSEditions   = @('Core', 'Desktop')
    DotNetFrameworkVersion = '4.7.2'
    FormatsToProcess       = @('MqttPS.format.ps1xml')
    CmdletsToExport        = @(
        'Clear-MqttRetainedMessage'
        'Connect-Mqtt'
        'Disconnect-Mqtt'
        'Get-MqttBroker'
        'Get-MqttBrokerClient'
        'Get-MqttConnection'
        'Get-MqttRetainedMessage'
        'Get-MqttSubscription'
        'Publish-MqttMessage'
        'Register-MqttSubscription'
        'Start-MqttBroker'
        'Stop-MqttBroker'
        'Test-MqttTopic'
        'Unregister-MqttSubscription'
    )
    FunctionsToExport      = @()
    AliasesToExport        = @()
    VariablesToExport      = @()
    PrivateData            = @{
        PSData = @{
            Tags         = @('MQTT', 'IoT', 'PubSub', 'Messaging', 'Broker', 'MQTT5', 'PSEdition_Core', 'PSEdition_Desktop', 'Windows', 'Linux', 'MacOS')
            ProjectUri   = 'https://github.com/mqttps/MqttPS'
            LicenseUri   = 'https://github.com/mqttps/MqttPS/blob/main/LICENSE'
            ReleaseNotes = '0.1.0: first release. Connect-Mqtt, Publish-MqttMessage (windowed QoS 1/2, JSON payloads), Register-MqttSubscription (streaming and -Action events), retained-message management, Test-MqttTopic, and an embedded broker (Start-MqttBroker).'
        }
    }
}
