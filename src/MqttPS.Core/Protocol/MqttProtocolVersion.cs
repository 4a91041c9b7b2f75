namespace MqttPS.Core.Protocol
{
    /// <summary>The protocol level byte of CONNECT: 3 is MQTT 3.1 ("MQIsdp"), 4 is 3.1.1, 5 is 5.0.</summary>
    public enum MqttProtocolVersion : byte
    {
        V310 = 3,
        V311 = 4,
        V500 = 5,
    }
}
