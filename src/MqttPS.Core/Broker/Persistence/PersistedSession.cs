using System.Collections.Generic;

namespace MqttPS.Core.Broker.Persistence
{
    /// <summary>A persistent session as recovered from the store: a copy, safe to read while the store changes.</summary>
    public sealed class PersistedSession
    {
        internal PersistedSession(string clientId) { ClientId = clientId; }

        public string ClientId { get; }
        public uint SessionExpiryInterval { get; internal set; }

        /// <summary>The user the session belongs to (null: anonymous); meaningful when <see cref="OwnerKnown"/>.</summary>
        public string Owner { get; internal set; }

        /// <summary>False for a session stored before owners were recorded.</summary>
        public bool OwnerKnown { get; internal set; }

        /// <summary>Keyed by topic filter.</summary>
        public Dictionary<string, PersistedSubscription> Subscriptions { get; } = new Dictionary<string, PersistedSubscription>(System.StringComparer.Ordinal);

        /// <summary>Keyed and ordered by <see cref="PersistedQueuedMessage.Sequence"/>.</summary>
        public SortedDictionary<long, PersistedQueuedMessage> Messages { get; } = new SortedDictionary<long, PersistedQueuedMessage>();

        /// <summary>Incoming QoS 2 PUBLISHes acknowledged with PUBREC and not yet released (PUBREL), by packet id: after a
        /// restart the client's PUBREL still completes the flow and the message is delivered exactly once [MQTT-4.3.3-10].</summary>
        public Dictionary<ushort, MqttPS.Core.Messages.MqttMessage> IncomingQoS2 { get; } = new Dictionary<ushort, MqttPS.Core.Messages.MqttMessage>();

        internal PersistedSession Clone()
        {
            var copy = new PersistedSession(ClientId) { SessionExpiryInterval = SessionExpiryInterval, Owner = Owner, OwnerKnown = OwnerKnown };
            foreach (var s in Subscriptions) copy.Subscriptions.Add(s.Key, s.Value);
            foreach (var m in Messages)
                copy.Messages.Add(m.Key, new PersistedQueuedMessage { Sequence = m.Value.Sequence, Message = m.Value.Message, PacketId = m.Value.PacketId, State = m.Value.State });
            foreach (var m in IncomingQoS2) copy.IncomingQoS2.Add(m.Key, m.Value);
            return copy;
        }
    }
}
