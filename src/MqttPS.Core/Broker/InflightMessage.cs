namespace MqttPS.Core.Broker
{
    /// <summary>A QoS 1/2 PUBLISH sent to the client and not yet completed.</summary>
    internal sealed class InflightMessage
    {
        public InflightMessage(QueuedMessage delivery, ushort packetId, long sequence)
        {
            Delivery = delivery;
            PacketId = packetId;
            Sequence = sequence;
        }

        public QueuedMessage Delivery { get; }
        public ushort PacketId { get; }

        /// <summary>Send order, so retransmission after reconnect keeps the original order [MQTT-4.6.0-1].</summary>
        public long Sequence { get; }

        /// <summary>QoS 2: PUBREC received, PUBREL sent, waiting for PUBCOMP.</summary>
        public bool Released { get; set; }
    }
}
