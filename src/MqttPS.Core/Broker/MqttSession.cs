using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using MqttPS.Core.Protocol;

namespace MqttPS.Core.Broker
{
    /// <summary>
    /// The state the broker keeps for one client id across connections: subscriptions, QoS 1/2 messages in flight in
    /// both directions, packet identifiers and the bounded queue of messages waiting for the client. Every member is
    /// used under lock(this); the connection that currently owns the session is <see cref="Connection"/>.
    /// </summary>
    internal sealed class MqttSession
    {
        private readonly MqttBroker _broker;
        private ushort _lastPacketId;
        private long _sequence;

        public MqttSession(MqttBroker broker, string clientId)
        {
            _broker = broker;
            ClientId = clientId;
        }

        public string ClientId { get; }

        /// <summary>The connection using the session, or null while the client is away.</summary>
        public BrokerConnection Connection { get; set; }

        public bool IsOnline => Connection != null;

        /// <summary>Seconds the session outlives its connection; uint.MaxValue = forever (3.1.1 clean session 0).</summary>
        public uint SessionExpiryInterval { get; set; }

        /// <summary>Monotonic time when an offline session ends.</summary>
        public long ExpiresAtMilliseconds { get; set; } = long.MaxValue;

        // The four collections are created when first needed: most sessions sit idle with no subscription (a
        // publisher), nothing in flight and nothing queued, and four empty collections were a tenth of an idle
        // connection's memory. Once created they stay, so a busy session does not allocate them again and again.
        // The properties create them (for adding); counts and lookups below never do.
        private Dictionary<string, Subscription> _subscriptions;
        private Dictionary<ushort, InflightMessage> _inflightOut;
        private Dictionary<ushort, IncomingQoS2Message> _inflightIn;
        private LinkedList<QueuedMessage> _queue;

        /// <summary>Subscriptions by the filter the client sent.</summary>
        public Dictionary<string, Subscription> Subscriptions => _subscriptions ?? (_subscriptions = new Dictionary<string, Subscription>(StringComparer.Ordinal));

        public int SubscriptionCount => _subscriptions == null ? 0 : _subscriptions.Count;

        public bool TryGetSubscription(string topicFilter, out Subscription subscription)
        {
            subscription = null;
            return _subscriptions != null && _subscriptions.TryGetValue(topicFilter, out subscription);
        }

        /// <summary>QoS 1/2 messages sent to the client and not completed, by packet id.</summary>
        public Dictionary<ushort, InflightMessage> InflightOut => _inflightOut ?? (_inflightOut = new Dictionary<ushort, InflightMessage>());

        public int InflightOutCount => _inflightOut == null ? 0 : _inflightOut.Count;

        public bool TryGetInflightOut(ushort packetId, out InflightMessage message)
        {
            message = null;
            return _inflightOut != null && _inflightOut.TryGetValue(packetId, out message);
        }

        /// <summary>QoS 2 messages received (PUBREC sent), waiting for PUBREL.</summary>
        public Dictionary<ushort, IncomingQoS2Message> InflightIn => _inflightIn ?? (_inflightIn = new Dictionary<ushort, IncomingQoS2Message>());

        public int InflightInCount => _inflightIn == null ? 0 : _inflightIn.Count;

        public bool TryGetInflightIn(ushort packetId, out IncomingQoS2Message message)
        {
            message = null;
            return _inflightIn != null && _inflightIn.TryGetValue(packetId, out message);
        }

        /// <summary>Messages waiting for the in-flight window or for the client to come back.</summary>
        public LinkedList<QueuedMessage> Queue => _queue ?? (_queue = new LinkedList<QueuedMessage>());

        public int QueueCount => _queue == null ? 0 : _queue.Count;

        /// <summary>Forgets every message in flight in both directions (the session is being discarded).</summary>
        public void ClearInflight()
        {
            _inflightOut?.Clear();
            _inflightIn?.Clear();
        }

        /// <summary>The session has ended (expired, taken over by a clean start); late deliveries are ignored.</summary>
        public bool IsDiscarded { get; set; }

        /// <summary>The session is recorded in the broker's persistence store (its expiry interval is not 0).</summary>
        public bool IsPersisted { get; set; }

        /// <summary>The user the session belongs to (null: an anonymous client), for authorization while the client is
        /// offline. Only a connection of this user may resume or take over the session.</summary>
        public string Username { get; set; }

        /// <summary>The topic rules of the listener the last connection came through (null: the broker's), for
        /// authorization while the client is offline.</summary>
        public IMqttBrokerAuthorizer Authorizer { get; set; }

        /// <summary>False for a session restored from a store written before owners were recorded: the first user to
        /// resume it becomes its owner.</summary>
        public bool OwnerKnown { get; set; }

