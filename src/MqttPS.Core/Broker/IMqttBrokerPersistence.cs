using System.Collections.Generic;
using MqttPS.Core.Messages;

namespace MqttPS.Core.Broker
{
    /// <summary>
    /// Hook points for durable storage (implemented by the production-features work). The broker calls these
    /// synchronously at the moments that matter for "acknowledged means stored": a retained change before the
    /// publisher's acknowledgement, session and queue changes as they happen. The default is no persistence.
    /// </summary>
    public interface IMqttBrokerPersistence
    {
        /// <summary>Everything stored earlier, loaded once at start.</summary>
        IEnumerable<MqttMessage> LoadRetained();

        /// <summary>A retained message was set (message) or cleared (message == null).</summary>
        void RetainedChanged(string topic, MqttMessage message);

        /// <summary>A persistent session's subscriptions changed.</summary>
        void SubscriptionsChanged(string clientId, IReadOnlyList<string> topicFilters);

        /// <summary>A QoS 1/2 message was queued for, or acknowledged by, a persistent session.</summary>
        void SessionMessageQueued(string clientId, MqttMessage message);
        void SessionMessageAcknowledged(string clientId, MqttMessage message);

        /// <summary>A session ended for good (expired, clean start).</summary>
        void SessionRemoved(string clientId);
    }
}
