namespace MqttPS.Core.Protocol
{
    /// <summary>AUTH reason codes (MQTT 5.0 section 3.15.2.1).</summary>
    public enum AuthReasonCode : byte
    {
        Success = 0x00,
        ContinueAuthentication = 0x18,
        ReAuthenticate = 0x19,
    }
}
