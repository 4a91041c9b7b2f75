using System;
using System.Collections.Generic;

namespace MqttPS.Core.Broker.Bridges
{
    /// <summary>A bridge as Get-MqttBroker shows it: its state, where it is connected, and its counters.</summary>
    public sealed class MqttBridgeStatistics
    {
        public string Name { get; set; }
        public MqttBridgeState State { get; set; }

        /// <summary>The remote broker it is connected to (or last tried).</summary>
        public string Address { get; set; }
        public DateTimeOffset? ConnectedSince { get; set; }

        /// <summary>Messages brought in from the remote broker and published here.</summary>
        public long MessagesIn { get; set; }

        /// <summary>Messages sent out and acknowledged by the remote broker (QoS 0: sent).</summary>
        public long MessagesOut { get; set; }

        /// <summary>Messages that could not cross: QoS 0 while the remote broker was unreachable, and messages the
        /// remote broker refused (reason code 0x80 or above).</summary>
        public long MessagesDropped { get; set; }

        /// <summary>Messages waiting to go out (queued for the bridge's session and in flight to the remote broker).</summary>
        public int QueuedMessages { get; set; }

        /// <summary>Successful connections since the broker started.</summary>
        public int Connects { get; set; }

        /// <summary>Why the last attempt or connection failed, or null.</summary>
        public string LastError { get; set; }

        public IReadOnlyList<string> Topics { get; set; }

        public override string ToString() => Name + " " + State + (Address != null ? " " + Address : "");
    }
}