        /// <summary>Whether a connection authenticated as <paramref name="username"/> may use this session.</summary>
        public bool IsOwnedBy(string username) => !OwnerKnown || string.Equals(Username, username, StringComparison.Ordinal);

        /// <summary>Records a QoS 1/2 message for a stored session before it is queued or sent, so a restart keeps it.</summary>
        private void Store(QueuedMessage delivery)
        {
            var persistence = _broker.Persistence;
            if (persistence == null || !IsPersisted || delivery.QoS == MqttQualityOfService.AtMostOnce || delivery.StoreSequence != 0) return;
            var m = delivery.Message.ToMqttMessage(MonotonicClock.NowMilliseconds);
            m.QoS = delivery.QoS;
            m.Retain = delivery.Retain;
            delivery.StoreSequence = persistence.SessionMessageQueued(ClientId, m, delivery.SubscriptionIdentifier);
        }

        /// <summary>Restores an outgoing message that was in flight when the broker stopped: sent and waiting for
        /// PUBACK/PUBREC, or (<paramref name="released"/>) QoS 2 waiting for PUBCOMP. Called in store order, so
        /// <see cref="ResendInflight"/> sends them again in their original order.</summary>
        public void RestoreInflight(QueuedMessage delivery, ushort packetId, bool released)
        {
            InflightOut[packetId] = new InflightMessage(delivery, packetId, ++_sequence) { Released = released };
        }

        /// <summary>The message's delivery ended (acknowledged, refused, dropped, expired): forget it in the store.</summary>
        public void Completed(QueuedMessage delivery)
        {
            if (delivery.StoreSequence == 0) return;
            _broker.Persistence?.SessionMessageCompleted(ClientId, delivery.StoreSequence);
            delivery.StoreSequence = 0;
        }

        private int SendQuota => Connection?.SendQuota ?? 0;

        /// <summary>
        /// Delivers (or queues) one message. QoS 0 goes straight to the socket queue; QoS 1/2 go out while the
        /// in-flight window has room and nothing is queued before them (order is kept), else into the queue.
        /// </summary>
        public void Deliver(QueuedMessage delivery)
        {
            if (IsDiscarded) return;
            var connection = Connection;
            if (connection == null)
            {
                if (delivery.QoS == MqttQualityOfService.AtMostOnce && !_broker.Options.QueueQoS0Messages) return;
                EnqueueBounded(delivery);
                return;
            }
            if (delivery.QoS == MqttQualityOfService.AtMostOnce)
            {
                if (connection.SendPublish(delivery, 0, false) == 1)
                    _broker.OnMessageDropped(ClientId, delivery.Message, "the client's send buffer is full (slow reader)");
                return;
            }
            if (QueueCount == 0 && InflightOutCount < SendQuota)
            {
                SendInflight(connection, delivery);
                return;
            }
            EnqueueBounded(delivery);
        }

        private void SendInflight(BrokerConnection connection, QueuedMessage delivery)
        {
            var id = NextPacketId();
            Store(delivery);
            InflightOut[id] = new InflightMessage(delivery, id, ++_sequence);
            if (delivery.StoreSequence != 0) _broker.Persistence?.SessionMessageSent(ClientId, delivery.StoreSequence, id);
            // Too large for the client [MQTT-3.1.2-25], or the client may not read it: discarded as if delivered, the
            // id is free again.
            if (connection.SendPublish(delivery, id, false) == 2)
            {
                InflightOut.Remove(id);
                Completed(delivery);
            }
        }

        /// <summary>Bytes held by <see cref="Queue"/> (payload and topic of each message), for MaxQueuedBytesPerSession.</summary>
        public long QueuedBytes { get; private set; }

        private static long SizeOf(QueuedMessage delivery) => delivery.Message.Payload.Length + delivery.Message.Topic.Length;

        public void QueueAdd(QueuedMessage delivery)
        {
            Queue.AddLast(delivery);
            QueuedBytes += SizeOf(delivery);
        }

        private QueuedMessage QueueTakeFirst()
        {
            var first = Queue.First.Value;
            Queue.RemoveFirst();
            QueuedBytes -= SizeOf(first);
            return first;
        }

        public void QueueClear()
        {
            _queue?.Clear();
            QueuedBytes = 0;
        }

