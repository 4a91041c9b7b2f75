namespace MqttPS.Core.Broker
{
    public enum MqttBrokerEventKind
    {
        ClientConnected,
        ClientDisconnected,
        SubscriptionAdded,
        SubscriptionRemoved,
        MessagePublished,
        MessageDropped,
        RetainedMessageChanged,
    }
}
