using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using MqttPS.Core.Messages;

namespace MqttPS.Core.Shell
{
    /// <summary>
    /// Keeps up to <see cref="Size"/> publishes in flight, so a pipeline of QoS 1/2 messages costs one round trip
    /// per window rather than per message. Submit starts a publish and returns at once unless the window is full,
    /// in which case it waits (on the pipeline thread, in slices) for the oldest. Completions come back in
    /// submission order, so -PassThru output follows the input. Each publish has its own deadline: one that is
    /// not acknowledged in time becomes an error naming the message, and the window moves on.
    /// </summary>
    public sealed class PublishWindow
    {
        private readonly Func<MqttMessage, CancellationToken, Task<MqttPublishOutcome>> _publish;
        private readonly Queue<Entry> _inFlight = new Queue<Entry>();
        private readonly TimeSpan _acknowledgeTimeout;

        public PublishWindow(Func<MqttMessage, CancellationToken, Task<MqttPublishOutcome>> publish, int size, TimeSpan acknowledgeTimeout)
        {
            if (size < 1) throw new ArgumentOutOfRangeException(nameof(size), size, "The publish window holds at least one message.");
            _publish = publish ?? throw new ArgumentNullException(nameof(publish));
            Size = size;
            _acknowledgeTimeout = acknowledgeTimeout;
        }

        public int Size { get; }
        public int InFlight => _inFlight.Count;

        /// <summary>Starts publishing <paramref name="message"/>; adds to <paramref name="completed"/> whatever has
        /// finished at the head of the window, waiting only while the window is full.</summary>
        public void Submit(MqttMessage message, object source, IShellHost host, VerboseQueue verbose, List<PublishCompletion> completed)
        {
            host.Stopping.ThrowIfCancellationRequested();
            var cts = CancellationTokenSource.CreateLinkedTokenSource(host.Stopping);
            Task<MqttPublishOutcome> task;
            try
            {
                task = _publish(message, cts.Token);
            }
            catch (Exception e)
            {
                cts.Dispose();
                completed.Add(Fail(message, source, e));
                return;
            }
            _inFlight.Enqueue(new Entry(message, source, task, cts, DateTime.UtcNow + _acknowledgeTimeout));
            Harvest(completed);
            while (_inFlight.Count >= Size)
            {
                WaitForHead(host, verbose, completed);
                Harvest(completed);
            }
        }

        /// <summary>Waits for everything still in flight (EndProcessing).</summary>
        public void Flush(IShellHost host, VerboseQueue verbose, List<PublishCompletion> completed)
        {
            while (_inFlight.Count > 0)
            {
                WaitForHead(host, verbose, completed);
                Harvest(completed);
            }
        }

        /// <summary>Gives up on everything in flight (Ctrl+C, or the cmdlet is disposed).</summary>
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
                var e = _inFlight.Dequeue();
                e.Cancellation.Dispose();
                completed.Add(Complete(e));
            }
        }

        private void WaitForHead(IShellHost host, VerboseQueue verbose, List<PublishCompletion> completed)
        {
            var head = _inFlight.Peek();
            var left = head.Deadline - DateTime.UtcNow;
            var answered = left > TimeSpan.Zero && PipelineWait.TryWait(head.Task, host, verbose, left);
            // Ctrl+C also cancels the publishes themselves, so the head may have "completed" as cancelled: stop either way.
            host.Stopping.ThrowIfCancellationRequested();
            if (answered) return;
            if (head.Task.IsCompleted) return;
            _inFlight.Dequeue();
            head.Cancellation.Cancel();
            head.Cancellation.Dispose();
            _ = head.Task.ContinueWith(t => _ = t.Exception, TaskContinuationOptions.OnlyOnFaulted);
            completed.Add(new PublishCompletion(head.Message, head.Source, null, new MqttShellException("PublishTimeout", ShellErrorCategory.OperationTimeout,
                "The broker did not acknowledge the message to topic '" + head.Message.Topic + "' within " + PipelineWait.FormatSeconds(_acknowledgeTimeout) + ".", head.Source)));
        }

        private static PublishCompletion Complete(Entry e)
        {
            if (e.Task.Status == TaskStatus.RanToCompletion)
            {
                var outcome = e.Task.Result;
                if (outcome.Succeeded) return new PublishCompletion(e.Message, e.Source, outcome, null);
                return new PublishCompletion(e.Message, e.Source, outcome, new MqttShellException("PublishRejected",
                    ShellErrorClassifier.CategoryOf((Protocol.MqttReasonCode)outcome.ReasonCode),
                    "The broker refused the message to topic '" + e.Message.Topic + "': " + ReasonText.Describe(outcome.ReasonCode) +
                    (string.IsNullOrEmpty(outcome.ReasonString) ? "" : ", " + outcome.ReasonString) + ".", e.Source));
            }
            return Fail(e.Message, e.Source, e.Task.Exception?.GetBaseException() ?? (Exception)new OperationCanceledException());
        }

        private static PublishCompletion Fail(MqttMessage message, object source, Exception e)
        {
            if (e is MqttShellException shell) return new PublishCompletion(message, source, null, shell);
            return new PublishCompletion(message, source, null, new MqttShellException("PublishFailed", ShellErrorClassifier.CategoryOf(e),
                "Could not publish the message to topic '" + message.Topic + "': " + e.Message, source, e));
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
            public DateTime Deadline { get; }
        }
    }
}
