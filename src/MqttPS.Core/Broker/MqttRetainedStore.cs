using System;
using System.Collections.Generic;
using MqttPS.Core.Messages;
using MqttPS.Core.Protocol;
using MqttPS.Core.Topics;

namespace MqttPS.Core.Broker
{
    /// <summary>
    /// The retained message of each topic. Thread-safe. A retained PUBLISH with an empty payload clears the topic
    /// [MQTT-3.3.1-6]; expired messages are neither listed nor delivered. Editable through the broker's API
    /// (Get-MqttRetainedMessage and friends): what is set here is delivered to later subscribers like a published one.
    /// </summary>
    public sealed class MqttRetainedStore
    {
        private readonly Dictionary<string, BrokerMessage> _messages = new Dictionary<string, BrokerMessage>(StringComparer.Ordinal);
        private readonly object _lock = new object();
        /// <summary>Called with the topic, its new message (null when cleared) and who cleared it (a client id, or null).</summary>
        private readonly Action<string, BrokerMessage, string> _changed;

        internal MqttRetainedStore(Action<string, BrokerMessage, string> changed = null, int maximum = 0)
        {
            _changed = changed;
            Maximum = maximum;
        }

        /// <summary>Most topics kept (0 = unlimited); a new topic beyond it is not retained.</summary>
        public int Maximum { get; }

        public int Count { get { lock (_lock) return _messages.Count; } }

        /// <summary>The retained messages whose topic matches <paramref name="topicFilter"/> (wildcards allowed;
        /// null or "#" = all, $-topics included only when asked for explicitly, as subscriptions see them).</summary>
        public IReadOnlyList<MqttMessage> List(string topicFilter = "#")
        {
            var now = MonotonicClock.NowMilliseconds;
            var result = new List<MqttMessage>();
            foreach (var m in Match(string.IsNullOrEmpty(topicFilter) ? "#" : topicFilter, now))
                result.Add(m.ToMqttMessage(now));
            result.Sort((a, b) => string.CompareOrdinal(a.Topic, b.Topic));
            return result;
        }

        /// <summary>The retained message of one topic, or null.</summary>
        public MqttMessage Get(string topic)
        {
            if (topic == null) throw new ArgumentNullException(nameof(topic));
            var now = MonotonicClock.NowMilliseconds;
            lock (_lock)
            {
                return _messages.TryGetValue(topic, out var m) && !m.IsExpired(now) ? m.ToMqttMessage(now) : null;
            }
        }

        /// <summary>Stores <paramref name="message"/> as its topic's retained message; an empty payload clears it.</summary>
        public void Set(MqttMessage message)
        {
            if (message == null) throw new ArgumentNullException(nameof(message));
            MqttTopic.ValidateTopicName(message.Topic);
            var stored = BrokerMessage.FromMqttMessage(message, MonotonicClock.NowMilliseconds).WithRetain(true);
            Set(stored);
        }

        /// <summary>Removes a topic's retained message; false when it had none.</summary>
        public bool Delete(string topic) => Delete(topic, null);

        private bool Delete(string topic, string clearedBy)
        {
            if (topic == null) throw new ArgumentNullException(nameof(topic));
            bool removed;
            lock (_lock) removed = _messages.Remove(topic);
            if (removed) _changed?.Invoke(topic, null, clearedBy);
            return removed;
        }

        /// <summary>Removes every retained message; returns how many there were.</summary>
        public int Clear()
        {
            List<string> topics;
            lock (_lock)
            {
                topics = new List<string>(_messages.Keys);
                _messages.Clear();
            }
            foreach (var t in topics) _changed?.Invoke(t, null, null);
            return topics.Count;
        }

        internal void Set(BrokerMessage message)
        {
            if (message.Payload.Length == 0)
            {
                // An empty retained publish clears the topic [MQTT-3.3.1-6]; the event names the client that sent it.
                Delete(message.Topic, message.SenderClientId);
                return;
            }
            lock (_lock)
            {
                if (Maximum > 0 && _messages.Count >= Maximum && !_messages.ContainsKey(message.Topic)) return;
                _messages[message.Topic] = message;
            }
            _changed?.Invoke(message.Topic, message, null);
        }

        /// <summary>Whether <paramref name="message"/> is still the retained message of its topic (not replaced or cleared).</summary>
        internal bool IsCurrent(BrokerMessage message)
        {
            lock (_lock) return _messages.TryGetValue(message.Topic, out var current) && ReferenceEquals(current, message);
        }

        /// <summary>Retained messages matching a filter, for delivery on subscribe. A filter without wildcards is a
        /// dictionary lookup; a wildcard filter scans the store.</summary>
        internal List<BrokerMessage> Match(string topicFilter, long nowMilliseconds)
        {
            var result = new List<BrokerMessage>();
            lock (_lock)
            {
                if (!MqttTopic.HasWildcards(topicFilter))
                {
                    if (_messages.TryGetValue(topicFilter, out var m) && !m.IsExpired(nowMilliseconds)) result.Add(m);
                    return result;
                }
                foreach (var pair in _messages)
                {
                    if (!pair.Value.IsExpired(nowMilliseconds) && MqttTopic.Matches(topicFilter, pair.Key)) result.Add(pair.Value);
                }
            }
            return result;
        }

        /// <summary>Drops expired messages (housekeeping), so they do not hold memory until someone subscribes.</summary>
        internal int RemoveExpired(long nowMilliseconds)
        {
            List<string> expired = null;
            lock (_lock)
            {
                foreach (var pair in _messages)
                {
                    if (pair.Value.IsExpired(nowMilliseconds)) (expired ?? (expired = new List<string>())).Add(pair.Key);
                }
                if (expired != null) foreach (var t in expired) _messages.Remove(t);
            }
            if (expired == null) return 0;
            foreach (var t in expired) _changed?.Invoke(t, null, null);
            return expired.Count;
        }
    }
}
