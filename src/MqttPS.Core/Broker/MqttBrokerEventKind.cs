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

        /// <summary>A bridge connected, lost its connection, or could not connect (ClientId: the bridge's name).</summary>
        BridgeStateChanged,
    }
}
