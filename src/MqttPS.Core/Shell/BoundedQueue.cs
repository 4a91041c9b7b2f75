using System;
using System.Collections.Generic;
using System.Threading;

namespace MqttPS.Core.Shell
{
    /// <summary>
    /// Hands items (messages, broker events) from network threads to the pipeline thread. Bounded: when the pipeline falls behind by
    /// <see cref="Capacity"/> messages the oldest is dropped (a subscriber wants the recent state more than a
    /// stale backlog) and counted, so the network thread never blocks and memory never grows without limit.
    /// </summary>
    public class BoundedQueue<T> where T : class
    {
        public const int DefaultCapacity = 10000;
        private readonly Queue<T> _queue = new Queue<T>();
        private readonly object _gate = new object();
        private long _dropped;
        private bool _completed;

        public BoundedQueue(int capacity = DefaultCapacity)
        {
            if (capacity < 1) throw new ArgumentOutOfRangeException(nameof(capacity));
            Capacity = capacity;
        }

        public int Capacity { get; }
        public long Dropped => Interlocked.Read(ref _dropped);
        public int Count { get { lock (_gate) return _queue.Count; } }

        /// <summary>True once <see cref="Complete"/> was called and everything queued has been taken.</summary>
        public bool IsFinished { get { lock (_gate) return _completed && _queue.Count == 0; } }

        /// <summary>Safe from any thread; never blocks.</summary>
        public void Add(T message)
        {
            lock (_gate)
            {
                if (_completed) return;
                if (_queue.Count >= Capacity)
                {
                    _queue.Dequeue();
                    Interlocked.Increment(ref _dropped);
                }
                _queue.Enqueue(message);
                Monitor.PulseAll(_gate);
            }
        }

        /// <summary>No more messages will come (the connection closed); takers wake up.</summary>
        public void Complete()
        {
            lock (_gate)
            {
                _completed = true;
                Monitor.PulseAll(_gate);
            }
        }

        /// <summary>Waits up to <paramref name="wait"/> for a message. Meant for the pipeline thread.</summary>
        public bool TryTake(TimeSpan wait, out T message)
        {
            var deadline = DateTime.UtcNow + wait;
            lock (_gate)
            {
                while (_queue.Count == 0)
                {
                    if (_completed) { message = null; return false; }
                    var left = deadline - DateTime.UtcNow;
                    if (left <= TimeSpan.Zero || !Monitor.Wait(_gate, left))
                    {
                        if (_queue.Count > 0) break;
                        message = null;
                        return false;
                    }
                }
                message = _queue.Dequeue();
                return true;
            }
        }
    }
}
