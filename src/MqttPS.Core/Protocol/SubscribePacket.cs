using System.Collections.Generic;

namespace MqttPS.Core.Protocol
{
    public sealed class SubscribePacket : MqttPacket
    {
        public override MqttPacketType PacketType => MqttPacketType.Subscribe;
        public ushort PacketId { get; set; }
        public List<MqttTopicSubscription> Subscriptions { get; } = new List<MqttTopicSubscription>();
    }
}
