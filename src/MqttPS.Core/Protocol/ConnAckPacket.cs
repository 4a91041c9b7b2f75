namespace MqttPS.Core.Protocol
{
    public sealed class ConnAckPacket : MqttPacket
    {
        public override MqttPacketType PacketType => MqttPacketType.ConnAck;
        public bool SessionPresent { get; set; }
        public ConnectReasonCode ReasonCode { get; set; }
    }
}
