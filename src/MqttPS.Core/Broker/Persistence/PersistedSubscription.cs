using MqttPS.Core.Protocol;

namespace MqttPS.Core.Broker.Persistence
{
    /// <summary>A subscription of a persistent session as stored.</summary>
    public sealed class PersistedSubscription
    {
        public string TopicFilter { get; internal set; }
        public MqttQualityOfService QoS { get; internal set; }
        public bool NoLocal { get; internal set; }
        public bool RetainAsPublished { get; internal set; }
        public RetainHandling RetainHandling { get; internal set; }

        /// <summary>The 5.0 subscription identifier, 0 when none.</summary>
        public uint SubscriptionIdentifier { get; internal set; }
    }
}
