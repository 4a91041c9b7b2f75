using System;
using System.Diagnostics;
using MqttPS.Core.Messages;

namespace MqttPS.Core.Shell
{
    /// <summary>Why a streaming subscription stopped.</summary>
    public enum StreamEndReason
    {
        CountReached,
        TimedOut,
        Stopped,
        ConnectionClosed,
    }

    /// <summary>
    /// Drains a stream-mode subscription on the pipeline thread: hands each message to the cmdlet's emit callback
    /// (WriteObject) until the count is reached, the timeout passes, the host stops (Ctrl+C) or the connection
    /// closes (after what was queued). A downstream Select-Object -First stops the pipeline by throwing out of the
    /// emit callback, which this lets through so the cmdlet's finally block unsubscribes. QoS 0 messages dropped
    /// because the pipeline fell behind are reported in coalesced warnings (<see cref="DropReport"/>).
    /// </summary>
    public static class MessageStreamReader
    {
        public static StreamEndReason Read(MqttSubscription subscription, IShellHost host, VerboseQueue verbose, int? count, TimeSpan? timeout, Action<MqttMessage> emit)
        {
            if (subscription.Mode != SubscriptionMode.Stream) throw new InvalidOperationException("Only stream-mode subscriptions are read from the pipeline.");
            var watch = Stopwatch.StartNew();
            var emitted = 0;
            var queue = subscription.Queue;
            var drops = new DropReport((recent, total, final) => final
                ? "The subscription to " + subscription.Topic + " dropped " + DropReport.Count(total) + " QoS 0 messages in all because the pipeline fell behind" + PolicyText(queue) + "."
                : "The pipeline is falling behind the subscription to " + subscription.Topic + ": " + DropReport.Count(recent) + " QoS 0 messages dropped" +
                  (total > recent ? " (" + DropReport.Count(total) + " in all)" : "") + PolicyText(queue) + ".");
            var showedProgress = false;
            var activity = "Waiting for messages on " + subscription.Topic;
            try
            {
                while (true)
                {
                    if (count.HasValue && emitted >= count.Value) return StreamEndReason.CountReached;
                    if (host.Stopping.IsCancellationRequested) return StreamEndReason.Stopped;
                    var left = timeout.HasValue ? timeout.Value - watch.Elapsed : PipelineWait.Slice;
                    if (left <= TimeSpan.Zero) return StreamEndReason.TimedOut;
                    if (subscription.Queue.TryTake(left < PipelineWait.Slice ? left : PipelineWait.Slice, out var message))
                    {
                        verbose?.Flush(host);
                        emit(message);
                        emitted++;
                    }
                    else
                    {
                        verbose?.Flush(host);
                        if (subscription.Queue.IsFinished) return StreamEndReason.ConnectionClosed;
                    }
                    drops.Update(host, queue.Dropped);
                    if ((count.HasValue || timeout.HasValue) && watch.Elapsed >= PipelineWait.ProgressAfter)
                    {
                        showedProgress = true;
                        var status = (count.HasValue ? emitted + " of " + count.Value + " messages" : emitted + " messages") +
                                     (timeout.HasValue ? ", " + PipelineWait.FormatSeconds(timeout.Value - watch.Elapsed) + " left" : "");
                        var percent = count.HasValue ? emitted * 100 / Math.Max(1, count.Value)
                            : timeout.HasValue ? (int)Math.Min(99, watch.Elapsed.TotalMilliseconds * 100 / timeout.Value.TotalMilliseconds) : -1;
                        host.WriteProgress(activity, status, percent);
                    }
                }
            }
            finally
            {
                if (!host.Stopping.IsCancellationRequested)
                {
                    drops.Finish(host, queue.Dropped);
                    if (showedProgress) host.CompleteProgress(activity);
                }
            }
        }

        private static string PolicyText(BoundedMessageQueue queue) =>
            " (-OverflowPolicy " + queue.OverflowPolicy + ", -QueueSize " + queue.Capacity + "; -OverflowPolicy Backpressure keeps them waiting at the broker instead)";
    }
}
