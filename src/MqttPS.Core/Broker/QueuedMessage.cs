using MqttPS.Core.Protocol;

namespace MqttPS.Core.Broker
{
    /// <summary>A message waiting in a session's queue: offline, or beyond the client's in-flight window.</summary>
    internal sealed class QueuedMessage
    {
        public QueuedMessage(BrokerMessage message, MqttQualityOfService qos, bool retain, uint subscriptionIdentifier)
        {
            Message = message;
            QoS = qos;
            Retain = retain;
            SubscriptionIdentifier = subscriptionIdentifier;
        }

        public BrokerMessage Message { get; }

        /// <summary>Delivery QoS: the lower of the published and the subscription QoS.</summary>
        public MqttQualityOfService QoS { get; }
        public bool Retain { get; }

        /// <summary>0 = none.</summary>
        public uint SubscriptionIdentifier { get; }

        /// <summary>Sequence number in the persistence store while the message is stored for its session; 0 = not stored.</summary>
        public long StoreSequence { get; set; }
    }
}
