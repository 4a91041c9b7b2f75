using System;
using System.Collections.Generic;
using MqttPS.Core.Messages;
using MqttPS.Core.Protocol;

namespace MqttPS.Core.Broker
{
    /// <summary>
    /// An application message inside the broker: immutable once published, shared by every subscriber it is routed
    /// to, by session queues and by the retained store. It carries the properties that are forwarded untouched
    /// (payload format, content type, response topic, correlation data, user properties) and the expiry deadline,
    /// plus a small cache of its encoded PUBLISH so that subscribers needing identical bytes share one encode.
    /// </summary>
    internal sealed class BrokerMessage
    {
        private EncodedPublish _cache0;
        private EncodedPublish _cache1;

        public BrokerMessage(string topic, byte[] payload, MqttQualityOfService qos, bool retain)
        {
            Topic = topic;
            Payload = payload ?? Array.Empty<byte>();
            QoS = qos;
            Retain = retain;
        }

        public string Topic { get; }
        public byte[] Payload { get; }
        public MqttQualityOfService QoS { get; }
        public bool Retain { get; }

        /// <summary>The forwarded 5.0 properties and the expiry, which most messages do not have: kept apart, so that a
        /// plain message (every 3.1.1 one) is 48 bytes smaller. Set while the message is built, never after.</summary>
        private sealed class ForwardedProperties
        {
            public byte? PayloadFormatIndicator;
            public string ContentType;
            public string ResponseTopic;
            public byte[] CorrelationData;
            public List<MqttUserProperty> UserProperties;
            public uint? MessageExpiryInterval;
            public long ExpiresAtMilliseconds;
        }

        private ForwardedProperties _forwarded;

        /// <summary>The forwarded properties for setting one: created only for a value (setting null or nothing on a
        /// message without any keeps it without).</summary>
        private ForwardedProperties Forwarded(bool hasValue)
            => _forwarded ?? (hasValue ? _forwarded = new ForwardedProperties() : null);

        public byte? PayloadFormatIndicator
        {
            get => _forwarded?.PayloadFormatIndicator;
            set { var f = Forwarded(value.HasValue); if (f != null) f.PayloadFormatIndicator = value; }
        }

        public string ContentType
        {
            get => _forwarded?.ContentType;
            set { var f = Forwarded(value != null); if (f != null) f.ContentType = value; }
        }

        public string ResponseTopic
        {
            get => _forwarded?.ResponseTopic;
            set { var f = Forwarded(value != null); if (f != null) f.ResponseTopic = value; }
        }

        public byte[] CorrelationData
        {
            get => _forwarded?.CorrelationData;
            set { var f = Forwarded(value != null); if (f != null) f.CorrelationData = value; }
        }

        public List<MqttUserProperty> UserProperties
        {
            get => _forwarded?.UserProperties;
            set { var f = Forwarded(value != null); if (f != null) f.UserProperties = value; }
        }

        /// <summary>The message expiry interval as published, or null when the message does not expire.</summary>
        public uint? MessageExpiryInterval
        {
            get => _forwarded?.MessageExpiryInterval;
            set { var f = Forwarded(value.HasValue); if (f != null) f.MessageExpiryInterval = value; }
        }

        /// <summary>Monotonic deadline in milliseconds when <see cref="MessageExpiryInterval"/> is set.</summary>
        public long ExpiresAtMilliseconds
        {
            get => _forwarded?.ExpiresAtMilliseconds ?? 0;
            set { var f = Forwarded(value != 0); if (f != null) f.ExpiresAtMilliseconds = value; }
        }

        /// <summary>Client id of the publisher (no-local), or null for the broker's own messages (API, wills are the client's).</summary>
        public string SenderClientId { get; set; }

        public DateTimeOffset Timestamp { get; set; } = DateTimeOffset.Now;

        public bool HasForwardedProperties
        {
            get
            {
                var f = _forwarded;
                return f != null && (f.PayloadFormatIndicator.HasValue || f.ContentType != null || f.ResponseTopic != null || f.CorrelationData != null ||
                    (f.UserProperties != null && f.UserProperties.Count > 0) || f.MessageExpiryInterval.HasValue);
            }
        }

        public bool IsExpired(long nowMilliseconds)
        {
            var f = _forwarded;
            return f != null && f.MessageExpiryInterval.HasValue && nowMilliseconds >= f.ExpiresAtMilliseconds;
        }

        /// <summary>Remaining lifetime in whole seconds, rounded up so a message is never announced as already expired
        /// ([MQTT-3.3.2-6]: the receiver gets the interval minus the time spent waiting in the server).</summary>
        public uint RemainingExpirySeconds(long nowMilliseconds)
        {
            var f = _forwarded;
            if (f == null || !f.MessageExpiryInterval.HasValue) return 0;
            var left = f.ExpiresAtMilliseconds - nowMilliseconds;
            if (left <= 0) return 0;
            return (uint)Math.Min(uint.MaxValue, (left + 999) / 1000);
        }

