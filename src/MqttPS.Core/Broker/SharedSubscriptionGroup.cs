using System.Collections.Generic;

namespace MqttPS.Core.Broker
{
    /// <summary>
    /// The members of one shared subscription "$share/{ShareName}/{filter}". Each matching message goes to one member,
    /// round-robin, preferring members that are connected (a persistent member that is offline only gets a message
    /// when no member is online, so load follows the clients that can take it).
    /// </summary>
    internal sealed class SharedSubscriptionGroup : SubscriptionEntry
    {
        private readonly List<Subscription> _members = new List<Subscription>();
        private int _next;

        public SharedSubscriptionGroup(string shareName, string matchFilter)
        {
            ShareName = shareName;
            MatchFilter = matchFilter;
        }

        public string ShareName { get; }
        public string MatchFilter { get; }

        public int Count { get { lock (_members) return _members.Count; } }

        public void Add(Subscription subscription)
        {
            lock (_members)
            {
                for (var i = 0; i < _members.Count; i++)
                {
                    if (_members[i].Session == subscription.Session) { _members[i] = subscription; return; }
                }
                _members.Add(subscription);
            }
        }

        /// <summary>Removes the session's membership; returns the number of members left.</summary>
        public int Remove(MqttSession session)
        {
            lock (_members)
            {
                for (var i = 0; i < _members.Count; i++)
                {
                    if (_members[i].Session == session) { _members.RemoveAt(i); break; }
                }
                return _members.Count;
            }
        }

        /// <summary>The member that gets the next message, or null when the group is empty.</summary>
        public Subscription PickNext(string senderClientId)
        {
            lock (_members)
            {
                var n = _members.Count;
                if (n == 0) return null;
                Subscription fallback = null;
                for (var k = 0; k < n; k++)
                {
                    var index = (_next + k) % n;
                    var candidate = _members[index];
                    if (candidate.Session.IsOnline)
                    {
                        _next = (index + 1) % n;
                        return candidate;
                    }
                    if (fallback == null) fallback = candidate;
                }
                _next = (_next + 1) % n;
                return fallback;
            }
        }
    }
}
