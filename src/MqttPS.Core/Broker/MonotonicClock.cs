using System.Diagnostics;

namespace MqttPS.Core.Broker
{
    /// <summary>Milliseconds from a monotonic clock (wall-clock changes must not expire messages or sessions).</summary>
    internal static class MonotonicClock
    {
        private static readonly long Frequency = Stopwatch.Frequency;

        public static long NowMilliseconds => Stopwatch.GetTimestamp() * 1000 / Frequency;
    }
}