        public static BrokerMessage FromPublish(PublishPacket packet, string topic, string senderClientId, long nowMilliseconds)
        {
            var message = new BrokerMessage(topic, packet.Payload, packet.QoS, packet.Retain) { SenderClientId = senderClientId };
            if (packet.HasProperties) message.CopyProperties(packet.Properties, nowMilliseconds);
            return message;
        }

        public static BrokerMessage FromWill(MqttWillMessage will, string senderClientId, long nowMilliseconds)
        {
            var message = new BrokerMessage(will.Topic, will.Payload, will.QoS, will.Retain) { SenderClientId = senderClientId };
            if (will.HasProperties) message.CopyProperties(will.Properties, nowMilliseconds);
            return message;
        }

        public static BrokerMessage FromMqttMessage(MqttMessage m, long nowMilliseconds)
        {
            var message = new BrokerMessage(m.Topic, m.PayloadBytes, m.QoS, m.Retain)
            {
                PayloadFormatIndicator = m.PayloadFormatIndicator,
                ContentType = m.ContentType,
                ResponseTopic = m.ResponseTopic,
                CorrelationData = m.CorrelationData,
                MessageExpiryInterval = m.MessageExpiryInterval,
                Timestamp = m.Timestamp,
            };
            if (m.HasUserProperties) message.UserProperties = new List<MqttUserProperty>(m.UserProperties);
            if (m.MessageExpiryInterval.HasValue) message.ExpiresAtMilliseconds = nowMilliseconds + m.MessageExpiryInterval.Value * 1000L;
            return message;
        }

        private void CopyProperties(MqttProperties p, long nowMilliseconds)
        {
            PayloadFormatIndicator = p.PayloadFormatIndicator;
            ContentType = p.ContentType;
            ResponseTopic = p.ResponseTopic;
            CorrelationData = p.CorrelationData;
            if (p.HasUserProperties) UserProperties = new List<MqttUserProperty>(p.UserProperties);
            if (p.MessageExpiryInterval.HasValue)
            {
                MessageExpiryInterval = p.MessageExpiryInterval;
                ExpiresAtMilliseconds = nowMilliseconds + p.MessageExpiryInterval.Value * 1000L;
            }
        }

        /// <summary>The same message with another retain flag (retained copies are stored with retain set).</summary>
        public BrokerMessage WithRetain(bool retain)
        {
            if (retain == Retain) return this;
            // The forwarded properties are shared: neither message changes them once published.
            return new BrokerMessage(Topic, Payload, QoS, retain) { _forwarded = _forwarded, SenderClientId = SenderClientId, Timestamp = Timestamp };
        }

        public MqttMessage ToMqttMessage(long nowMilliseconds)
        {
            var m = new MqttMessage(Topic, Payload, QoS, Retain)
            {
                PayloadFormatIndicator = PayloadFormatIndicator,
                ContentType = ContentType,
                ResponseTopic = ResponseTopic,
                CorrelationData = CorrelationData,
                Timestamp = Timestamp,
            };
            if (MessageExpiryInterval.HasValue) m.MessageExpiryInterval = RemainingExpirySeconds(nowMilliseconds);
            if (UserProperties != null) m.UserProperties.AddRange(UserProperties);
            return m;
        }

        /// <summary>
        /// The PUBLISH for a subscriber that needs no per-subscriber properties (no subscription identifier, no topic
        /// alias). Encoded once per (protocol family, QoS, retain flag, remaining expiry) and shared: for QoS &gt; 0 the
        /// bytes hold packet id 0 at <see cref="EncodedPublish.PacketIdOffset"/> and the writer patches the real id in.
        /// </summary>
        public EncodedPublish GetEncoded(bool v5, MqttQualityOfService qos, bool retain, uint remainingExpiry)
        {
            var c = _cache0;
            if (c != null && c.Matches(v5, qos, retain, remainingExpiry)) return c;
            c = _cache1;
            if (c != null && c.Matches(v5, qos, retain, remainingExpiry)) return c;
            var encoded = EncodedPublish.Create(this, v5, qos, retain, remainingExpiry);
            // Two slots cover the common cases (one QoS, or 3.1.1 and 5.0 subscribers); races only cost an extra encode.
            if (_cache0 == null) System.Threading.Volatile.Write(ref _cache0, encoded);
            else System.Threading.Volatile.Write(ref _cache1, encoded);
            return encoded;
        }

        public PublishPacket ToPublishPacket(bool v5, MqttQualityOfService qos, bool retain, uint remainingExpiry)
        {
            var packet = new PublishPacket { Topic = Topic, Payload = Payload, QoS = qos, Retain = retain };
            if (v5 && HasForwardedProperties)
            {
                var p = packet.Properties;
                p.PayloadFormatIndicator = PayloadFormatIndicator;
                p.ContentType = ContentType;
                p.ResponseTopic = ResponseTopic;
                p.CorrelationData = CorrelationData;
                if (MessageExpiryInterval.HasValue) p.MessageExpiryInterval = remainingExpiry;
                if (UserProperties != null) p.UserProperties.AddRange(UserProperties);
            }
            return packet;
        }
    }
}
