using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using MqttPS.Core.Client;
using MqttPS.Core.Messages;
using MqttPS.Core.Protocol;

namespace MqttPS.Core.Shell
{
    /// <summary>
    /// A subscription made by Register-MqttSubscription. Its messages wait in a bounded queue: in stream mode the
    /// pipeline thread drains it; in event mode a <see cref="MessageEventPump"/> hands them to PowerShell events.
    /// Either way a full queue holds back the acknowledgement of QoS 1/2 messages (the broker keeps the rest) and
    /// applies <see cref="OverflowPolicy"/> to QoS 0 messages.
    /// </summary>
    public sealed class MqttSubscription : IMessageSink
    {
        /// <summary>Events of a background subscription with -Action that may be raised and not yet handled.</summary>
        public const int ActionEventWindow = 64;

        private readonly BoundedMessageQueue _queue;
        /// <summary>Drops already reported in a session notice (background subscriptions).</summary>
        internal long DropsReported;
        private MessageEventPump _pump;
        private long _received;
        private string _state = "Active";

        public MqttSubscription(int id, MqttConnection connection, IReadOnlyList<MqttTopicSubscription> subscriptions, SubscriptionMode mode,
            PayloadFormat format, string sourceIdentifier, int queueCapacity = BoundedMessageQueue.DefaultCapacity,
            ReceiveOverflowPolicy overflowPolicy = ReceiveOverflowPolicy.DropOldest)
        {
            Id = id;
            Connection = connection ?? throw new ArgumentNullException(nameof(connection));
            Requested = subscriptions;
            TopicFilters = subscriptions.Select(s => s.TopicFilter).ToArray();
            Mode = mode;
            Format = format;
            SourceIdentifier = sourceIdentifier;
            CreatedAt = DateTimeOffset.Now;
            _queue = new BoundedMessageQueue(queueCapacity, overflowPolicy);
        }

        public int Id { get; }
        public string SourceIdentifier { get; }
        public IReadOnlyList<string> TopicFilters { get; }
        public string Topic => string.Join(", ", TopicFilters);
        public MqttQualityOfService QoS => Requested.Count == 0 ? MqttQualityOfService.AtMostOnce : Requested.Max(s => s.QoS);
        public SubscriptionMode Mode { get; }
        public PayloadFormat Format { get; }
        public MqttConnection Connection { get; }
        public string ConnectionName => Connection.Name;
        public DateTimeOffset CreatedAt { get; }

        /// <summary>Active, Stopped (unsubscribed), Closed (its connection was closed) or Lost (its connection was lost).</summary>
        public string State => _state;

        /// <summary>Why the subscription ended when its connection did, or null.</summary>
        public string EndReason { get; private set; }

        public long MessagesReceived => Interlocked.Read(ref _received);

        /// <summary>QoS 0 messages dropped under <see cref="OverflowPolicy"/>, and messages no event could be raised for.</summary>
        public long MessagesDropped => _queue.Dropped + (_pump?.Failures ?? 0);

        /// <summary>Messages that found the queue full and waited for room, their acknowledgement held back (QoS 1/2)
        /// or the connection's reading paused (QoS 0 with Backpressure).</summary>
        public long MessagesHeldBack => _queue.HeldBack;

        /// <summary>Messages waiting for the pipeline (or, in the background, for their event to be raised).</summary>
        public int QueuedMessages => _queue.Count;

        public int QueueSize => _queue.Capacity;
        public ReceiveOverflowPolicy OverflowPolicy => _queue.OverflowPolicy;

        internal IReadOnlyList<MqttTopicSubscription> Requested { get; }

        bool IMessageSink.RetainedOnly => false;

        /// <summary>Opaque handle the cmdlet layer keeps (its PSEventSubscriber), to unregister the event.</summary>
        internal object EventRegistration { get; set; }

        /// <summary>Event mode with -Action: the job that runs the action (Receive-Job shows its output).</summary>
        public object Job { get; set; }

        /// <summary>The queue a streaming subscription's pipeline thread drains.</summary>
        internal BoundedMessageQueue Queue => _queue;

        /// <summary>Raised (on a network thread) when the subscription ends because its connection closed or was lost.</summary>
        public event Action<MqttSubscription> Ended;

        /// <summary>Event mode: messages are raised on <paramref name="target"/>, at most <paramref name="window"/> unconsumed at a time.</summary>
        public void AttachEvents(IMessageEventTarget target, int window)
        {
            if (Mode != SubscriptionMode.Event) throw new InvalidOperationException("Only background subscriptions raise events.");
            _pump = new MessageEventPump(_queue, target, window);
            _pump.Schedule();
        }

        Task IMessageSink.Offer(MqttMessage message)
        {
            if (_state != "Active") return Task.CompletedTask;
            Interlocked.Increment(ref _received);
            var accepted = _queue.Offer(message);
            _pump?.Schedule();
            return accepted;
        }

        void IMessageSink.OnConnectionClosed(string reason, bool lost)
        {
            if (_state != "Active") return;
            EndReason = reason;
            _state = lost ? "Lost" : "Closed";
            // A streaming subscription still drains what is queued; a background one raises what is queued too.
            _queue.Complete();
            Ended?.Invoke(this);
        }

        /// <summary>Marks the subscription stopped; its queue wakes any reader and releases held-back messages.</summary>
        internal void MarkStopped()
        {
            if (_state == "Active") _state = "Stopped";
            _pump?.Stop();
            _queue.Complete();
        }

        public override string ToString() => "#" + Id + " " + Topic + " on " + Connection.Name;
    }
}
