using System.Collections.Generic;

namespace MqttPS.Core.Protocol
{
    /// <summary>
    /// The MQTT 5.0 properties of one packet (section 2.2.2). A null field means "absent", which differs from a
    /// present property holding its default value. Which properties a packet may carry, and which may repeat,
    /// is enforced by the codec, not here.
    /// </summary>
    /// <remarks>
    /// The object remembers the order in which properties were first set (the decoder sets them in wire order)
    /// and the encoder writes them in that order. The spec allows any order, but reproducing a peer's order
    /// byte for byte matters when conversations are compared with another implementation's. User properties
    /// are written together, at the point where the list was first created; likewise subscription identifiers.
    /// </remarks>
    public sealed class MqttProperties
    {
        private List<MqttUserProperty> _userProperties;
        private List<uint> _subscriptionIdentifiers;
        private byte[] _order;
        private int _orderCount;

        private byte? _payloadFormatIndicator;
        private uint? _messageExpiryInterval;
        private string _contentType;
        private string _responseTopic;
        private byte[] _correlationData;
        private uint? _sessionExpiryInterval;
        private string _assignedClientIdentifier;
        private ushort? _serverKeepAlive;
        private string _authenticationMethod;
        private byte[] _authenticationData;
        private byte? _requestProblemInformation;
        private uint? _willDelayInterval;
        private byte? _requestResponseInformation;
        private string _responseInformation;
        private string _serverReference;
        private string _reasonString;
        private ushort? _receiveMaximum;
        private ushort? _topicAliasMaximum;
        private ushort? _topicAlias;
        private byte? _maximumQoS;
        private byte? _retainAvailable;
        private uint? _maximumPacketSize;
        private byte? _wildcardSubscriptionAvailable;
        private byte? _subscriptionIdentifierAvailable;
        private byte? _sharedSubscriptionAvailable;

        public byte? PayloadFormatIndicator
        {
            get => _payloadFormatIndicator;
            set { if (value != null) Track(MqttPropertyId.PayloadFormatIndicator); _payloadFormatIndicator = value; }
        }

        public uint? MessageExpiryInterval
        {
            get => _messageExpiryInterval;
            set { if (value != null) Track(MqttPropertyId.MessageExpiryInterval); _messageExpiryInterval = value; }
        }

        public string ContentType
        {
            get => _contentType;
            set { if (value != null) Track(MqttPropertyId.ContentType); _contentType = value; }
        }

        public string ResponseTopic
        {
            get => _responseTopic;
            set { if (value != null) Track(MqttPropertyId.ResponseTopic); _responseTopic = value; }
        }

        public byte[] CorrelationData
        {
            get => _correlationData;
            set { if (value != null) Track(MqttPropertyId.CorrelationData); _correlationData = value; }
        }

        public uint? SessionExpiryInterval
        {
            get => _sessionExpiryInterval;
            set { if (value != null) Track(MqttPropertyId.SessionExpiryInterval); _sessionExpiryInterval = value; }
        }

        public string AssignedClientIdentifier
        {
            get => _assignedClientIdentifier;
            set { if (value != null) Track(MqttPropertyId.AssignedClientIdentifier); _assignedClientIdentifier = value; }
        }

        public ushort? ServerKeepAlive
        {
            get => _serverKeepAlive;
            set { if (value != null) Track(MqttPropertyId.ServerKeepAlive); _serverKeepAlive = value; }
        }

        public string AuthenticationMethod
        {
            get => _authenticationMethod;
            set { if (value != null) Track(MqttPropertyId.AuthenticationMethod); _authenticationMethod = value; }
        }

        public byte[] AuthenticationData
        {
            get => _authenticationData;
            set { if (value != null) Track(MqttPropertyId.AuthenticationData); _authenticationData = value; }
        }

        public byte? RequestProblemInformation
        {
            get => _requestProblemInformation;
            set { if (value != null) Track(MqttPropertyId.RequestProblemInformation); _requestProblemInformation = value; }
        }

        public uint? WillDelayInterval
        {
            get => _willDelayInterval;
            set { if (value != null) Track(MqttPropertyId.WillDelayInterval); _willDelayInterval = value; }
        }

