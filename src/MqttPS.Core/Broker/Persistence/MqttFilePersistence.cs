using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using MqttPS.Core.Messages;
using MqttPS.Core.Protocol;

namespace MqttPS.Core.Broker.Persistence
{
    /// <summary>
    /// The broker's persistence hooks over a <see cref="MqttPersistentStore"/> directory. Hooks append to the store
    /// without waiting; the broker awaits <see cref="FlushAsync"/> before acknowledging. If the store fails (disk
    /// full, I/O error), the hooks stop recording and <see cref="FlushAsync"/> faults, so nothing is acknowledged
    /// that was not stored; <see cref="Failure"/> says why.
    /// </summary>
    public sealed class MqttFilePersistence : IMqttBrokerPersistence, IDisposable
    {
        private readonly MqttPersistentStore _store;
        private volatile Exception _failure;

        public MqttFilePersistence(MqttPersistentStore store)
        {
            _store = store ?? throw new ArgumentNullException(nameof(store));
        }

        public static MqttFilePersistence Open(string directory, PersistenceDurability durability = PersistenceDurability.PerMessage)
            => new MqttFilePersistence(MqttPersistentStore.Open(directory, new MqttPersistenceOptions { Durability = durability }));

        public MqttPersistentStore Store => _store;
        public Exception Failure => _failure;

        public IEnumerable<MqttMessage> LoadRetained() => _store.GetRetainedMessages();

        public IEnumerable<PersistedSession> LoadSessions() => _store.GetSessions();

        public void RetainedChanged(string topic, MqttMessage message) =>
            Record(() => message == null || message.PayloadBytes.Length == 0 ? _store.ClearRetainedAsync(topic) : _store.SetRetainedAsync(message));

        public void SessionCreated(string clientId, uint sessionExpiryInterval, string owner) => Record(() => _store.CreateSessionAsync(clientId, sessionExpiryInterval, owner));

        public void SessionRemoved(string clientId) => Record(() => _store.RemoveSessionAsync(clientId));

        public void SubscriptionAdded(string clientId, MqttTopicSubscription s, uint subscriptionIdentifier) =>
            Record(() => _store.AddSubscriptionAsync(clientId, new PersistedSubscription
            {
                TopicFilter = s.TopicFilter, QoS = s.QoS, NoLocal = s.NoLocal, RetainAsPublished = s.RetainAsPublished,
                RetainHandling = s.RetainHandling, SubscriptionIdentifier = subscriptionIdentifier,
            }));

        public void SubscriptionRemoved(string clientId, string topicFilter) => Record(() => _store.RemoveSubscriptionAsync(clientId, topicFilter));

        public long SessionMessageQueued(string clientId, MqttMessage message, uint subscriptionIdentifier)
        {
            if (_failure != null) return 0;
            var sequence = _store.NextSequence();
            if (subscriptionIdentifier != 0 && !message.SubscriptionIdentifiers.Contains(subscriptionIdentifier)) message.SubscriptionIdentifiers.Add(subscriptionIdentifier);
            Record(() => _store.QueueMessageAsync(clientId, sequence, message));
            return sequence;
        }

        public void SessionMessageCompleted(string clientId, long sequence)
        {
            if (sequence != 0) Record(() => _store.AcknowledgeMessageAsync(clientId, sequence));
        }

        public void SessionMessageSent(string clientId, long sequence, ushort packetId)
        {
            if (sequence != 0) Record(() => _store.SetInFlightAsync(clientId, sequence, packetId, InFlightState.PublishSent));
        }

        public void SessionMessageReleased(string clientId, long sequence, ushort packetId)
        {
            if (sequence != 0) Record(() => _store.SetInFlightAsync(clientId, sequence, packetId, InFlightState.ReleaseSent));
        }

        public void IncomingQoS2Received(string clientId, ushort packetId, MqttMessage message) => Record(() => _store.IncomingQoS2ReceivedAsync(clientId, packetId, message));

        public void IncomingQoS2Released(string clientId, ushort packetId) => Record(() => _store.IncomingQoS2ReleasedAsync(clientId, packetId));

        public Task FlushAsync()
        {
            var failure = _failure;
            if (failure != null) return FromException(failure);
            try { return _store.FlushAsync(); }
            catch (Exception e) { _failure = e; return FromException(e); }
        }

        private void Record(Func<Task> append)
        {
            if (_failure != null) return;
            try
            {
                var task = append();
                if (!task.IsCompleted) task.ContinueWith(t => _failure = t.Exception?.InnerException ?? t.Exception, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously);
            }
            catch (Exception e)
            {
                // A failed store must not break the connection that reported the change; FlushAsync refuses acknowledgements.
                _failure = e;
            }
        }

        private static Task FromException(Exception e)
        {
            var tcs = new TaskCompletionSource<bool>();
            tcs.SetException(e);
            return tcs.Task;
        }

        public void Dispose() => _store.Dispose();
    }
}
