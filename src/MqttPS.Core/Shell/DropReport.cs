using System;
using System.Diagnostics;

namespace MqttPS.Core.Shell
{
    /// <summary>
    /// Reports drops (QoS 0 messages or broker events discarded because the consumer fell behind) as coalesced
    /// warnings: the first at once, then at most one per <see cref="Interval"/> while dropping goes on, and the total
    /// at the end. Never one line per message. For the pipeline thread.
    /// </summary>
    public sealed class DropReport
    {
        public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(5);
        private readonly Stopwatch _sinceLast = new Stopwatch();
        private readonly Func<long, long, bool, string> _describe;
        private long _reported;

        /// <summary><paramref name="describe"/> gives the warning text for (newly dropped, dropped in all, final);
        /// <paramref name="interval"/> defaults to <see cref="DefaultInterval"/>.</summary>
        public DropReport(Func<long, long, bool, string> describe, TimeSpan? interval = null)
        {
            _describe = describe ?? throw new ArgumentNullException(nameof(describe));
            Interval = interval ?? DefaultInterval;
        }

        public TimeSpan Interval { get; }

        /// <summary>Warnings written so far.</summary>
        public int Warnings { get; private set; }

        /// <summary>Called as the consumer goes: warns of new drops unless a warning was written within the interval.</summary>
        public void Update(IShellHost host, long dropped)
        {
            if (dropped <= _reported || (_sinceLast.IsRunning && _sinceLast.Elapsed < Interval)) return;
            Write(host, dropped, false);
        }

        /// <summary>Called once at the end: the total, if anything was dropped.</summary>
        public void Finish(IShellHost host, long dropped)
        {
            if (dropped > 0) Write(host, dropped, true);
        }

        private void Write(IShellHost host, long dropped, bool final)
        {
            host.WriteWarning(_describe(dropped - _reported, dropped, final));
            Warnings++;
            _reported = dropped;
            _sinceLast.Restart();
        }

        public static string Count(long n) => n.ToString("N0", System.Globalization.CultureInfo.InvariantCulture);
    }
}
