namespace MqttPS.Core.Protocol
{
    public sealed class PublishPacket : MqttPacket
    {
        public override MqttPacketType PacketType => MqttPacketType.Publish;

        /// <summary>Topic name; may be empty in 5.0 when a Topic Alias property stands for it.</summary>
        public string Topic { get; set; } = string.Empty;
        public byte[] Payload { get; set; } = MqttPacketReader.EmptyBytes;
        public MqttQualityOfService QoS { get; set; }
        public bool Retain { get; set; }
        public bool Dup { get; set; }

        /// <summary>Packet identifier; present on the wire only for QoS 1 and 2.</summary>
        public ushort PacketId { get; set; }
    }
}
