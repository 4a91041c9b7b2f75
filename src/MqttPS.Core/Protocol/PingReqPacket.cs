namespace MqttPS.Core.Protocol
{
    public sealed class PingReqPacket : MqttPacket
    {
        public static readonly PingReqPacket Instance = new PingReqPacket();
        public override MqttPacketType PacketType => MqttPacketType.PingReq;
    }
}
