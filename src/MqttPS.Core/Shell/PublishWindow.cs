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
    /// Keeps up to <see cref="Size"/> publishes in flight, so a pipeline of QoS 1/2 messages costs one round trip
    /// per window rather than per message. Submit starts a publish and returns at once unless the window is full,
    /// in which case it waits (on the pipeline thread, in slices) for the oldest. Completions come back in
    /// submission order, so -PassThru output follows the input. Each publish has its own deadline: one that is
    /// not acknowledged in time becomes an error naming the message, and the window moves on.
    /// <para>While the connection reconnects (-AutoReconnect), publishes wait in its offline queue without a deadline
    /// and without taking window slots (they are "parked"): the command goes on, and what is still queued when it ends
    /// is sent once the connection is back. When the connection is lost for good, <see cref="StopError"/> is the one
    /// error that ends the command, with what became of its messages.</para>
    /// </summary>
    public sealed class PublishWindow
    {
        /// <summary>How often a wait looks whether the connection started reconnecting.</summary>
        private static readonly TimeSpan StateCheck = TimeSpan.FromMilliseconds(250);

        private readonly IPublishTarget _target;
        private readonly Func<MqttMessage, CancellationToken, Task<MqttPublishOutcome>> _publish;
        private readonly Queue<Entry> _inFlight = new Queue<Entry>();
        private readonly List<Entry> _parked = new List<Entry>();
        private readonly TimeSpan _acknowledgeTimeout;
        private long _confirmed;
        private long _sentAtQoS0;
        private long _unconfirmed;
        private long _unsent;
        private string _lostReason;
        private int _seenReconnects;

        public PublishWindow(Func<MqttMessage, CancellationToken, Task<MqttPublishOutcome>> publish, int size, TimeSpan acknowledgeTimeout)
            : this(new DelegateTarget(publish ?? throw new ArgumentNullException(nameof(publish))), size, acknowledgeTimeout)
        {
        }

        /// <summary>A window of <paramref name="size"/> messages on <paramref name="target"/>, each acknowledged within
        /// <paramref name="acknowledgeTimeout"/>; <paramref name="publish"/> says how to publish there (e.g. with a
        /// window of its own), null: its PublishAsync.</summary>
        public PublishWindow(IPublishTarget target, int size, TimeSpan acknowledgeTimeout, Func<MqttMessage, CancellationToken, Task<MqttPublishOutcome>> publish = null)
        {
            if (size < 1) throw new ArgumentOutOfRangeException(nameof(size), size, "The publish window holds at least one message.");
            _target = target ?? throw new ArgumentNullException(nameof(target));
            _publish = publish ?? target.PublishAsync;
            Size = size;
            _acknowledgeTimeout = acknowledgeTimeout;
            _seenReconnects = target.ReconnectCount;
        }

        public int Size { get; }
        public int InFlight => _inFlight.Count;

        /// <summary>Messages waiting in the connection's offline queue (submitted while it was reconnecting, or in flight when it was lost).</summary>
        public int Parked => _parked.Count;

        /// <summary>After <see cref="Flush"/>: messages left in the offline queue of a connection still reconnecting.</summary>
        public int LeftInOfflineQueue { get; private set; }

        /// <summary>QoS 1/2 messages the broker acknowledged.</summary>
        public long Confirmed => _confirmed;

        /// <summary>QoS 0 messages written to the connection (QoS 0 has no acknowledgement).</summary>
        public long SentAtQoS0 => _sentAtQoS0;

        /// <summary>Once the connection is lost for good, or its offline queue stays full: the terminating error that
        /// ends the command, naming the connection and saying what became of its messages. Null otherwise.</summary>
        public MqttShellException StopError { get; private set; }

        /// <summary>Receives a notice when messages left in the offline queue at the end of the command later fail
        /// (the connection could not come back). The cmdlet passes the session's notices.</summary>
        public Action<string> Notify { get; set; }

        /// <summary>Starts publishing <paramref name="message"/>; adds to <paramref name="completed"/> whatever has
        /// finished at the head of the window, waiting only while the window is full. Does nothing once
        /// <see cref="StopError"/> is set.</summary>
        public void Submit(MqttMessage message, object source, IShellHost host, VerboseQueue verbose, List<PublishCompletion> completed)
        {
            host.Stopping.ThrowIfCancellationRequested();
            if (StopError != null) return;
            if (_target.IsReconnecting && !WaitForOfflineRoom(host, verbose))
            {
                _unsent++;
                StopError = new MqttShellException("OfflineQueueFull", ShellErrorCategory.LimitsExceeded,
                    "The connection '" + _target.Name + "' is reconnecting and its offline queue stayed full (" + _target.OfflineQueueSize +
                    " messages, Connect-Mqtt -OfflineQueueSize) for " + PipelineWait.FormatSeconds(_acknowledgeTimeout) + ". Publish-MqttMessage stopped: " +
                    Tally() + "; the rest of the input was not read.", _target);
                return;
            }
            ParkIfReconnecting();
            var cts = CancellationTokenSource.CreateLinkedTokenSource(host.Stopping);
            Task<MqttPublishOutcome> task;
            try
            {
                task = _publish(message, cts.Token);
            }
            catch (Exception e)
            {
                task = Faulted(e);
            }
            var entry = new Entry(message, source, task, cts, DateTime.UtcNow + _acknowledgeTimeout);
            if (_target.IsReconnecting) _parked.Add(entry);
            else _inFlight.Enqueue(entry);
            Harvest(completed);
            while (_inFlight.Count >= Size && StopError == null)
            {
                WaitForHead(host, verbose, completed);
                Harvest(completed);
            }
        }

        /// <summary>Waits for everything still in flight (EndProcessing), and for parked messages while the connection
        /// is up again. Parked messages of a connection still reconnecting are left in its offline queue.</summary>
        public void Flush(IShellHost host, VerboseQueue verbose, List<PublishCompletion> completed)
        {
            ParkIfReconnecting();
            while (_inFlight.Count > 0 && StopError == null)
            {
                WaitForHead(host, verbose, completed);
                Harvest(completed);
            }
            var deadline = DateTime.UtcNow + _acknowledgeTimeout;
            while (_parked.Count > 0 && StopError == null && !_target.IsReconnecting)
            {
                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero)
                {
                    foreach (var e in _parked.ToArray())
                    {
                        _parked.Remove(e);
                        completed.Add(TimedOut(e));
                    }
                    break;
                }
                PipelineWait.TryWait(_parked[0].Task, host, verbose, left < StateCheck ? left : StateCheck);
                host.Stopping.ThrowIfCancellationRequested();
                Harvest(completed);
            }
            if (_parked.Count > 0 && StopError == null) WatchParked();
        }

        /// <summary>Gives up on everything in flight (Ctrl+C, or the cmdlet is disposed). Parked messages stay in the
        /// offline queue unless Ctrl+C cancelled them.</summary>
        public void Abandon()
        {
            while (_inFlight.Count > 0)
            {
                var e = _inFlight.Dequeue();
                e.Cancellation.Cancel();
                e.Cancellation.Dispose();
                _ = e.Task.ContinueWith(t => _ = t.Exception, TaskContinuationOptions.OnlyOnFaulted);
            }
        }

        private void Harvest(List<PublishCompletion> completed)
        {
            while (_inFlight.Count > 0 && _inFlight.Peek().Task.IsCompleted)
            {
                Settle(_inFlight.Dequeue(), completed);
            }
            for (var i = 0; i < _parked.Count;)
            {
                if (!_parked[i].Task.IsCompleted) { i++; continue; }
                var e = _parked[i];
                _parked.RemoveAt(i);
                Settle(e, completed);
            }
        }

        private void Settle(Entry e, List<PublishCompletion> completed)
        {
            e.Cancellation.Dispose();
            if (e.Task.Status == TaskStatus.RanToCompletion)
            {
                var outcome = e.Task.Result;
                if (outcome.Succeeded)
                {
                    if (e.Message.QoS == MqttQualityOfService.AtMostOnce) _sentAtQoS0++;
                    else _confirmed++;
                    completed.Add(new PublishCompletion(e.Message, e.Source, outcome, null));
                    return;
                }
                completed.Add(new PublishCompletion(e.Message, e.Source, outcome, new MqttShellException("PublishRejected",
                    ShellErrorClassifier.CategoryOf((MqttReasonCode)outcome.ReasonCode),
                    "The broker refused the message to topic '" + e.Message.Topic + "': " + ReasonText.Describe(outcome.ReasonCode) +
                    (string.IsNullOrEmpty(outcome.ReasonString) ? "" : ", " + outcome.ReasonString) + ".", e.Source)));
                return;
            }
            var failure = e.Task.Exception?.GetBaseException() ?? (Exception)new OperationCanceledException();
            if (IsConnectionLoss(failure, out var sent))
            {
                if (sent == false) _unsent++;
                else _unconfirmed++;
                if (_lostReason == null) StopForLoss(failure, completed);
                return;
            }
            completed.Add(Fail(e.Message, e.Source, failure));
        }

        /// <summary>The connection has ended for good: every message still waiting fails with it, counted; then the
        /// one error that stops the command says what became of them.</summary>
        private void StopForLoss(Exception failure, List<PublishCompletion> completed)
        {
            _lostReason = _target.LostReason ?? failure.Message;
            var rest = _inFlight.Concat(_parked).ToList();
            _inFlight.Clear();
            _parked.Clear();
            foreach (var e in rest)
            {
                if (e.Task.IsCompleted)
                {
                    Settle(e, completed);
                    continue;
                }
                // Not failed yet, though the connection is gone: whether it left is not known.
                e.Cancellation.Cancel();
                _ = e.Task.ContinueWith(t => _ = t.Exception, TaskContinuationOptions.OnlyOnFaulted);
                _unconfirmed++;
            }
            StopError = new MqttShellException("ConnectionLost", ShellErrorCategory.ConnectionError,
                "The connection '" + _target.Name + "' was lost (" + _lostReason.TrimEnd('.') + "). Publish-MqttMessage stopped: " + Tally() +
                "; the rest of the input was not read.", _target);
        }

        private string Tally()
        {
            var parts = new List<string> { Count(_confirmed) + " confirmed by the broker" };
            if (_sentAtQoS0 > 0) parts.Add(Count(_sentAtQoS0) + " sent at QoS 0 (which has no confirmation)");
            if (_parked.Count > 0) parts.Add(Count(_parked.Count) + " waiting in the offline queue, to be sent when the connection is back");
            parts.Add(Count(_unconfirmed) + " sent but not confirmed (the broker may or may not have them)");
            parts.Add(Count(_unsent) + " not sent");
            return "of its messages, " + string.Join(", ", parts);
        }

        private static string Count(long n) => DropReport.Count(n);

        /// <summary>The connection dropped under the messages in flight: the client sends them again after the
        /// reconnect, however long that takes, so they wait without a deadline and free the window.</summary>
        private void ParkIfReconnecting()
        {
            if (!_target.IsReconnecting) return;
            while (_inFlight.Count > 0) _parked.Add(_inFlight.Dequeue());
        }

        /// <summary>After a reconnect the client has sent the unacknowledged messages again: their deadline starts anew.</summary>
        private void RenewDeadlinesAfterReconnect()
        {
            var reconnects = _target.ReconnectCount;
            if (reconnects == _seenReconnects) return;
            _seenReconnects = reconnects;
            var deadline = DateTime.UtcNow + _acknowledgeTimeout;
            foreach (var e in _inFlight) if (e.Deadline < deadline) e.Deadline = deadline;
        }

        private void WaitForHead(IShellHost host, VerboseQueue verbose, List<PublishCompletion> completed)
        {
            var head = _inFlight.Peek();
            while (!head.Task.IsCompleted)
            {
                if (_target.IsReconnecting)
                {
                    ParkIfReconnecting();
                    return;
                }
                RenewDeadlinesAfterReconnect();
                var left = head.Deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero) break;
                PipelineWait.TryWait(head.Task, host, verbose, left < StateCheck ? left : StateCheck);
                // Ctrl+C also cancels the publishes themselves, so the head may have "completed" as cancelled: stop either way.
                host.Stopping.ThrowIfCancellationRequested();
            }
            if (head.Task.IsCompleted) return;
            _inFlight.Dequeue();
            completed.Add(TimedOut(head));
        }

        private PublishCompletion TimedOut(Entry e)
        {
            e.Cancellation.Cancel();
            e.Cancellation.Dispose();
            _ = e.Task.ContinueWith(t => _ = t.Exception, TaskContinuationOptions.OnlyOnFaulted);
            var text = e.Message.QoS == MqttQualityOfService.AtMostOnce
                ? "The message to topic '" + e.Message.Topic + "' (QoS 0) could not be written to the connection '" + _target.Name + "' within " + PipelineWait.FormatSeconds(_acknowledgeTimeout) + "."
                : "The broker did not acknowledge the message to topic '" + e.Message.Topic + "' within " + PipelineWait.FormatSeconds(_acknowledgeTimeout) + ".";
            return new PublishCompletion(e.Message, e.Source, null, new MqttShellException("PublishTimeout", ShellErrorCategory.OperationTimeout, text, e.Source));
        }

        /// <summary>While reconnecting, waits (up to the acknowledgement timeout) for room in the offline queue.
        /// False when it stayed full.</summary>
        private bool WaitForOfflineRoom(IShellHost host, VerboseQueue verbose)
        {
            if (_target.QueuedMessages < _target.OfflineQueueSize) return true;
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var activity = "Waiting for the connection '" + _target.Name + "' to reconnect: its offline queue is full (" + _target.OfflineQueueSize + " messages)";
            var showedProgress = false;
            try
            {
                while (_target.IsReconnecting && _target.QueuedMessages >= _target.OfflineQueueSize)
                {
                    if (watch.Elapsed >= _acknowledgeTimeout) return false;
                    host.Stopping.WaitHandle.WaitOne(StateCheck);
                    host.Stopping.ThrowIfCancellationRequested();
                    verbose?.Flush(host);
                    if (watch.Elapsed >= PipelineWait.ProgressAfter)
                    {
                        showedProgress = true;
                        host.WriteProgress(activity, PipelineWait.FormatSeconds(watch.Elapsed) + " elapsed",
                            (int)Math.Min(99, watch.Elapsed.TotalMilliseconds * 100 / _acknowledgeTimeout.TotalMilliseconds));
                    }
                }
                return true;
            }
            finally
            {
                if (showedProgress && !host.Stopping.IsCancellationRequested) host.CompleteProgress(activity);
            }
        }

        /// <summary>Messages still in the offline queue when the command ends: if the connection cannot come back,
        /// one notice says how many were not published.</summary>
        private void WatchParked()
        {
            var notify = Notify;
            var parked = _parked.ToArray();
            _parked.Clear();
            LeftInOfflineQueue = parked.Length;
            if (notify == null) return;
            var name = _target.Name;
            Task.WhenAll(parked.Select(p => (Task)p.Task)).ContinueWith(all =>
            {
                var failed = parked.Where(p => p.Task.Status != TaskStatus.RanToCompletion || !p.Task.Result.Succeeded).ToList();
                if (failed.Count == 0) return;
                var reason = failed.Select(p => p.Task.Exception?.GetBaseException().Message).FirstOrDefault(m => m != null) ?? "the broker refused them";
                notify(Count(failed.Count) + " of the " + Count(parked.Length) + " messages Publish-MqttMessage left in the offline queue of the connection '" + name +
                       "' were not published: " + reason.TrimEnd('.') + ".");
            }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        /// <summary>Whether <paramref name="e"/> means the connection is gone for good; <paramref name="sent"/> says
        /// whether the message had left (null: not known).</summary>
        private static bool IsConnectionLoss(Exception e, out bool? sent)
        {
            sent = null;
            switch (e)
            {
                case MqttConnectionLostException lost:
                    sent = lost.PublishWasSent;
                    return true;
                case ObjectDisposedException _:
                    return true;
                case MqttShellException shell when shell.ErrorId == "NotConnected" || shell.ErrorId == "ConnectionClosed":
                    sent = false;
                    return true;
                default:
                    return false;
            }
        }

        private static PublishCompletion Fail(MqttMessage message, object source, Exception e)
        {
            if (e is MqttShellException shell) return new PublishCompletion(message, source, null, shell);
            return new PublishCompletion(message, source, null, new MqttShellException("PublishFailed", ShellErrorClassifier.CategoryOf(e),
                "Could not publish the message to topic '" + message.Topic + "': " + e.Message, source, e));
        }

        private static Task<MqttPublishOutcome> Faulted(Exception e)
        {
            var tcs = new TaskCompletionSource<MqttPublishOutcome>();
            tcs.SetException(e);
            return tcs.Task;
        }

        private sealed class Entry
        {
            public Entry(MqttMessage message, object source, Task<MqttPublishOutcome> task, CancellationTokenSource cancellation, DateTime deadline)
            {
                Message = message;
                Source = source;
                Task = task;
                Cancellation = cancellation;
                Deadline = deadline;
            }

            public MqttMessage Message { get; }
            public object Source { get; }
            public Task<MqttPublishOutcome> Task { get; }
            public CancellationTokenSource Cancellation { get; }
            public DateTime Deadline { get; set; }
        }

        /// <summary>A publish function without a connection behind it (tests): never reconnecting.</summary>
        private sealed class DelegateTarget : IPublishTarget
        {
            private readonly Func<MqttMessage, CancellationToken, Task<MqttPublishOutcome>> _publish;
            public DelegateTarget(Func<MqttMessage, CancellationToken, Task<MqttPublishOutcome>> publish) { _publish = publish; }
            public string Name => "(publish)";
            public Task<MqttPublishOutcome> PublishAsync(MqttMessage message, CancellationToken cancellationToken) => _publish(message, cancellationToken);
            public bool IsReconnecting => false;
            public int QueuedMessages => 0;
            public int OfflineQueueSize => 0;
            public string LostReason => null;
            public int ReconnectCount => 0;
        }
    }
}
