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

        /// <summary>The identity whose read access was checked when the message was routed or queued; null = not
        /// checked for the connection that will send it. A message is sent only to an identity allowed to read it,
        /// checked again at sending when the receiving connection is another one (see BrokerConnection.SendPublish).</summary>
        public MqttClientIdentity AuthorizedFor { get; set; }

        /// <summary>Sequence number in the persistence store while the message is stored for its session; 0 = not stored.</summary>
        public long StoreSequence { get; set; }
    }
}
