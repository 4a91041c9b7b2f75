using System.Collections.Generic;
using MqttPS.Core.Protocol;

namespace MqttPS.Core.Client
{
    /// <summary>What the broker's CONNACK said, with the limits the client now honours.</summary>
    public sealed class MqttConnectResult
    {
        public ConnectReasonCode ReasonCode { get; internal set; }
        public bool SessionPresent { get; internal set; }
        public MqttProtocolVersion ProtocolVersion { get; internal set; }
        public string ClientId { get; internal set; }
        /// <summary>The client identifier the broker assigned (5.0), when the client sent none.</summary>
        public string AssignedClientIdentifier { get; internal set; }
        public string ReasonString { get; internal set; }
        /// <summary>Keep alive in effect: the Server Keep Alive when the broker sent one, otherwise the requested value.</summary>
        public ushort KeepAliveSeconds { get; internal set; }
        public ushort? ServerKeepAlive { get; internal set; }
        public uint? SessionExpiryInterval { get; internal set; }
        /// <summary>The broker's Receive Maximum: at most this many QoS 1/2 publishes in flight (65535 when absent).</summary>
        public ushort ReceiveMaximum { get; internal set; } = 65535;
        public MqttQualityOfService MaximumQoS { get; internal set; } = MqttQualityOfService.ExactlyOnce;
        public bool RetainAvailable { get; internal set; } = true;
        /// <summary>Largest packet the broker accepts, 0 when it set no limit.</summary>
        public uint MaximumPacketSize { get; internal set; }
        public ushort TopicAliasMaximum { get; internal set; }
        public bool WildcardSubscriptionAvailable { get; internal set; } = true;
        public bool SubscriptionIdentifiersAvailable { get; internal set; } = true;
        public bool SharedSubscriptionAvailable { get; internal set; } = true;
        public string ResponseInformation { get; internal set; }
        public string ServerReference { get; internal set; }
        public byte[] AuthenticationData { get; internal set; }
        public IReadOnlyList<MqttUserProperty> UserProperties { get; internal set; } = new MqttUserProperty[0];

        public override string ToString() => ReasonCode + (SessionPresent ? " (session present)" : "");
    }
}