        public byte? RequestResponseInformation
        {
            get => _requestResponseInformation;
            set { if (value != null) Track(MqttPropertyId.RequestResponseInformation); _requestResponseInformation = value; }
        }

        public string ResponseInformation
        {
            get => _responseInformation;
            set { if (value != null) Track(MqttPropertyId.ResponseInformation); _responseInformation = value; }
        }

        public string ServerReference
        {
            get => _serverReference;
            set { if (value != null) Track(MqttPropertyId.ServerReference); _serverReference = value; }
        }

        public string ReasonString
        {
            get => _reasonString;
            set { if (value != null) Track(MqttPropertyId.ReasonString); _reasonString = value; }
        }

        public ushort? ReceiveMaximum
        {
            get => _receiveMaximum;
            set { if (value != null) Track(MqttPropertyId.ReceiveMaximum); _receiveMaximum = value; }
        }

        public ushort? TopicAliasMaximum
        {
            get => _topicAliasMaximum;
            set { if (value != null) Track(MqttPropertyId.TopicAliasMaximum); _topicAliasMaximum = value; }
        }

        public ushort? TopicAlias
        {
            get => _topicAlias;
            set { if (value != null) Track(MqttPropertyId.TopicAlias); _topicAlias = value; }
        }

        public byte? MaximumQoS
        {
            get => _maximumQoS;
            set { if (value != null) Track(MqttPropertyId.MaximumQoS); _maximumQoS = value; }
        }

        public byte? RetainAvailable
        {
            get => _retainAvailable;
            set { if (value != null) Track(MqttPropertyId.RetainAvailable); _retainAvailable = value; }
        }

        public uint? MaximumPacketSize
        {
            get => _maximumPacketSize;
            set { if (value != null) Track(MqttPropertyId.MaximumPacketSize); _maximumPacketSize = value; }
        }

        public byte? WildcardSubscriptionAvailable
        {
            get => _wildcardSubscriptionAvailable;
            set { if (value != null) Track(MqttPropertyId.WildcardSubscriptionAvailable); _wildcardSubscriptionAvailable = value; }
        }

        public byte? SubscriptionIdentifierAvailable
        {
            get => _subscriptionIdentifierAvailable;
            set { if (value != null) Track(MqttPropertyId.SubscriptionIdentifierAvailable); _subscriptionIdentifierAvailable = value; }
        }

        public byte? SharedSubscriptionAvailable
        {
            get => _sharedSubscriptionAvailable;
            set { if (value != null) Track(MqttPropertyId.SharedSubscriptionAvailable); _sharedSubscriptionAvailable = value; }
        }

        /// <summary>Subscription identifiers: one in SUBSCRIBE, one per matching subscription in PUBLISH.</summary>
        public List<uint> SubscriptionIdentifiers
        {
            get
            {
                if (_subscriptionIdentifiers == null)
                {
                    Track(MqttPropertyId.SubscriptionIdentifier);
                    _subscriptionIdentifiers = new List<uint>();
                }
                return _subscriptionIdentifiers;
            }
        }

        /// <summary>User properties in the order they appear on the wire.</summary>
        public List<MqttUserProperty> UserProperties
        {
            get
            {
                if (_userProperties == null)
                {
                    Track(MqttPropertyId.UserProperty);
                    _userProperties = new List<MqttUserProperty>();
                }
                return _userProperties;
            }
        }

        public bool HasSubscriptionIdentifiers => _subscriptionIdentifiers != null && _subscriptionIdentifiers.Count > 0;
        public bool HasUserProperties => _userProperties != null && _userProperties.Count > 0;

        /// <summary>The number of property kinds in <see cref="GetOrderedId"/>'s sequence.</summary>
        internal int OrderedCount => _orderCount;

        /// <summary>The kind of property set in position <paramref name="index"/> (its value may be null again).</summary>
        internal MqttPropertyId GetOrderedId(int index) => (MqttPropertyId)_order[index];

        private void Track(MqttPropertyId id)
        {
            if (_order == null) _order = new byte[8];
            for (var i = 0; i < _orderCount; i++)
            {
                if (_order[i] == (byte)id) return;
            }
            if (_orderCount == _order.Length) System.Array.Resize(ref _order, _order.Length * 2);
            _order[_orderCount++] = (byte)id;
        }
    }
}
