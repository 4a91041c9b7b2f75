using System.Collections.Generic;
using MqttPS.Core.Protocol;

namespace MqttPS.Core.Client
{
    /// <summary>
    /// Outcome of a publish: for QoS 1 the PUBACK reason code, for QoS 2 the PUBREC's (when it failed) or the
    /// PUBCOMP's; for QoS 0 Success once the packet was written.
    /// </summary>
    public sealed class MqttPublishResult
    {
        internal static readonly MqttPublishResult QoS0Sent = new MqttPublishResult(0, PubAckReasonCode.Success, null, null);

        public MqttPublishResult(ushort packetId, PubAckReasonCode reasonCode, string reasonString, IReadOnlyList<MqttUserProperty> userProperties)
        {
            PacketId = packetId;
            ReasonCode = reasonCode;
            ReasonString = reasonString;
            UserProperties = userProperties ?? new MqttUserProperty[0];
        }

        public ushort PacketId { get; }
        /// <summary>PUBACK/PUBREC reason code; for a QoS 2 publish that completed, the PUBCOMP's (0 Success, 0x92 not found).</summary>
        public PubAckReasonCode ReasonCode { get; }
        public string ReasonString { get; }
        public IReadOnlyList<MqttUserProperty> UserProperties { get; }

        /// <summary>Reason codes below 0x80 are successes (0x10 No Matching Subscribers included).</summary>
        public bool IsSuccess => (byte)ReasonCode < 0x80;

        public override string ToString() => ReasonCode + (ReasonString == null ? "" : ": " + ReasonString);
    }
}
