using System;
using System.Collections.Generic;
using MqttPS.Core.Topics;

namespace MqttPS.Core.Broker
{
    /// <summary>
    /// Maps topics to subscriptions: ordinary subscriptions go straight into the topic tree
    /// (<see cref="SubscriptionIndex{T}"/>); each shared subscription group is one entry of the tree that picks a member
    /// per message.
    /// </summary>
    internal sealed class SubscriptionRouter
    {
        private readonly SubscriptionIndex<SubscriptionEntry> _index = new SubscriptionIndex<SubscriptionEntry>();
        private readonly Dictionary<string, SharedSubscriptionGroup> _groups = new Dictionary<string, SharedSubscriptionGroup>(StringComparer.Ordinal);
        private int _count;
        private int _sharedCount;

        /// <summary>Subscriptions held, shared members included.</summary>
        public int Count => System.Threading.Volatile.Read(ref _count);

        /// <summary>Members of shared subscription groups.</summary>
        public int SharedCount => System.Threading.Volatile.Read(ref _sharedCount);

        public void Add(Subscription subscription)
        {
            if (subscription.ShareName == null)
            {
                if (_index.Add(subscription.MatchFilter, subscription)) System.Threading.Interlocked.Increment(ref _count);
                return;
            }
            var key = subscription.ShareName + "\u0000" + subscription.MatchFilter;
            lock (_groups)
            {
                if (!_groups.TryGetValue(key, out var group))
                {
                    group = new SharedSubscriptionGroup(subscription.ShareName, subscription.MatchFilter);
                    _groups.Add(key, group);
                    _index.Add(subscription.MatchFilter, group);
                }
                var before = group.Count;
                group.Add(subscription);
                if (group.Count > before)
                {
                    System.Threading.Interlocked.Increment(ref _count);
                    System.Threading.Interlocked.Increment(ref _sharedCount);
                }
            }
        }

        public void Remove(Subscription subscription)
        {
            if (subscription.ShareName == null)
            {
                if (_index.Remove(subscription.MatchFilter, subscription)) System.Threading.Interlocked.Decrement(ref _count);
                return;
            }
            var key = subscription.ShareName + "\u0000" + subscription.MatchFilter;
            lock (_groups)
            {
                if (!_groups.TryGetValue(key, out var group)) return;
                var before = group.Count;
                var left = group.Remove(subscription.Session);
                if (left < before)
                {
                    System.Threading.Interlocked.Decrement(ref _count);
                    System.Threading.Interlocked.Decrement(ref _sharedCount);
                }
                if (left == 0)
                {
                    _groups.Remove(key);
                    _index.Remove(subscription.MatchFilter, group);
                }
            }
        }

        /// <summary>Appends every entry whose filter matches <paramref name="topic"/>.</summary>
        public void Match(string topic, List<SubscriptionEntry> results) => _index.Match(topic, results);
    }
}
