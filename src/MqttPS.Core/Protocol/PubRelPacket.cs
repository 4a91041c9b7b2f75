namespace MqttPS.Core.Protocol
{
    public sealed class PubRelPacket : PublishResponsePacket
    {
        public override MqttPacketType PacketType => MqttPacketType.PubRel;

        public PubRelReasonCode ReasonCode
        {
            get => (PubRelReasonCode)ReasonCodeValue;
            set => ReasonCodeValue = (byte)value;
        }
    }
}
