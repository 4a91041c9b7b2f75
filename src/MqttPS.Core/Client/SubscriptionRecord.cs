using MqttPS.Core.Protocol;

namespace MqttPS.Core.Client
{
    /// <summary>A subscription the client made, kept to make it again when a reconnect finds the session gone.</summary>
    internal sealed class SubscriptionRecord
    {
        public SubscriptionRecord(MqttTopicSubscription subscription, uint? identifier)
        {
            Subscription = subscription;
            Identifier = identifier;
        }

        public MqttTopicSubscription Subscription { get; }
        public uint? Identifier { get; }
    }
}
