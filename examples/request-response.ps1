# MQTT 5.0 request/response: a responder answers requests on rpc/add, replying to each request's response
# topic with its correlation data; the requester publishes a request and waits for the matching reply.
# Runs on its own against an embedded broker.
#   pwsh ./examples/request-response.ps1
$ErrorActionPreference = 'Stop'
$modulePath = Join-Path $PSScriptRoot '../out/MqttPS/MqttPS.psd1'
if (Test-Path $modulePath) { Import-Module $modulePath -Force } else { Import-Module MqttPS }

$broker = Start-MqttBroker -Port 0 -Name 'rpc'
try {
    $responder = Connect-Mqtt -Broker $broker.Uri -Name 'responder' -ClientId 'adder'
    $requester = Connect-Mqtt -Broker $broker.Uri -Name 'requester' -ClientId 'caller'

    # The responder: its action runs for every request.
    Register-MqttSubscription -Connection $responder -Topic 'rpc/add' -AsJson -SourceIdentifier 'rpc.server' -Action {
        $request = $Event.MessageData
        $sum = ($request.Payload.numbers | Measure-Object -Sum).Sum
        Publish-MqttMessage -Connection (Get-MqttConnection -Name 'responder') -Topic $request.ResponseTopic `
            -CorrelationData $request.CorrelationData -Payload ([pscustomobject]@{ sum = $sum }) -QoS 1
    } | Out-Null

    # The requester listens on its own reply topic, then asks.
    $replyTopic = 'rpc/replies/caller'
    Register-MqttSubscription -Connection $requester -Topic $replyTopic -AsJson -SourceIdentifier 'rpc.replies' | Out-Null
    $correlation = [guid]::NewGuid().ToString()
    Publish-MqttMessage -Connection $requester -Topic 'rpc/add' -Payload ([pscustomobject]@{ numbers = 1, 2, 3, 4 }) `
        -ResponseTopic $replyTopic -CorrelationData $correlation -QoS 1

    # Wait-Event lets the responder's action run, then returns the reply.
    $reply = Wait-Event -SourceIdentifier 'rpc.replies' -Timeout 10
    if (-not $reply) { throw 'no reply within 10 seconds' }
    $answer = $reply.MessageData
    $replyCorrelation = [System.Text.Encoding]::UTF8.GetString($answer.CorrelationData)
    Write-Host "1 + 2 + 3 + 4 = $($answer.Payload.sum) (correlation matches: $($replyCorrelation -eq $correlation))"
    if ($answer.Payload.sum -ne 10 -or $replyCorrelation -ne $correlation) { throw 'wrong reply' }
    $reply | Remove-Event
}
finally {
    Get-MqttSubscription | Unregister-MqttSubscription -Confirm:$false
    Disconnect-Mqtt -All -Confirm:$false
    $broker | Stop-MqttBroker -Confirm:$false
}
