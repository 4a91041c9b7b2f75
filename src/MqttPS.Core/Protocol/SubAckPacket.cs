using System.Collections.Generic;

namespace MqttPS.Core.Protocol
{
    public sealed class SubAckPacket : MqttPacket
    {
        public override MqttPacketType PacketType => MqttPacketType.SubAck;
        public ushort PacketId { get; set; }

        /// <summary>One code per filter of the SUBSCRIBE, in the same order [MQTT-3.9.3-1].</summary>
        public List<SubAckReasonCode> ReasonCodes { get; } = new List<SubAckReasonCode>();
    }
}
