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

        /// <summary>Every session, enumerated in place: the dictionary's Values would copy all of them into a new array
        /// on every call, and the broker's housekeeping sweeps them every second (with 10,000 idle clients, 80 KB of
        /// garbage a second for nothing).</summary>
        public IEnumerable<MqttSession> All
        {
            get
            {
                foreach (var pair in _sessions) yield return pair.Value;
            }
        }
    }
}
