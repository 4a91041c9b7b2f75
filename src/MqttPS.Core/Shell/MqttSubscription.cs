using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using MqttPS.Core.Messages;
using MqttPS.Core.Protocol;

namespace MqttPS.Core.Shell
{
    /// <summary>
    /// A subscription made by Register-MqttSubscription. In stream mode its messages queue for the pipeline
    /// thread; in event mode each message is handed to <see cref="EventSink"/> (which raises a PowerShell event
    /// through the engine's thread-safe event manager) on the network thread that received it.
    /// </summary>
    public sealed class MqttSubscription : IMessageSink
    {
        private readonly BoundedMessageQueue _queue;
        private long _received;
        private long _eventFailures;
        private string _state = "Active";

        public MqttSubscription(int id, MqttConnection connection, IReadOnlyList<MqttTopicSubscription> subscriptions, SubscriptionMode mode,
            PayloadFormat format, string sourceIdentifier, int queueCapacity = BoundedMessageQueue.DefaultCapacity)
        {
            Id = id;
            Connection = connection ?? throw new ArgumentNullException(nameof(connection));
            Requested = subscriptions;
            TopicFilters = subscriptions.Select(s => s.TopicFilter).ToArray();
            Mode = mode;
            Format = format;
            SourceIdentifier = sourceIdentifier;
            CreatedAt = DateTimeOffset.Now;
            if (mode == SubscriptionMode.Stream) _queue = new BoundedMessageQueue(queueCapacity);
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
        public string State => _state;
        public long MessagesReceived => Interlocked.Read(ref _received);
        public long MessagesDropped => (_queue?.Dropped ?? 0) + Interlocked.Read(ref _eventFailures);

        public IReadOnlyList<MqttTopicSubscription> Requested { get; }

        /// <summary>Event mode: called on the network thread for each message. Set by the cmdlet layer.</summary>
        public Action<MqttSubscription, MqttMessage> EventSink { get; set; }

        /// <summary>Opaque handle the cmdlet layer keeps (its PSEventSubscriber), to unregister the event.</summary>
        public object EventRegistration { get; set; }

        /// <summary>Event mode with -Action: the job that runs the action (Receive-Job shows its output).</summary>
        public object Job { get; set; }

        /// <summary>Stream mode: the queue the pipeline thread drains.</summary>
        public BoundedMessageQueue Queue => _queue;

        void IMessageSink.Offer(MqttMessage message)
        {
            if (_state != "Active") return;
            Interlocked.Increment(ref _received);
            if (_queue != null)
            {
                _queue.Add(message);
                return;
            }
            try
            {
                EventSink?.Invoke(this, message);
            }
            catch (Exception)
            {
                // A failing event sink must not take the connection's receive loop down with it; it is counted.
                Interlocked.Increment(ref _eventFailures);
            }
        }

        void IMessageSink.OnConnectionClosed(string reason)
        {
            _state = "Closed";
            _queue?.Complete();
        }

        /// <summary>Marks the subscription stopped; its queue wakes any reader.</summary>
        internal void MarkStopped()
        {
            if (_state == "Active") _state = "Stopped";
            _queue?.Complete();
        }

        public override string ToString() => "#" + Id + " " + Topic + " on " + Connection.Name;
    }
}
