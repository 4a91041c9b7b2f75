using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace MqttPS.Core.Client
{
    /// <summary>
    /// A bounded FIFO queue with asynchronous waiting on both sides (netstandard2.0 has no Channels). Producers can
    /// wait for room, be refused, or push out the oldest item; consumers wait for an item. After
    /// <see cref="Complete"/>, consumers drain what is left and then get null. Every awaited completion runs its
    /// continuation asynchronously so a producer never executes consumer code inline.
    /// </summary>
    internal sealed class AsyncBoundedQueue<T> where T : class
    {
        private readonly object _lock = new object();
        private readonly Queue<T> _items = new Queue<T>();
        private readonly LinkedList<TaskCompletionSource<T>> _consumers = new LinkedList<TaskCompletionSource<T>>();
        private readonly LinkedList<TaskCompletionSource<bool>> _producers = new LinkedList<TaskCompletionSource<bool>>();
        private readonly int _capacity;
        private bool _completed;

        public AsyncBoundedQueue(int capacity)
        {
            if (capacity < 1) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "The queue capacity must be at least 1.");
            _capacity = capacity;
        }

        public int Capacity => _capacity;
        public int Count { get { lock (_lock) return _items.Count; } }
        public bool IsCompleted { get { lock (_lock) return _completed; } }

        /// <summary>Adds the item unless the queue is full (false) or completed (false).</summary>
        public bool TryEnqueue(T item)
        {
            TaskCompletionSource<T> consumer;
            lock (_lock)
            {
                if (_completed) return false;
                consumer = TakeConsumer();
                if (consumer == null)
                {
                    if (_items.Count >= _capacity) return false;
                    _items.Enqueue(item);
                    return true;
                }
            }
            consumer.TrySetResult(item);
            return true;
        }

        /// <summary>Adds the item, discarding the oldest one when full; returns the discarded item or null.</summary>
        public T EnqueueDropOldest(T item)
        {
            TaskCompletionSource<T> consumer;
            T dropped = null;
            lock (_lock)
            {
                if (_completed) return item;
                consumer = TakeConsumer();
                if (consumer == null)
                {
                    if (_items.Count >= _capacity) dropped = _items.Dequeue();
                    _items.Enqueue(item);
                    return dropped;
                }
            }
            consumer.TrySetResult(item);
            return null;
        }

        /// <summary>Adds the item, waiting for room. Returns false when the queue was completed meanwhile.</summary>
        public Task<bool> EnqueueAsync(T item, CancellationToken cancellationToken)
        {
            while (true)
            {
                TaskCompletionSource<T> consumer;
                lock (_lock)
                {
                    if (_completed) return FalseTask;
                    consumer = TakeConsumer();
                    if (consumer == null)
                    {
                        if (_items.Count < _capacity)
                        {
                            _items.Enqueue(item);
                            return TrueTask;
                        }
                        return WaitForRoomThenEnqueueAsync(item, cancellationToken);
                    }
                }
                if (consumer.TrySetResult(item)) return TrueTask;
            }
        }

        private async Task<bool> WaitForRoomThenEnqueueAsync(T item, CancellationToken cancellationToken)
        {
            while (true)
            {
                var room = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                LinkedListNode<TaskCompletionSource<bool>> node;
                lock (_lock)
                {
                    if (_completed) return false;
                    if (_items.Count < _capacity || _consumers.Count > 0)
                    {
                        node = null;
                    }
                    else node = _producers.AddLast(room);
                }
                if (node != null)
                {
                    using (cancellationToken.Register(() => room.TrySetCanceled()))
                    {
                        try { await room.Task.ConfigureAwait(false); }
                        catch (OperationCanceledException)
                        {
                            lock (_lock) { if (node.List != null) _producers.Remove(node); }
                            throw new OperationCanceledException(cancellationToken);
                        }
                    }
                }
                if (TryEnqueue(item)) return true;
                lock (_lock) { if (_completed) return false; }
            }
        }

        public bool TryDequeue(out T item)
        {
            TaskCompletionSource<bool> producer;
            lock (_lock)
            {
                if (_items.Count == 0)
                {
                    item = null;
                    return false;
                }
                item = _items.Dequeue();
                producer = TakeProducer();
            }
            producer?.TrySetResult(true);
            return true;
        }

        /// <summary>The next item; null once the queue is completed and empty.</summary>
        public Task<T> DequeueAsync(CancellationToken cancellationToken)
        {
            TaskCompletionSource<bool> producer;
            TaskCompletionSource<T> waiter;
            LinkedListNode<TaskCompletionSource<T>> node;
            lock (_lock)
            {
                if (_items.Count > 0)
                {
                    var item = _items.Dequeue();
                    producer = TakeProducer();
                    if (producer == null) return Task.FromResult(item);
                    waiter = null;
                    node = null;
                    producer.TrySetResult(true);
                    return Task.FromResult(item);
                }
                if (_completed) return Task.FromResult<T>(null);
                cancellationToken.ThrowIfCancellationRequested();
                waiter = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
                node = _consumers.AddLast(waiter);
            }
            if (cancellationToken.CanBeCanceled) return AwaitConsumerAsync(waiter, node, cancellationToken);
            return waiter.Task;
        }

        private async Task<T> AwaitConsumerAsync(TaskCompletionSource<T> waiter, LinkedListNode<TaskCompletionSource<T>> node, CancellationToken cancellationToken)
        {
            using (cancellationToken.Register(() =>
            {
                bool removed;
                lock (_lock)
                {
                    removed = node.List != null;
                    if (removed) _consumers.Remove(node);
                }
                if (removed) waiter.TrySetCanceled();
            }))
            {
                try { return await waiter.Task.ConfigureAwait(false); }
                catch (OperationCanceledException) { throw new OperationCanceledException(cancellationToken); }
            }
        }

        /// <summary>No more items will be added: waiting consumers get null, producers false.</summary>
        public void Complete()
        {
            List<TaskCompletionSource<T>> consumers;
            List<TaskCompletionSource<bool>> producers;
            lock (_lock)
            {
                if (_completed) return;
                _completed = true;
                consumers = new List<TaskCompletionSource<T>>(_consumers);
                _consumers.Clear();
                producers = new List<TaskCompletionSource<bool>>(_producers);
                _producers.Clear();
            }
            foreach (var c in consumers) c.TrySetResult(null);
            foreach (var p in producers) p.TrySetResult(false);
        }

        /// <summary>Accepts items again after <see cref="Complete"/> (a client that connects again).</summary>
        public void Reopen()
        {
            lock (_lock) _completed = false;
        }

        private TaskCompletionSource<T> TakeConsumer()
        {
            // Only called with the lock held and when the queue is empty of items (consumers wait only then).
            if (_consumers.Count == 0) return null;
            var first = _consumers.First.Value;
            _consumers.RemoveFirst();
            return first;
        }

        private TaskCompletionSource<bool> TakeProducer()
        {
            if (_producers.Count == 0) return null;
            var first = _producers.First.Value;
            _producers.RemoveFirst();
            return first;
        }

        private static readonly Task<bool> TrueTask = Task.FromResult(true);
        private static readonly Task<bool> FalseTask = Task.FromResult(false);
    }
}
