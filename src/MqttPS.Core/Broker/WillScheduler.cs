using System.Collections.Generic;

namespace MqttPS.Core.Broker
{
    /// <summary>
    /// Wills waiting for their Will Delay Interval (5.0, 3.1.3.2.2). A will is published when its delay elapses or
    /// when its session ends, whichever comes first [MQTT-3.1.3-9]; it is cancelled when the client reconnects to the
    /// session before that [MQTT-3.1.3-10].
    /// </summary>
    internal sealed class WillScheduler
    {
        private readonly Dictionary<MqttSession, PendingWill> _pending = new Dictionary<MqttSession, PendingWill>();

        /// <summary>A will and the identity of the client that set it: it is published in that client's name.</summary>
        internal sealed class PendingWill
        {
            public BrokerMessage Will;
            public MqttClientIdentity Publisher;

            /// <summary>The rules of the listener the client connected through.</summary>
            public IMqttBrokerAuthorizer Authorizer;
            public long DueAtMilliseconds;
        }

        public int Count { get { lock (_pending) return _pending.Count; } }

        public void Schedule(MqttSession session, BrokerMessage will, MqttClientIdentity publisher, IMqttBrokerAuthorizer authorizer, long dueAtMilliseconds)
        {
            lock (_pending) _pending[session] = new PendingWill { Will = will, Publisher = publisher, Authorizer = authorizer, DueAtMilliseconds = dueAtMilliseconds };
        }

        /// <summary>The client came back: its delayed will is not sent.</summary>
        public void Cancel(MqttSession session)
        {
            lock (_pending) _pending.Remove(session);
        }

        /// <summary>The session ended: its will, if still pending, is due now.</summary>
        public PendingWill TakeForSessionEnd(MqttSession session)
        {
            lock (_pending)
            {
                if (!_pending.TryGetValue(session, out var p)) return null;
                _pending.Remove(session);
                return p;
            }
        }

        /// <summary>Wills whose delay has elapsed, removed from the schedule.</summary>
        public List<PendingWill> TakeDue(long nowMilliseconds)
        {
            List<PendingWill> due = null;
            lock (_pending)
            {
                if (_pending.Count == 0) return null;
                List<MqttSession> done = null;
                foreach (var pair in _pending)
                {
                    if (pair.Value.DueAtMilliseconds > nowMilliseconds) continue;
                    (due ?? (due = new List<PendingWill>())).Add(pair.Value);
                    (done ?? (done = new List<MqttSession>())).Add(pair.Key);
                }
                if (done != null) foreach (var s in done) _pending.Remove(s);
            }
            return due;
        }
    }
}
