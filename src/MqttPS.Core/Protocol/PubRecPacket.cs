namespace MqttPS.Core.Protocol
{
    public sealed class PubRecPacket : PublishResponsePacket
    {
        public override MqttPacketType PacketType => MqttPacketType.PubRec;

        public PubAckReasonCode ReasonCode
        {
            get => (PubAckReasonCode)ReasonCodeValue;
            set => ReasonCodeValue = (byte)value;
        }
    }
}
