using System.Collections.Generic;
using System.Threading.Tasks;
using MqttPS.Core.Broker.Persistence;
using MqttPS.Core.Messages;
using MqttPS.Core.Protocol;

namespace MqttPS.Core.Broker
{
    /// <summary>
    /// Hook points for durable storage (default implementation: <see cref="MqttFilePersistence"/>). The change methods
    /// only record the change and must not block; <see cref="FlushAsync"/> is the durability barrier the broker awaits
    /// before PUBACK/PUBREC, so "acknowledged" means "stored". Called under the session lock where the session changes.
    /// </summary>
    public interface IMqttBrokerPersistence
    {
        /// <summary>Retained messages stored earlier, loaded once at start.</summary>
        IEnumerable<MqttMessage> LoadRetained();

        /// <summary>Persistent sessions stored earlier (subscriptions and undelivered QoS 1/2 messages), loaded once at start.</summary>
        IEnumerable<PersistedSession> LoadSessions();

        /// <summary>A retained message was set (message) or cleared (message == null).</summary>
        void RetainedChanged(string topic, MqttMessage message);

        /// <summary>A session with a non-zero expiry interval began, or its expiry interval changed. <paramref name="owner"/>
        /// is the user it belongs to (null: anonymous); after a restart only that user may resume it.</summary>
        void SessionCreated(string clientId, uint sessionExpiryInterval, string owner);

        /// <summary>A stored session ended for good (expired, clean start, expiry set to 0).</summary>
        void SessionRemoved(string clientId);

        void SubscriptionAdded(string clientId, MqttTopicSubscription subscription, uint subscriptionIdentifier);
        void SubscriptionRemoved(string clientId, string topicFilter);

        /// <summary>A QoS 1/2 message was queued for (or sent to) a stored session; returns its store sequence number.</summary>
        long SessionMessageQueued(string clientId, MqttMessage message, uint subscriptionIdentifier);

        /// <summary>The message's delivery ended: acknowledged by the subscriber (PUBACK/PUBCOMP), refused, or dropped.</summary>
        void SessionMessageCompleted(string clientId, long sequence);

        /// <summary>The message went out as PUBLISH with <paramref name="packetId"/> and is not acknowledged yet: after a
        /// restart it is sent again with the same packet id and DUP set [MQTT-4.4.0-1], so a QoS 2 subscriber that already
        /// has it recognises it instead of delivering it twice.</summary>
        void SessionMessageSent(string clientId, long sequence, ushort packetId);

        /// <summary>The subscriber answered a QoS 2 message with PUBREC and the broker sent PUBREL with <paramref name="packetId"/>:
        /// after a restart, PUBREL is sent again instead of the message [MQTT-4.4.0-1].</summary>
        void SessionMessageReleased(string clientId, long sequence, ushort packetId);

        /// <summary>An incoming QoS 2 PUBLISH is about to be acknowledged with PUBREC (it is routed at PUBREL).</summary>
        void IncomingQoS2Received(string clientId, ushort packetId, MqttMessage message);

        /// <summary>The incoming QoS 2 message was released by PUBREL and routed.</summary>
        void IncomingQoS2Released(string clientId, ushort packetId);

        /// <summary>Completes when every change recorded so far is durable; faults when the store failed.</summary>
        Task FlushAsync();
    }
}
