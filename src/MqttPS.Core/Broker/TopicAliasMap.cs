using System;
using System.Collections.Generic;
using MqttPS.Core.Protocol;

namespace MqttPS.Core.Broker
{
    /// <summary>
    /// Topic aliases of one connection (5.0, section 3.3.2.3.4), in both directions: aliases the client sets on its
    /// PUBLISH packets (resolved here), and aliases the broker assigns on PUBLISH packets it sends when the client
    /// announced a Topic Alias Maximum. Aliases live as long as the network connection [MQTT-3.3.2-7].
    /// </summary>
    internal sealed class TopicAliasMap
    {
        private readonly ushort _inboundMaximum;
        private readonly string[] _inbound;
        private readonly ushort _outboundMaximum;
        private Dictionary<string, ushort> _outbound;

        /// <summary>No aliases either way (3.1/3.1.1, or neither side allows any): nothing in it ever changes, so
        /// every such connection shares one instead of holding its own.</summary>
        private static readonly TopicAliasMap None = new TopicAliasMap(0, 0);

        public static TopicAliasMap Create(ushort inboundMaximum, ushort outboundMaximum)
            => inboundMaximum == 0 && outboundMaximum == 0 ? None : new TopicAliasMap(inboundMaximum, outboundMaximum);

        private TopicAliasMap(ushort inboundMaximum, ushort outboundMaximum)
        {
            _inboundMaximum = inboundMaximum;
            _inbound = inboundMaximum > 0 ? new string[inboundMaximum + 1] : null;
            _outboundMaximum = outboundMaximum;
        }

        /// <summary>The topic a received PUBLISH refers to. Records a new alias when both topic and alias are present.</summary>
        public string ResolveInbound(string topic, ushort? alias)
        {
            if (!alias.HasValue)
            {
                if (string.IsNullOrEmpty(topic))
                    throw new MqttProtocolException(MqttReasonCode.ProtocolError, "MQTT-3.3.2-8", "PUBLISH has neither a topic name nor a topic alias");
                return topic;
            }
            var a = alias.Value;
            if (a == 0 || a > _inboundMaximum)
                throw new MqttProtocolException(MqttReasonCode.TopicAliasInvalid, "MQTT-3.3.2-9",
                    "topic alias " + a + " is outside 1.." + _inboundMaximum + " (the Topic Alias Maximum sent in CONNACK)");
            if (string.IsNullOrEmpty(topic))
            {
                var known = _inbound[a];
                if (known == null)
                    throw new MqttProtocolException(MqttReasonCode.ProtocolError, null, "topic alias " + a + " was used before it was set");
                return known;
            }
            _inbound[a] = topic;
            return topic;
        }

        /// <summary>
        /// For a PUBLISH to the client: the alias to send and whether the topic name can be left out (alias already
        /// known to the client). Returns false when no alias applies (client allows none, or all are taken).
        /// </summary>
        public bool TryGetOutbound(string topic, out ushort alias, out bool known)
        {
            alias = 0;
            known = false;
            if (_outboundMaximum == 0) return false;
            lock (this)
            {
                if (_outbound == null) _outbound = new Dictionary<string, ushort>(StringComparer.Ordinal);
                if (_outbound.TryGetValue(topic, out alias)) { known = true; return true; }
                // First come, first served; topics beyond the client's maximum travel with their name.
                if (_outbound.Count >= _outboundMaximum) return false;
                alias = (ushort)(_outbound.Count + 1);
                _outbound.Add(topic, alias);
                return true;
            }
        }

        public bool UsesOutboundAliases => _outboundMaximum > 0;
    }
}
