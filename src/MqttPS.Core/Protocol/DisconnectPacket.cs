namespace MqttPS.Core.Protocol
{
    public sealed class DisconnectPacket : MqttPacket
    {
        public override MqttPacketType PacketType => MqttPacketType.Disconnect;

        /// <summary>5.0 only; 3.1.1's DISCONNECT has no variable header.</summary>
        public DisconnectReasonCode ReasonCode { get; set; }
    }
}
