using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace MqttPS.Core.Client
{
    /// <summary>
    /// Counts outgoing QoS 1/2 publishes awaiting acknowledgement and makes further publishers wait (asynchronously,
    /// in arrival order) while the broker's Receive Maximum is reached [MQTT-3.3.4-7]. The capacity changes when a
    /// reconnect brings a different Receive Maximum.
    /// </summary>
    internal sealed class InFlightWindow
    {
        private readonly object _lock = new object();
        private readonly LinkedList<TaskCompletionSource<bool>> _waiters = new LinkedList<TaskCompletionSource<bool>>();
        private int _capacity;
        private int _used;
        private Exception _failure;

        public InFlightWindow(int capacity) { _capacity = Math.Max(1, capacity); }

        public int InUse { get { lock (_lock) return _used; } }
        public int Capacity { get { lock (_lock) return _capacity; } }

        public Task AcquireAsync(CancellationToken cancellationToken)
        {
            TaskCompletionSource<bool> waiter;
            LinkedListNode<TaskCompletionSource<bool>> node;
            lock (_lock)
            {
                if (_failure != null) throw _failure;
                if (_used < _capacity && _waiters.Count == 0)
                {
                    _used++;
                    return Task.CompletedTask;
                }
                cancellationToken.ThrowIfCancellationRequested();
                waiter = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                node = _waiters.AddLast(waiter);
            }
            if (!cancellationToken.CanBeCanceled) return waiter.Task;
            return AwaitAsync(waiter, node, cancellationToken);
        }

        private async Task AwaitAsync(TaskCompletionSource<bool> waiter, LinkedListNode<TaskCompletionSource<bool>> node, CancellationToken cancellationToken)
        {
            using (cancellationToken.Register(() =>
            {
                bool removed;
                lock (_lock)
                {
                    removed = node.List != null;
                    if (removed) _waiters.Remove(node);
                }
                if (removed) waiter.TrySetCanceled();
            }))
            {
                try { await waiter.Task.ConfigureAwait(false); }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested) { throw new OperationCanceledException(cancellationToken); }
            }
        }

        public void Release()
        {
            TaskCompletionSource<bool> next = null;
            lock (_lock)
            {
                if (_used > 0) _used--;
                if (_used < _capacity && _waiters.Count > 0)
                {
                    next = _waiters.First.Value;
                    _waiters.RemoveFirst();
                    _used++;
                }
            }
            next?.TrySetResult(true);
        }

        public void SetCapacity(int capacity)
        {
            var released = new List<TaskCompletionSource<bool>>();
            lock (_lock)
            {
                _capacity = Math.Max(1, capacity);
                while (_used < _capacity && _waiters.Count > 0)
                {
                    released.Add(_waiters.First.Value);
                    _waiters.RemoveFirst();
                    _used++;
                }
            }
            foreach (var w in released) w.TrySetResult(true);
        }

        /// <summary>Fails every waiter and all later acquisitions (client disposed).</summary>
        public void Fail(Exception failure)
        {
            List<TaskCompletionSource<bool>> waiters;
            lock (_lock)
            {
                _failure = failure;
                waiters = new List<TaskCompletionSource<bool>>(_waiters);
                _waiters.Clear();
            }
            foreach (var w in waiters) w.TrySetException(failure);
        }

        /// <summary>Forgets every slot (session discarded) and accepts acquisitions again.</summary>
        public void Reset()
        {
            lock (_lock)
            {
                _failure = null;
                _used = 0;
            }
        }
    }
}
