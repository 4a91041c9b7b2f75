using System;

namespace MqttPS.Core.Broker
{
    /// <summary>A snapshot of the broker's counters (the figures mosquitto publishes under $SYS/broker).</summary>
    public sealed class MqttBrokerStatistics
    {
        public DateTimeOffset StartedAt { get; set; }
        public TimeSpan Uptime { get; set; }
        public int ClientsConnected { get; set; }
        public long ClientsTotal { get; set; }
        public int ClientsMaximum { get; set; }
        public int SessionsPersistent { get; set; }

        /// <summary>Control packets received / sent.</summary>
        public long MessagesReceived { get; set; }
        public long MessagesSent { get; set; }
        public long BytesReceived { get; set; }
        public long BytesSent { get; set; }
        public long PublishReceived { get; set; }
        public long PublishSent { get; set; }
        public long PublishDropped { get; set; }
        public int RetainedMessages { get; set; }
        public int Subscriptions { get; set; }
    }
}
