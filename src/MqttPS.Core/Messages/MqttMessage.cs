using System;
using System.Collections.Generic;
using System.Text;
using MqttPS.Core.Protocol;

namespace MqttPS.Core.Messages
{
    /// <summary>
    /// An application message as users see it: what a client publishes, what a subscription receives, what a
    /// broker retains. Shared by client, broker and the PowerShell layer so that a received message can be
    /// published again as it is.
    /// </summary>
    public sealed class MqttMessage
    {
        private static readonly UTF8Encoding StrictUtf8 = new UTF8Encoding(false, true);
        private byte[] _payloadBytes = Array.Empty<byte>();
        private string _payloadText;
        private bool _payloadTextDecoded;
        private object _payload;
        private List<MqttUserProperty> _userProperties;
        private List<uint> _subscriptionIdentifiers;

        public MqttMessage() { }

        public MqttMessage(string topic, byte[] payload, MqttQualityOfService qos = MqttQualityOfService.AtMostOnce, bool retain = false)
        {
            Topic = topic;
            PayloadBytes = payload;
            QoS = qos;
            Retain = retain;
        }

        public MqttMessage(string topic, string payload, MqttQualityOfService qos = MqttQualityOfService.AtMostOnce, bool retain = false)
            : this(topic, payload == null ? Array.Empty<byte>() : Encoding.UTF8.GetBytes(payload), qos, retain)
        {
        }

        public string Topic { get; set; }

        /// <summary>The payload exactly as it travels on the wire.</summary>
        public byte[] PayloadBytes
        {
            get => _payloadBytes;
            set
            {
                _payloadBytes = value ?? Array.Empty<byte>();
                _payloadText = null;
                _payloadTextDecoded = false;
                _payload = null;
            }
        }

        /// <summary>The payload decoded as UTF-8, or null when it is not valid UTF-8.</summary>
        public string PayloadText
        {
            get
            {
                if (!_payloadTextDecoded)
                {
                    try { _payloadText = StrictUtf8.GetString(_payloadBytes); }
                    catch (DecoderFallbackException) { _payloadText = null; }
                    _payloadTextDecoded = true;
                }
                return _payloadText;
            }
        }

        /// <summary>
        /// The payload as a shell shows it: the text when it is UTF-8, otherwise the bytes. The PowerShell layer
        /// may replace it with a parsed view (-AsJson, -AsBytes); <see cref="PayloadBytes"/> stays the truth.
        /// </summary>
        public object Payload
        {
            get => _payload ?? (object)PayloadText ?? _payloadBytes;
            set => _payload = value;
        }

        public MqttQualityOfService QoS { get; set; }
        public bool Retain { get; set; }

        /// <summary>The DUP flag of the PUBLISH that delivered this message.</summary>
        public bool Duplicate { get; set; }

        public string ContentType { get; set; }
        public byte? PayloadFormatIndicator { get; set; }

        /// <summary>Message expiry interval in seconds (5.0); on receipt, the remaining lifetime.</summary>
        public uint? MessageExpiryInterval { get; set; }
        public string ResponseTopic { get; set; }
        public byte[] CorrelationData { get; set; }

        public List<MqttUserProperty> UserProperties => _userProperties ?? (_userProperties = new List<MqttUserProperty>());

        /// <summary>Identifiers of the subscriptions this message matched (5.0).</summary>
        public List<uint> SubscriptionIdentifiers => _subscriptionIdentifiers ?? (_subscriptionIdentifiers = new List<uint>());

        internal bool HasUserProperties => _userProperties != null && _userProperties.Count > 0;
        internal bool HasSubscriptionIdentifiers => _subscriptionIdentifiers != null && _subscriptionIdentifiers.Count > 0;

        /// <summary>When the message arrived (received) or was stored (retained).</summary>
        public DateTimeOffset Timestamp { get; set; } = DateTimeOffset.Now;

        public override string ToString() => Topic + " " + (PayloadText ?? ("<" + _payloadBytes.Length + " bytes>"));
    }
}
