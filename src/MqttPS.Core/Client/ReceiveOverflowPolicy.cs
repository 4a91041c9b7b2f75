namespace MqttPS.Core.Client
{
    /// <summary>What the client does when its receive queue is full because the consumer reads slower than messages arrive.</summary>
    public enum ReceiveOverflowPolicy
    {
        /// <summary>
        /// Default. The network loop stops reading from the socket until the consumer makes room: TCP flow control
        /// then slows the broker down, and the broker queues (or, for QoS 0, drops) per its own limits. Nothing is lost
        /// by the client and memory stays bounded. Keep-alive is not declared dead while the client itself is not reading.
        /// </summary>
        Backpressure = 0,

        /// <summary>The oldest queued message is discarded to make room (latest data wins); counted in DroppedMessages.</summary>
        DropOldest = 1,

        /// <summary>The arriving message is discarded (acknowledged but not queued); counted in DroppedMessages.</summary>
        DropNewest = 2,
    }
}
