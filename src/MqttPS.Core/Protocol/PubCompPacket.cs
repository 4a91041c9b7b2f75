namespace MqttPS.Core.Protocol
{
    public sealed class PubCompPacket : PublishResponsePacket
    {
        public override MqttPacketType PacketType => MqttPacketType.PubComp;

        public PubRelReasonCode ReasonCode
        {
            get => (PubRelReasonCode)ReasonCodeValue;
            set => ReasonCodeValue = (byte)value;
        }
    }
}
