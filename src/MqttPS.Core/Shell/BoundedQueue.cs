using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using MqttPS.Core.Client;

namespace MqttPS.Core.Shell
{
    /// <summary>
    /// Hands items (messages, broker events) from network threads to one consumer (the pipeline thread, or a
    /// background subscription's event pump), in order. About <see cref="Capacity"/> items wait at most:
    /// <list type="bullet">
    /// <item>An item that must not be lost (a QoS 1/2 message) is always queued; when the queue is full, the task
    /// <see cref="Add"/> returns completes only once the consumer has made room. The network side waits for it
    /// without a thread: it withholds the message's acknowledgement, so the broker holds further messages back.</item>
    /// <item>An item that may be dropped (a QoS 0 message, a broker event) follows <see cref="OverflowPolicy"/> when the
    /// queue is full: DropOldest discards the oldest droppable item, DropNewest the arriving one (both counted in
    /// <see cref="Dropped"/>), Backpressure treats it like an item that must not be lost.</item>
    /// </list>
    /// </summary>
    public class BoundedQueue<T> where T : class
    {
        public const int DefaultCapacity = 10000;
        private static readonly Task Admitted = Task.CompletedTask;
        private readonly Queue<Slot> _items = new Queue<Slot>();
        private readonly Queue<Slot> _droppable = new Queue<Slot>();
        private readonly Queue<TaskCompletionSource<bool>> _waiting = new Queue<TaskCompletionSource<bool>>();
        private readonly object _gate = new object();
        private int _live;
        private long _dropped;
        private long _heldBack;
        private bool _completed;

        public BoundedQueue(int capacity = DefaultCapacity, ReceiveOverflowPolicy overflowPolicy = ReceiveOverflowPolicy.DropOldest)
        {
            if (capacity < 1) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "A queue holds at least one item.");
            if (!Enum.IsDefined(typeof(ReceiveOverflowPolicy), overflowPolicy)) throw new ArgumentOutOfRangeException(nameof(overflowPolicy));
            Capacity = capacity;
            OverflowPolicy = overflowPolicy;
        }

        public int Capacity { get; }
        public ReceiveOverflowPolicy OverflowPolicy { get; }

        /// <summary>Droppable items discarded because the queue was full.</summary>
        public long Dropped => Interlocked.Read(ref _dropped);

        /// <summary>Items that found the queue full and waited for room (their producer was held back).</summary>
        public long HeldBack => Interlocked.Read(ref _heldBack);

        public int Count { get { lock (_gate) return _live; } }

        /// <summary>True once <see cref="Complete"/> was called and everything queued has been taken.</summary>
        public bool IsFinished { get { lock (_gate) return _completed && _live == 0; } }

        /// <summary>
        /// Queues <paramref name="item"/>; safe from any thread, never blocks. Returns a completed task when the item
        /// was queued within <see cref="Capacity"/> (or dropped under the overflow policy, or the queue is completed);
        /// otherwise a task that completes when the consumer has made room for it (it is queued already).
        /// </summary>
        public Task Add(T item, bool mayDrop = true)
        {
            TaskCompletionSource<bool> wait;
            List<TaskCompletionSource<bool>> admitted = null;
            lock (_gate)
            {
                if (_completed) return Admitted;
                var drops = mayDrop && OverflowPolicy != ReceiveOverflowPolicy.Backpressure;
                if (drops && _live >= Capacity)
                {
                    if (OverflowPolicy == ReceiveOverflowPolicy.DropNewest || _droppable.Count == 0)
                    {
                        _dropped++;
                        return Admitted;
                    }
                    var oldest = _droppable.Dequeue();
                    oldest.Removed = true;
                    oldest.Item = null;
                    _live--;
                    _dropped++;
                    admitted = AdmitWaiting();
                }
                var slot = new Slot(item, mayDrop);
                _items.Enqueue(slot);
                if (mayDrop) _droppable.Enqueue(slot);
                _live++;
                Monitor.PulseAll(_gate);
                if (drops || (_waiting.Count == 0 && _live <= Capacity))
                {
                    wait = null;
                }
                else
                {
                    wait = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                    _waiting.Enqueue(wait);
                    _heldBack++;
                }
            }
            Release(admitted);
            return wait?.Task ?? Admitted;
        }

        /// <summary>No more items will come (the connection closed, or the consumer stopped): takers drain what is
        /// queued and then wake up; producers waiting for room are released.</summary>
        public void Complete()
        {
            List<TaskCompletionSource<bool>> released;
            lock (_gate)
            {
                _completed = true;
                released = new List<TaskCompletionSource<bool>>(_waiting);
                _waiting.Clear();
                Monitor.PulseAll(_gate);
            }
            Release(released);
        }

        /// <summary>Waits up to <paramref name="wait"/> for an item (zero: does not wait). For the one consumer.</summary>
        public bool TryTake(TimeSpan wait, out T item)
        {
            var deadline = DateTime.UtcNow + wait;
            List<TaskCompletionSource<bool>> admitted;
            lock (_gate)
            {
                while (true)
                {
                    while (_items.Count > 0 && _items.Peek().Removed) _items.Dequeue();
                    if (_items.Count > 0) break;
                    var left = deadline - DateTime.UtcNow;
                    if (_completed || left <= TimeSpan.Zero || !Monitor.Wait(_gate, left))
                    {
                        while (_items.Count > 0 && _items.Peek().Removed) _items.Dequeue();
                        if (_items.Count > 0) break;
                        item = null;
                        return false;
                    }
                }
                var slot = _items.Dequeue();
                // Droppable items leave in order too, so a taken one is always the oldest droppable.
                if (slot.MayDrop) _droppable.Dequeue();
                _live--;
                item = slot.Item;
                admitted = AdmitWaiting();
            }
            Release(admitted);
            return true;
        }

        /// <summary>Caller holds the lock. Items wait in arrival order; the oldest waiting one is admitted when fewer
        /// than Capacity admitted items are queued.</summary>
        private List<TaskCompletionSource<bool>> AdmitWaiting()
        {
            List<TaskCompletionSource<bool>> admitted = null;
            while (_waiting.Count > 0 && _live - _waiting.Count < Capacity)
            {
                (admitted ?? (admitted = new List<TaskCompletionSource<bool>>())).Add(_waiting.Dequeue());
            }
            return admitted;
        }

        private static void Release(List<TaskCompletionSource<bool>> admitted)
        {
            if (admitted == null) return;
            foreach (var a in admitted) a.TrySetResult(true);
        }

        private sealed class Slot
        {
            public Slot(T item, bool mayDrop)
            {
                Item = item;
                MayDrop = mayDrop;
            }

            public T Item;
            public readonly bool MayDrop;
            public bool Removed;
        }
    }
}