        private void EnqueueBounded(QueuedMessage delivery)
        {
            var limit = _broker.Options.MaxQueuedMessagesPerSession;
            var byteLimit = _broker.Options.MaxQueuedBytesPerSession;
            var size = SizeOf(delivery);
            if (byteLimit > 0 && size > byteLimit)
            {
                _broker.OnMessageDropped(ClientId, delivery.Message, "message of " + size + " bytes is larger than the session queue limit (" + byteLimit + " bytes)");
                return;
            }
            while ((limit > 0 && QueueCount >= limit) || (byteLimit > 0 && QueuedBytes + size > byteLimit))
            {
                var why = limit > 0 && QueueCount >= limit ? "session queue full (" + limit + ")" : "session queue holds " + QueuedBytes + " of " + byteLimit + " bytes";
                // A queued QoS 0 message is the cheapest loss: drop the oldest one first, whatever the policy.
                LinkedListNode<QueuedMessage> qos0 = null;
                for (var node = Queue.First; node != null; node = node.Next)
                {
                    if (node.Value.QoS == MqttQualityOfService.AtMostOnce) { qos0 = node; break; }
                }
                if (qos0 != null)
                {
                    Queue.Remove(qos0);
                    QueuedBytes -= SizeOf(qos0.Value);
                    _broker.OnMessageDropped(ClientId, qos0.Value.Message, why + "; oldest QoS 0 message dropped");
                }
                else if (_broker.Options.QueueOverflowPolicy == QueueOverflowPolicy.DropOldest)
                {
                    var oldest = QueueTakeFirst();
                    Completed(oldest);
                    _broker.OnMessageDropped(ClientId, oldest.Message, why + "; oldest message dropped");
                }
                else
                {
                    _broker.OnMessageDropped(ClientId, delivery.Message, why + "; new message dropped");
                    return;
                }
            }
            Store(delivery);
            QueueAdd(delivery);
            // An online client falling behind: ask the publisher to slow down before anything has to be dropped.
            if (Connection != null && !Stalled && QueueCount >= CongestionTracker.HighWatermark(_broker.Options)) CongestionTracker.Note(this);
        }

        private TaskCompletionSource<bool> _drainedWaiter;

        /// <summary>The client stayed congested past the publisher back-off: it no longer slows publishers down
        /// (its own queue bound applies) until it catches up.</summary>
        public bool Stalled { get; set; }

        /// <summary>Completes when the queue is down to <paramref name="low"/> messages (or the client left).</summary>
        public Task WaitForDrainAsync(int low)
        {
            if (Connection == null || QueueCount <= low) return Task.CompletedTask;
            if (_drainedWaiter == null) _drainedWaiter = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            return _drainedWaiter.Task;
        }

        private void SignalDrained()
        {
            if (QueueCount > CongestionTracker.LowWatermark(_broker.Options) && Connection != null) return;
            Stalled = false;
            var waiter = _drainedWaiter;
            _drainedWaiter = null;
            waiter?.TrySetResult(true);
        }

        /// <summary>Moves queued messages into the in-flight window while it has room.</summary>
        public void Pump()
        {
            var connection = Connection;
            if (connection == null || IsDiscarded) return;
            var now = MonotonicClock.NowMilliseconds;
            while (QueueCount > 0 && InflightOutCount < SendQuota)
            {
                var next = QueueTakeFirst();
                if (next.Message.IsExpired(now))
                {
                    Completed(next);
                    _broker.OnMessageDropped(ClientId, next.Message, "message expired while queued");
                    continue;
                }
                if (next.QoS == MqttQualityOfService.AtMostOnce) connection.SendPublish(next, 0, false);
                else SendInflight(connection, next);
            }
            if (_drainedWaiter != null || Stalled) SignalDrained();
        }

        /// <summary>After a reconnect: every unacknowledged PUBLISH again with DUP set, every pending PUBREL again,
        /// in the original order [MQTT-4.4.0-1], then what was queued.</summary>
        public void ResendInflight()
        {
            var connection = Connection;
            if (connection == null) return;
            if (InflightOutCount > 0)
            {
                var ordered = new List<InflightMessage>(_inflightOut.Values);
                ordered.Sort((a, b) => a.Sequence.CompareTo(b.Sequence));
                foreach (var m in ordered)
                {
                    if (m.Released) connection.Send(new PubRelPacket { PacketId = m.PacketId });
                    else if (connection.SendPublish(m.Delivery, m.PacketId, true) == 2)
                    {
                        InflightOut.Remove(m.PacketId);
                        Completed(m.Delivery);
                    }
                }
            }
            Pump();
        }

        private ushort NextPacketId()
        {
            // Identifiers increase per session (like mosquitto) and skip those still in flight [MQTT-2.2.1-3].
            for (var i = 0; i < 65536; i++)
            {
                _lastPacketId++;
                if (_lastPacketId == 0) _lastPacketId = 1;
                if (_inflightOut == null || !_inflightOut.ContainsKey(_lastPacketId)) return _lastPacketId;
            }
            throw new InvalidOperationException("no free packet identifier");
        }

        public List<string> SubscriptionFilters()
        {
            return _subscriptions == null ? new List<string>() : new List<string>(_subscriptions.Keys);
        }
    }
}
