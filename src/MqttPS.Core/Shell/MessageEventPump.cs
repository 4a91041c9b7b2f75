using System;
using System.Threading;

namespace MqttPS.Core.Shell
{
    /// <summary>
    /// Moves a background subscription's queued messages to PowerShell events in arrival order, with at most
    /// <see cref="Window"/> raised and not yet consumed. So PowerShell's event queue never grows without bound: a
    /// slow action (or events nobody removes) leaves the messages in the subscription's bounded queue, which holds
    /// back QoS 1/2 acknowledgements and applies the overflow policy to QoS 0, as for a streaming subscription.
    /// Consumption is learnt from checkpoints raised after the messages (see <see cref="IMessageEventTarget"/>).
    /// Runs on the thread pool, one pass at a time; never on the network thread.
    /// </summary>
    public sealed class MessageEventPump
    {
        private readonly BoundedMessageQueue _queue;
        private readonly IMessageEventTarget _target;
        private readonly int _checkpointEvery;
        private int _outstanding;
        private int _sinceCheckpoint;
        private int _running;
        private long _failures;
        private volatile bool _stopped;

        public MessageEventPump(BoundedMessageQueue queue, IMessageEventTarget target, int window)
        {
            if (window < 1) throw new ArgumentOutOfRangeException(nameof(window), window, "The window holds at least one event.");
            _queue = queue ?? throw new ArgumentNullException(nameof(queue));
            _target = target ?? throw new ArgumentNullException(nameof(target));
            Window = window;
            _checkpointEvery = Math.Max(1, window / 4);
        }

        /// <summary>Events raised and not yet consumed, at most.</summary>
        public int Window { get; }

        /// <summary>Events raised and not yet known to be consumed.</summary>
        public int Outstanding => Volatile.Read(ref _outstanding);

        /// <summary>Messages whose event could not be raised (counted as dropped).</summary>
        public long Failures => Interlocked.Read(ref _failures);

        /// <summary>Something was queued or consumed: run a pass unless one is running.</summary>
        public void Schedule()
        {
            if (_stopped || Interlocked.CompareExchange(ref _running, 1, 0) != 0) return;
            ThreadPool.QueueUserWorkItem(state => ((MessageEventPump)state).Run(), this);
        }

        /// <summary>No more events: what is still queued stays there.</summary>
        public void Stop() => _stopped = true;

        private void Run()
        {
            while (true)
            {
                while (!_stopped && Volatile.Read(ref _outstanding) < Window && _queue.TryTake(TimeSpan.Zero, out var message))
                {
                    Interlocked.Increment(ref _outstanding);
                    _sinceCheckpoint++;
                    try
                    {
                        _target.Raise(message);
                    }
                    catch (Exception)
                    {
                        // PowerShell refused the event (its runspace is closing): counted, and the pump goes on.
                        Interlocked.Increment(ref _failures);
                    }
                    if (_sinceCheckpoint >= _checkpointEvery) Checkpoint();
                }
                // Whenever the pump pauses, the last events get a checkpoint, so their consumption resumes it.
                if (_sinceCheckpoint > 0 && !_stopped) Checkpoint();
                Volatile.Write(ref _running, 0);
                // A message or a checkpoint may have come in after the last look; whoever saw the pump running left it to us.
                if (_stopped || _queue.Count == 0 || Volatile.Read(ref _outstanding) >= Window) return;
                if (Interlocked.CompareExchange(ref _running, 1, 0) != 0) return;
            }
        }

        private void Checkpoint()
        {
            var covered = _sinceCheckpoint;
            _sinceCheckpoint = 0;
            try
            {
                _target.RaiseCheckpoint(() =>
                {
                    Interlocked.Add(ref _outstanding, -covered);
                    Schedule();
                });
            }
            catch (Exception)
            {
                Interlocked.Add(ref _outstanding, -covered);
            }
        }
    }
}
