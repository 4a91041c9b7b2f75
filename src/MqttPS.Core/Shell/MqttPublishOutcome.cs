namespace MqttPS.Core.Shell
{
    /// <summary>How a broker answered one publish: the PUBACK/PUBREC reason code (0 for QoS 0) and reason string.</summary>
    public sealed class MqttPublishOutcome
    {
        public MqttPublishOutcome(int reasonCode, string reasonString = null, int packetId = 0)
        {
            ReasonCode = reasonCode;
            ReasonString = reasonString;
            PacketId = packetId;
        }

        public int ReasonCode { get; }
        public string ReasonString { get; }
        public int PacketId { get; }

        /// <summary>Reason codes below 0x80 are successes, including 0x10 No matching subscribers.</summary>
        public bool Succeeded => ReasonCode < 0x80;
    }
}
