namespace MqttPS.Core.Protocol
{
    /// <summary>SUBACK reason codes (MQTT 5.0 section 3.9.3). 3.1.1 knows 0, 1, 2 and 0x80 only: the codec
    /// writes every failure as 0x80 for 3.1/3.1.1.</summary>
    public enum SubAckReasonCode : byte
    {
        GrantedQoS0 = 0x00,
        GrantedQoS1 = 0x01,
        GrantedQoS2 = 0x02,
        UnspecifiedError = 0x80,
        ImplementationSpecificError = 0x83,
        NotAuthorized = 0x87,
        TopicFilterInvalid = 0x8F,
        PacketIdentifierInUse = 0x91,
        QuotaExceeded = 0x97,
        SharedSubscriptionsNotSupported = 0x9E,
        SubscriptionIdentifiersNotSupported = 0xA1,
        WildcardSubscriptionsNotSupported = 0xA2,
    }
}
