namespace MqttPS.Core.Protocol
{
    /// <summary>
    /// Common shape of PUBACK, PUBREC, PUBREL and PUBCOMP: a packet identifier and, in 5.0, a reason code and
    /// properties. The codec omits reason code and properties when they are Success and empty
    /// (MQTT 5.0 section 3.4.2.1).
    /// </summary>
    public abstract class PublishResponsePacket : MqttPacket
    {
        public ushort PacketId { get; set; }

        /// <summary>The reason code byte; typed views are on the derived packets.</summary>
        public byte ReasonCodeValue { get; set; }
    }
}
