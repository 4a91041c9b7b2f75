using MqttPS.Core.Protocol;

namespace MqttPS.Core.Client
{
    /// <summary>
    /// Topic aliases the broker set on this connection, at most the client's Topic Alias Maximum [MQTT-3.3.2-11]; they do not outlive the connection [MQTT-3.3.2-7].
    /// A PUBLISH with topic and alias (re)defines it; one with an empty topic uses it.
    /// </summary>
    internal sealed class IncomingTopicAliases
    {
        private readonly string[] _topics;

        public IncomingTopicAliases(ushort maximum) { _topics = new string[maximum + 1]; }

        /// <summary>The topic of <paramref name="packet"/>, resolving or recording its Topic Alias.</summary>
        public string Resolve(PublishPacket packet)
        {
            if (!packet.HasProperties || !packet.Properties.TopicAlias.HasValue)
            {
                if (string.IsNullOrEmpty(packet.Topic))
                    throw new MqttProtocolException(MqttReasonCode.ProtocolError, null, "A PUBLISH arrived with neither a topic name nor a topic alias.");
                return packet.Topic;
            }
            var alias = packet.Properties.TopicAlias.Value;
            if (alias == 0 || alias >= _topics.Length)
                throw new MqttProtocolException(MqttReasonCode.TopicAliasInvalid, "MQTT-3.3.2-11",
                    "The broker used topic alias " + alias + " but this client allows 1-" + (_topics.Length - 1) + ".");
            if (!string.IsNullOrEmpty(packet.Topic))
            {
                _topics[alias] = packet.Topic;
                return packet.Topic;
            }
            var topic = _topics[alias];
            if (topic == null)
                throw new MqttProtocolException(MqttReasonCode.ProtocolError, null,
                    "The broker used topic alias " + alias + " with an empty topic before defining it.");
            return topic;
        }
    }
}
