namespace MqttPS.Core.Protocol
{
    /// <summary>UNSUBACK reason codes (MQTT 5.0 section 3.11.3). 3.1.1's UNSUBACK carries none.</summary>
    public enum UnsubAckReasonCode : byte
    {
        Success = 0x00,
        NoSubscriptionExisted = 0x11,
        UnspecifiedError = 0x80,
        ImplementationSpecificError = 0x83,
        NotAuthorized = 0x87,
        TopicFilterInvalid = 0x8F,
        PacketIdentifierInUse = 0x91,
    }
}
