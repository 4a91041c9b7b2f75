namespace MqttPS.Core.Protocol
{
    /// <summary>The data representation of a property value (MQTT 5.0 section 2.2.2.2).</summary>
    internal enum MqttPropertyDataType : byte
    {
        Byte,
        TwoByteInteger,
        FourByteInteger,
        VariableByteInteger,
        Utf8String,
        BinaryData,
        Utf8StringPair,
    }
}
