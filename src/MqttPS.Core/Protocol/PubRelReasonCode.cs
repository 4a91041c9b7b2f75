namespace MqttPS.Core.Protocol
{
    /// <summary>PUBREL and PUBCOMP reason codes (MQTT 5.0 sections 3.6.2.1 and 3.7.2.1).</summary>
    public enum PubRelReasonCode : byte
    {
        Success = 0x00,
        PacketIdentifierNotFound = 0x92,
    }
}
