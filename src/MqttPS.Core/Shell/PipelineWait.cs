using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;

namespace MqttPS.Core.Shell
{
    /// <summary>
    /// Waits for engine tasks on the pipeline thread (never a thread-pool thread) in short slices, so that
    /// Ctrl+C is noticed within a slice, queued verbose lines are written while waiting, and a wait longer than
    /// a few seconds shows a progress bar.
    /// </summary>
    public static class PipelineWait
    {
        /// <summary>How often a wait wakes up to write verbose output and look at the stop token.</summary>
        public static readonly TimeSpan Slice = TimeSpan.FromMilliseconds(100);

        /// <summary>Waits shorter than this show no progress bar.</summary>
        public static readonly TimeSpan ProgressAfter = TimeSpan.FromSeconds(2);

        /// <summary>
        /// Returns the task's result. Throws <see cref="OperationCanceledException"/> when the host is stopping,
        /// <see cref="TimeoutException"/> (naming <paramref name="what"/>) when <paramref name="timeout"/> passes,
        /// or the task's own exception, unwrapped.
        /// </summary>
        public static T Wait<T>(Task<T> task, IShellHost host, VerboseQueue verbose, TimeSpan timeout, string what)
        {
            WaitCore(task, host, verbose, timeout, what);
            return task.GetAwaiter().GetResult();
        }

        public static void Wait(Task task, IShellHost host, VerboseQueue verbose, TimeSpan timeout, string what)
        {
            WaitCore(task, host, verbose, timeout, what);
            task.GetAwaiter().GetResult();
        }

        /// <summary>Waits until the task completes or the host stops, without a deadline and without throwing the
        /// task's exception. Returns false when stopped.</summary>
        public static bool TryWait(Task task, IShellHost host, VerboseQueue verbose, TimeSpan timeout)
        {
            if (timeout < TimeSpan.Zero) timeout = TimeSpan.MaxValue;
            var watch = Stopwatch.StartNew();
            var handles = new[] { ((IAsyncResult)task).AsyncWaitHandle, host.Stopping.WaitHandle };
            while (!task.IsCompleted)
            {
                if (host.Stopping.IsCancellationRequested) return false;
                var left = timeout - watch.Elapsed;
                if (left <= TimeSpan.Zero) return false;
                WaitHandle.WaitAny(handles, left < Slice ? left : Slice);
                verbose?.Flush(host);
            }
            verbose?.Flush(host);
            return true;
        }

        private static void WaitCore(Task task, IShellHost host, VerboseQueue verbose, TimeSpan timeout, string what)
        {
            var unbounded = timeout < TimeSpan.Zero;
            if (unbounded) timeout = TimeSpan.MaxValue;
            var watch = Stopwatch.StartNew();
            var showedProgress = false;
            var handles = new[] { ((IAsyncResult)task).AsyncWaitHandle, host.Stopping.WaitHandle };
            try
            {
                while (!task.IsCompleted)
                {
                    host.Stopping.ThrowIfCancellationRequested();
                    var elapsed = watch.Elapsed;
                    if (elapsed >= timeout)
                        throw new TimeoutException("Timed out after " + FormatSeconds(timeout) + " waiting for " + what + ".");
                    var left = timeout - elapsed;
                    WaitHandle.WaitAny(handles, left < Slice ? left : Slice);
                    verbose?.Flush(host);
                    if (watch.Elapsed >= ProgressAfter && !task.IsCompleted)
                    {
                        showedProgress = true;
                        var percent = unbounded ? -1 : (int)Math.Min(99, watch.Elapsed.TotalMilliseconds * 100 / timeout.TotalMilliseconds);
                        host.WriteProgress("Waiting for " + what, FormatSeconds(watch.Elapsed) + " elapsed", percent);
                    }
                }
                verbose?.Flush(host);
            }
            finally
            {
                if (showedProgress) host.CompleteProgress("Waiting for " + what);
            }
        }

        public static string FormatSeconds(TimeSpan span) =>
            span.TotalSeconds.ToString(span.TotalSeconds < 10 ? "0.#" : "0", System.Globalization.CultureInfo.InvariantCulture) + " s";
    }
}
