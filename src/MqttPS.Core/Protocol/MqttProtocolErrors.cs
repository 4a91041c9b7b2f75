namespace MqttPS.Core.Protocol
{
    /// <summary>
    /// Factories for the codec's exceptions, so every throw site names its reason code in one word.
    /// MQTT 5.0 section 1.2: a Malformed Packet (0x81) cannot be parsed according to the specification; a
    /// Protocol Error (0x82) was parsed but holds data the protocol does not allow.
    /// </summary>
    internal static class MqttProtocolErrors
    {
        public static MqttProtocolException Malformed(string specReference, string message) =>
            new MqttProtocolException(MqttReasonCode.MalformedPacket, specReference, message);

        public static MqttProtocolException ProtocolError(string specReference, string message) =>
            new MqttProtocolException(MqttReasonCode.ProtocolError, specReference, message);

        public static MqttProtocolException Create(MqttReasonCode reasonCode, string specReference, string message) =>
            new MqttProtocolException(reasonCode, specReference, message);
    }
}
