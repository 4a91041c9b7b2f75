using System;
using System.Collections.Generic;
using System.Linq;

namespace MqttPS.Core.Shell
{
    /// <summary>The subscriptions of one PowerShell session, numbered from 1 like jobs are.</summary>
    public sealed class MqttSubscriptionRegistry
    {
        private readonly object _gate = new object();
        private readonly List<MqttSubscription> _subscriptions = new List<MqttSubscription>();
        private int _nextId;

        public int NextId()
        {
            lock (_gate) return ++_nextId;
        }

        public void Add(MqttSubscription subscription)
        {
            lock (_gate)
            {
                if (subscription.SourceIdentifier != null &&
                    _subscriptions.Any(s => string.Equals(s.SourceIdentifier, subscription.SourceIdentifier, StringComparison.OrdinalIgnoreCase)))
                {
                    throw new MqttShellException("SourceIdentifierInUse", ShellErrorCategory.ResourceExists,
                        "A subscription with the source identifier " + ShellText.Quote(subscription.SourceIdentifier) + " already exists; unregister it first or pick another -SourceIdentifier.",
                        subscription.SourceIdentifier);
                }
                _subscriptions.Add(subscription);
            }
        }

        public bool Remove(MqttSubscription subscription)
        {
            lock (_gate) return _subscriptions.Remove(subscription);
        }

        public IReadOnlyList<MqttSubscription> All
        {
            get { lock (_gate) return _subscriptions.ToArray(); }
        }

        /// <summary>Subscriptions matching every criterion given (null = any). Topic matches a filter exactly or by wildcard pattern on its text.</summary>
        public IReadOnlyList<MqttSubscription> Find(int[] ids = null, string sourceIdentifier = null, string topicPattern = null, MqttConnection connection = null)
        {
            lock (_gate)
            {
                return _subscriptions.Where(s =>
                    (ids == null || ids.Contains(s.Id)) &&
                    (sourceIdentifier == null || (s.SourceIdentifier != null && WildcardName.IsMatch(sourceIdentifier, s.SourceIdentifier))) &&
                    (topicPattern == null || s.TopicFilters.Any(f => f == topicPattern || (WildcardName.HasWildcards(topicPattern) && WildcardName.IsMatch(topicPattern, f)))) &&
                    (connection == null || ReferenceEquals(s.Connection, connection))).ToArray();
            }
        }
    }
}
