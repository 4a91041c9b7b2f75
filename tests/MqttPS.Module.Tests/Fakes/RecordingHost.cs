using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading;
using MqttPS.Core.Shell;

namespace MqttPS.Module.Tests.Fakes
{
    /// <summary>Stands in for a cmdlet: records what the Shell layer writes and offers a stop token (Ctrl+C).</summary>
    public sealed class RecordingHost : IShellHost
    {
        private readonly CancellationTokenSource _stop = new CancellationTokenSource();
        private readonly int _threadId = Thread.CurrentThread.ManagedThreadId;

        public CancellationToken Stopping => _stop.Token;
        public List<string> Verbose { get; } = new List<string>();
        public List<string> Warnings { get; } = new List<string>();
        public List<string> Progress { get; } = new List<string>();
        public ConcurrentBag<int> OffThreadCalls { get; } = new ConcurrentBag<int>();

        public void Stop() => _stop.Cancel();
        public void StopAfter(int milliseconds) => _stop.CancelAfter(milliseconds);

        public void WriteVerbose(string text) { Check(); Verbose.Add(text); }
        public void WriteWarning(string text) { Check(); Warnings.Add(text); }
        public void WriteProgress(string activity, string status, int percentComplete) { Check(); Progress.Add(activity + ": " + status); }
        public void CompleteProgress(string activity) { Check(); }

        // The Shell layer promises to call the host only on the thread the cmdlet runs on.
        private void Check()
        {
            if (Thread.CurrentThread.ManagedThreadId != _threadId) OffThreadCalls.Add(Thread.CurrentThread.ManagedThreadId);
        }
    }
}
