using System.Collections.Concurrent;
using System.Threading;

namespace MqttPS.Core.Shell
{
    /// <summary>
    /// Carries protocol trace lines from network threads to the pipeline thread, where they become -Verbose
    /// output. Bounded: a chatty connection cannot grow it without limit; what is dropped is counted and said.
    /// </summary>
    public sealed class VerboseQueue
    {
        public const int DefaultCapacity = 2000;
        private readonly ConcurrentQueue<string> _lines = new ConcurrentQueue<string>();
        private readonly int _capacity;
        private int _count;
        private int _dropped;

        public VerboseQueue(int capacity = DefaultCapacity)
        {
            _capacity = capacity;
        }

        /// <summary>Safe from any thread.</summary>
        public void Add(string line)
        {
            if (Interlocked.Increment(ref _count) > _capacity)
            {
                Interlocked.Decrement(ref _count);
                Interlocked.Increment(ref _dropped);
                return;
            }
            _lines.Enqueue(line);
        }

        /// <summary>Writes what has queued up; call on the pipeline thread.</summary>
        public void Flush(IShellHost host)
        {
            while (_lines.TryDequeue(out var line))
            {
                Interlocked.Decrement(ref _count);
                host.WriteVerbose(line);
            }
            var dropped = Interlocked.Exchange(ref _dropped, 0);
            if (dropped > 0) host.WriteVerbose("(" + dropped + " protocol trace lines were dropped because the verbose stream fell behind)");
        }
    }
}
