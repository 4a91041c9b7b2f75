namespace MqttPS.Core.Protocol
{
    public sealed class PubAckPacket : PublishResponsePacket
    {
        public override MqttPacketType PacketType => MqttPacketType.PubAck;

        public PubAckReasonCode ReasonCode
        {
            get => (PubAckReasonCode)ReasonCodeValue;
            set => ReasonCodeValue = (byte)value;
        }
    }
}
