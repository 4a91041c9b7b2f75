namespace MqttPS.Core.Protocol
{
    /// <summary>
    /// CONNACK reason codes (MQTT 5.0 section 3.2.2.2). For 3.1/3.1.1 the codec maps them to and from the
    /// CONNACK return codes 0-5 [MQTT-3.2.2-4]: 0x84 = 1, 0x85 = 2, 0x88/0x89 = 3, 0x86 = 4, 0x87 = 5.
    /// </summary>
    public enum ConnectReasonCode : byte
    {
        Success = 0x00,
        UnspecifiedError = 0x80,
        MalformedPacket = 0x81,
        ProtocolError = 0x82,
        ImplementationSpecificError = 0x83,
        UnsupportedProtocolVersion = 0x84,
        ClientIdentifierNotValid = 0x85,
        BadUserNameOrPassword = 0x86,
        NotAuthorized = 0x87,
        ServerUnavailable = 0x88,
        ServerBusy = 0x89,
        Banned = 0x8A,
        BadAuthenticationMethod = 0x8C,
        TopicNameInvalid = 0x90,
        PacketTooLarge = 0x95,
        QuotaExceeded = 0x97,
        PayloadFormatInvalid = 0x99,
        RetainNotSupported = 0x9A,
        QoSNotSupported = 0x9B,
        UseAnotherServer = 0x9C,
        ServerMoved = 0x9D,
        ConnectionRateExceeded = 0x9F,
    }
}
