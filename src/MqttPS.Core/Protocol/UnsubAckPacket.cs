using System.Collections.Generic;

namespace MqttPS.Core.Protocol
{
    public sealed class UnsubAckPacket : MqttPacket
    {
        public override MqttPacketType PacketType => MqttPacketType.UnsubAck;
        public ushort PacketId { get; set; }

        /// <summary>One code per filter (5.0 only; 3.1.1's UNSUBACK has no payload).</summary>
        public List<UnsubAckReasonCode> ReasonCodes { get; } = new List<UnsubAckReasonCode>();
    }
}
