using System;
using System.Collections.Concurrent;
using System.Collections.Generic;

namespace MqttPS.Core.Broker
{
    /// <summary>Sessions by client id (clean and persistent, online and offline).</summary>
    internal sealed class SessionStore
    {
        private readonly ConcurrentDictionary<string, MqttSession> _sessions = new ConcurrentDictionary<string, MqttSession>(StringComparer.Ordinal);

        public int Count => _sessions.Count;

        public MqttSession Get(string clientId) => _sessions.TryGetValue(clientId, out var s) ? s : null;

        public void Put(MqttSession session) => _sessions[session.ClientId] = session;

        /// <summary>Removes the session only if it is still the one stored under its id.</summary>
        public bool Remove(MqttSession session)
            => ((ICollection<KeyValuePair<string, MqttSession>>)_sessions).Remove(new KeyValuePair<string, MqttSession>(session.ClientId, session));

        public ICollection<MqttSession> All => _sessions.Values;
    }
}
