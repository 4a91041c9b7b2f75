using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using MqttPS.Core.Messages;
using MqttPS.Core.Protocol;

namespace MqttPS.Core.Shell
{
    /// <summary>
    /// The part of an MQTT client the cmdlets use. <see cref="MqttClientAdapter"/> satisfies it with the
    /// engine's MqttClient; tests may satisfy it with a scripted client to pin down windowing and streaming.
    /// </summary>
    public interface IMqttShellClient : IDisposable
    {
        string ClientId { get; }
        bool IsConnected { get; }
        MqttProtocolVersion ProtocolVersion { get; }

        /// <summary>The broker as the user named it, e.g. "mqtt://localhost:1883".</summary>
        string BrokerUri { get; }

        /// <summary>How many QoS 1/2 publishes the connection keeps unacknowledged at once: at 5.0 the broker's Receive
        /// Maximum, at 3.1.1/3.1 20 (neither protocol lets the broker say), unless Connect-Mqtt set it.</summary>
        int PublishWindowLimit { get; }

        /// <summary>Whether the broker tags delivered messages with the identifiers of the subscriptions they match (MQTT 5.0).</summary>
        bool SupportsSubscriptionIdentifiers { get; }

        /// <summary>True while the connection is lost and an automatic reconnect is under way: publishes are queued.</summary>
        bool IsReconnecting { get; }

        /// <summary>Publishes queued while reconnecting, waiting to be sent.</summary>
        int OfflinePublishes { get; }

        /// <summary>How many publishes the offline queue takes at most.</summary>
        int OfflineQueueCapacity { get; }

        /// <summary>Automatic reconnects so far.</summary>
        int ReconnectCount { get; }

        /// <summary>Protocol conversation, one line per packet; called on network threads.</summary>
        Action<string> Trace { get; set; }

        /// <summary>Called on a network thread for every application message received, in arrival order. The task it
        /// returns completes when the message has been accepted; until then a QoS 1/2 message is not acknowledged
        /// (acknowledgements still go out in arrival order) and for a QoS 0 message the client stops reading.</summary>
        Func<MqttMessage, Task> MessageHandler { get; set; }

        /// <summary>Raised on a network thread when the connection drops, reconnects or closes; the text says which.</summary>
        event Action<string> StateChanged;

        /// <summary>Raised on a network thread when the connection has ended for good (lost without automatic
        /// reconnect, or closed); the text says why.</summary>
        event Action<string> Closed;

        /// <summary>Connects; the result says whether the broker had a session for this client id.</summary>
        Task<bool> ConnectAsync(CancellationToken cancellationToken);

        /// <summary>Publishes; a QoS 1/2 message waits until fewer than <paramref name="maxInflight"/> are unacknowledged
        /// (0: <see cref="PublishWindowLimit"/>; at 5.0 never more than the broker's Receive Maximum).</summary>
        Task<MqttPublishOutcome> PublishAsync(MqttMessage message, int maxInflight, CancellationToken cancellationToken);

        /// <summary>One reason code per subscription, in order; <paramref name="subscriptionIdentifier"/> (5.0) tags the
        /// messages these subscriptions deliver.</summary>
        Task<IReadOnlyList<SubAckReasonCode>> SubscribeAsync(IReadOnlyList<MqttTopicSubscription> subscriptions, uint? subscriptionIdentifier, CancellationToken cancellationToken);

        Task UnsubscribeAsync(IReadOnlyList<string> topicFilters, CancellationToken cancellationToken);

        Task DisconnectAsync(CancellationToken cancellationToken);

        /// <summary>No automatic reconnect from now on (another connection took over the session on purpose); a
        /// reconnect under way stops and the connection ends.</summary>
        void StopReconnecting(string reason);
    }
}
