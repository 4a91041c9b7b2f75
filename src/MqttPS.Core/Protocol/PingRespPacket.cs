namespace MqttPS.Core.Protocol
{
    public sealed class PingRespPacket : MqttPacket
    {
        public static readonly PingRespPacket Instance = new PingRespPacket();
        public override MqttPacketType PacketType => MqttPacketType.PingResp;
    }
}
