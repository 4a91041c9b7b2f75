using System.Collections.Generic;

namespace MqttPS.Core.Protocol
{
    /// <summary>
    /// The MQTT 5.0 properties of one packet (section 2.2.2). A null field means "absent", which differs from a
    /// present property holding its default value. Which properties a packet may carry, and which may repeat,
    /// is enforced by the codec, not here.
    /// </summary>
    public sealed class MqttProperties
    {
        private List<MqttUserProperty> _userProperties;
        private List<uint> _subscriptionIdentifiers;

        public byte? PayloadFormatIndicator { get; set; }
        public uint? MessageExpiryInterval { get; set; }
        public string ContentType { get; set; }
        public string ResponseTopic { get; set; }
        public byte[] CorrelationData { get; set; }
        public uint? SessionExpiryInterval { get; set; }
        public string AssignedClientIdentifier { get; set; }
        public ushort? ServerKeepAlive { get; set; }
        public string AuthenticationMethod { get; set; }
        public byte[] AuthenticationData { get; set; }
        public byte? RequestProblemInformation { get; set; }
        public uint? WillDelayInterval { get; set; }
        public byte? RequestResponseInformation { get; set; }
        public string ResponseInformation { get; set; }
        public string ServerReference { get; set; }
        public string ReasonString { get; set; }
        public ushort? ReceiveMaximum { get; set; }
        public ushort? TopicAliasMaximum { get; set; }
        public ushort? TopicAlias { get; set; }
        public byte? MaximumQoS { get; set; }
        public byte? RetainAvailable { get; set; }
        public uint? MaximumPacketSize { get; set; }
        public byte? WildcardSubscriptionAvailable { get; set; }
        public byte? SubscriptionIdentifierAvailable { get; set; }
        public byte? SharedSubscriptionAvailable { get; set; }

        /// <summary>Subscription identifiers: one in SUBSCRIBE, one per matching subscription in PUBLISH.</summary>
        public List<uint> SubscriptionIdentifiers => _subscriptionIdentifiers ?? (_subscriptionIdentifiers = new List<uint>());

        /// <summary>User properties in the order they appear on the wire.</summary>
        public List<MqttUserProperty> UserProperties => _userProperties ?? (_userProperties = new List<MqttUserProperty>());

        public bool HasSubscriptionIdentifiers => _subscriptionIdentifiers != null && _subscriptionIdentifiers.Count > 0;
        public bool HasUserProperties => _userProperties != null && _userProperties.Count > 0;
    }
}
