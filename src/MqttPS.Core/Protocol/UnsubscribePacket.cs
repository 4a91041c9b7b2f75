using System.Collections.Generic;

namespace MqttPS.Core.Protocol
{
    public sealed class UnsubscribePacket : MqttPacket
    {
        public override MqttPacketType PacketType => MqttPacketType.Unsubscribe;
        public ushort PacketId { get; set; }
        public List<string> TopicFilters { get; } = new List<string>();
    }
}
