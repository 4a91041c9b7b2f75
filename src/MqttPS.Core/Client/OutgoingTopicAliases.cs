using System.Collections.Generic;

namespace MqttPS.Core.Client
{
    /// <summary>
    /// Topic aliases this client assigns to the broker on one connection (5.0, section 3.3.2.3.4), up to the broker's
    /// Topic Alias Maximum [MQTT-3.3.2-9]. First use of a topic sends topic and alias; later publishes send the
    /// alias with an empty topic. Aliases do not survive the connection [MQTT-3.3.2-7]. Used under the writer's
    /// lock, so assignment and encoding happen in the same order on the wire.
    /// </summary>
    internal sealed class OutgoingTopicAliases
    {
        private readonly Dictionary<string, ushort> _aliases = new Dictionary<string, ushort>();
        private readonly ushort _maximum;

        public OutgoingTopicAliases(ushort maximum) { _maximum = maximum; }

        /// <summary>The alias to send and whether the topic can be left out (alias already known to the broker).</summary>
        public ushort Resolve(string topic, out bool alreadyKnown)
        {
            if (_aliases.TryGetValue(topic, out var alias))
            {
                alreadyKnown = true;
                return alias;
            }
            alreadyKnown = false;
            if (_aliases.Count >= _maximum) return 0;
            alias = (ushort)(_aliases.Count + 1);
            _aliases.Add(topic, alias);
            return alias;
        }
    }
}
