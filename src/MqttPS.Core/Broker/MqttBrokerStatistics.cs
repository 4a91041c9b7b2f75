using System;
using System.Collections.Generic;

namespace MqttPS.Core.Broker
{
    /// <summary>
    /// A snapshot of the broker's figures: what Get-MqttBroker shows and what the $SYS/broker tree is computed from
    /// (mosquitto's names in the remarks). Counters are totals since the broker started.
    /// </summary>
    public sealed class MqttBrokerStatistics
    {
        public DateTimeOffset StartedAt { get; set; }
        public TimeSpan Uptime { get; set; }

        /// <summary>Clients connected now ($SYS clients/connected).</summary>
        public int ClientsConnected { get; set; }

        /// <summary>Connections accepted (CONNACK success) since start; the source of $SYS load/connections.</summary>
        public long ClientsTotal { get; set; }

        /// <summary>Most clients connected at once ($SYS clients/maximum).</summary>
        public int ClientsMaximum { get; set; }

        /// <summary>Sessions that outlive their connection (3.1.1 clean session 0, 5.0 session expiry above 0).</summary>
        public int SessionsPersistent { get; set; }

        /// <summary>Connected clients plus disconnected sessions that are kept ($SYS clients/total).</summary>
        public int SessionsTotal { get; set; }

        /// <summary>Disconnected sessions that expired ($SYS clients/expired).</summary>
        public long SessionsExpired { get; set; }

        /// <summary>TCP connections accepted by the listeners, CONNECT or not; the source of $SYS load/sockets.</summary>
        public long SocketsOpened { get; set; }

        /// <summary>Control packets received / sent ($SYS messages/received, messages/sent).</summary>
        public long MessagesReceived { get; set; }
        public long MessagesSent { get; set; }
        public long BytesReceived { get; set; }
        public long BytesSent { get; set; }
        public long PublishReceived { get; set; }
        public long PublishSent { get; set; }

        /// <summary>Messages dropped (queue limits, slow readers, refused by authorization) ($SYS publish/messages/dropped).</summary>
        public long PublishDropped { get; set; }
        public int RetainedMessages { get; set; }

        /// <summary>Subscriptions held, shared members included ($SYS subscriptions/count).</summary>
        public int Subscriptions { get; set; }

        /// <summary>Members of shared subscriptions ($SYS shared_subscriptions/count).</summary>
        public int SharedSubscriptions { get; set; }

        /// <summary>Messages held: retained, queued for sessions and in flight to them ($SYS store/messages/count).</summary>
        public long StoredMessages { get; set; }

        /// <summary>Payload and topic bytes of the messages queued for sessions ($SYS store/messages/bytes).</summary>
        public long StoredMessageBytes { get; set; }

        /// <summary>Each bridge's state and counters (also what its state notifications report).</summary>
        public IReadOnlyList<Bridges.MqttBridgeStatistics> Bridges { get; set; } = new Bridges.MqttBridgeStatistics[0];
    }
}
