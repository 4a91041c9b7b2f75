namespace MqttPS.Core.Protocol
{
    /// <summary>PUBACK and PUBREC reason codes (MQTT 5.0 sections 3.4.2.1 and 3.5.2.1).</summary>
    public enum PubAckReasonCode : byte
    {
        Success = 0x00,
        NoMatchingSubscribers = 0x10,
        UnspecifiedError = 0x80,
        ImplementationSpecificError = 0x83,
        NotAuthorized = 0x87,
        TopicNameInvalid = 0x90,
        PacketIdentifierInUse = 0x91,
        QuotaExceeded = 0x97,
        PayloadFormatInvalid = 0x99,
    }
}
