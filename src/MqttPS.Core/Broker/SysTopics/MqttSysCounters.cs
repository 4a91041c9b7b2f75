using System;

namespace MqttPS.Core.Broker.SysTopics
{
    /// <summary>
    /// The broker figures the $SYS tree is computed from, read once per interval. Counters are totals since start;
    /// the publisher derives the per-minute load averages itself. Optional figures left null are not published.
    /// </summary>
    public sealed class MqttSysCounters
    {
        public TimeSpan Uptime { get; set; }
        public long ClientsConnected { get; set; }

        /// <summary>Connected clients plus disconnected persistent sessions (mosquitto's clients/total).</summary>
        public long ClientsTotal { get; set; }
        public long ClientsMaximum { get; set; }
        public long? ClientsExpired { get; set; }

        /// <summary>Control packets of every kind.</summary>
        public long MessagesReceived { get; set; }
        public long MessagesSent { get; set; }
        public long BytesReceived { get; set; }
        public long BytesSent { get; set; }

        public long PublishReceived { get; set; }
        public long PublishSent { get; set; }
        public long PublishDropped { get; set; }
        public long? PublishBytesReceived { get; set; }
        public long? PublishBytesSent { get; set; }

        public long RetainedMessages { get; set; }
        public long Subscriptions { get; set; }
        public long? SharedSubscriptions { get; set; }

        /// <summary>Messages held for sessions (queued and in flight), mosquitto's store/messages/count.</summary>
        public long? StoredMessages { get; set; }
        public long? StoredMessageBytes { get; set; }

        /// <summary>CONNECT packets accepted and sockets opened since start: the source of load/connections and load/sockets.</summary>
        public long? ConnectionsAccepted { get; set; }
        public long? SocketsOpened { get; set; }
    }
}
