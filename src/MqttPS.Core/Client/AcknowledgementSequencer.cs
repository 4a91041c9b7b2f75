using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using MqttPS.Core.Protocol;

namespace MqttPS.Core.Client
{
    /// <summary>
    /// Sends the PUBACK / PUBREC of received QoS 1/2 messages in the order their PUBLISH packets arrived
    /// [MQTT-4.6.0-2], [MQTT-4.6.0-3], also when the consumer accepts some of them later than others: an
    /// acknowledgement whose message is not accepted yet holds back the ones behind it. Withholding them is how a
    /// slow consumer pushes back without dropping anything: the broker stops sending QoS 1/2 messages once its window
    /// of unacknowledged ones (our Receive Maximum) is full and queues the rest, while this client keeps reading the
    /// socket (acknowledgements of its own publishes, SUBACKs and PINGRESPs still arrive). One per connection.
    /// </summary>
    internal sealed class AcknowledgementSequencer
    {
        private readonly object _lock = new object();
        private readonly Queue<Pending> _pending = new Queue<Pending>();
        private readonly Action<PublishPacket> _send;
        private bool _watchingHead;
        private int _roomBelow;
        private TaskCompletionSource<bool> _room;

        public AcknowledgementSequencer(Action<PublishPacket> send)
        {
            _send = send ?? throw new ArgumentNullException(nameof(send));
        }

        /// <summary>Acknowledgements waiting for their message (or an earlier one) to be accepted.</summary>
        public int Count { get { lock (_lock) return _pending.Count; } }

        /// <summary>Acknowledges <paramref name="publish"/> once <paramref name="accepted"/> (null: at once) has completed
        /// and every earlier acknowledgement has been sent. A faulted or cancelled acceptance still acknowledges: the
        /// consumer has finished with the message either way.</summary>
        public void Enqueue(PublishPacket publish, Task accepted)
        {
            lock (_lock)
            {
                if (_pending.Count == 0 && (accepted == null || accepted.IsCompleted))
                {
                    _send(publish);
                    return;
                }
                _pending.Enqueue(new Pending(publish, accepted));
                if (!_watchingHead) SendAcceptedHeads();
            }
        }

        /// <summary>Completes when fewer than <paramref name="limit"/> acknowledgements wait: the receive loop stops
        /// reading while this many are held back (a broker that ignores our Receive Maximum, or a 3.1.1 broker that
        /// sends without a window, cannot grow the held messages without bound).</summary>
        public Task WhenFewerThan(int limit)
        {
            lock (_lock)
            {
                if (_pending.Count < limit) return Task.CompletedTask;
                _roomBelow = limit;
                if (_room == null) _room = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                return _room.Task;
            }
        }

        /// <summary>Caller holds _lock. Sends every acknowledgement at the head whose message has been accepted, then
        /// waits (without a thread) for the next one.</summary>
        private void SendAcceptedHeads()
        {
            while (_pending.Count > 0)
            {
                var head = _pending.Peek();
                if (head.Accepted != null && !head.Accepted.IsCompleted)
                {
                    _watchingHead = true;
                    head.Accepted.ContinueWith((_, state) =>
                    {
                        var self = (AcknowledgementSequencer)state;
                        lock (self._lock)
                        {
                            self._watchingHead = false;
                            self.SendAcceptedHeads();
                        }
                    }, this, System.Threading.CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                    break;
                }
                _pending.Dequeue();
                // Under the lock, so that an acknowledgement sent at once by Enqueue cannot overtake these.
                _send(head.Publish);
            }
            if (_room != null && _pending.Count < _roomBelow)
            {
                _room.TrySetResult(true);
                _room = null;
            }
        }

        private struct Pending
        {
            public Pending(PublishPacket publish, Task accepted)
            {
                Publish = publish;
                Accepted = accepted;
            }

            public PublishPacket Publish { get; }
            public Task Accepted { get; }
        }
    }
}
