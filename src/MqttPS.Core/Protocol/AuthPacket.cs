namespace MqttPS.Core.Protocol
{
    /// <summary>AUTH (5.0 only): the enhanced authentication exchange.</summary>
    public sealed class AuthPacket : MqttPacket
    {
        public override MqttPacketType PacketType => MqttPacketType.Auth;
        public AuthReasonCode ReasonCode { get; set; }
    }
}
