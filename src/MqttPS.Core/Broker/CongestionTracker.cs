using System.Collections.Generic;
using System.Threading.Tasks;

namespace MqttPS.Core.Broker
{
    /// <summary>
    /// Publisher back-pressure. When routing a client's PUBLISH leaves an online subscriber with more than half its
    /// queue bound waiting, the publishing connection stops reading (TCP then slows the publisher down) until that
    /// queue is down to a quarter, for at most <see cref="MaxWaitMilliseconds"/>. A subscriber still congested after
    /// that is marked stalled and no longer holds publishers back (its queue bound and overflow policy apply), so one
    /// stuck reader can delay its publishers once, briefly, but never stop them.
    /// Without this, multi-threaded routing accepts messages faster than a single subscriber can take them and the
    /// queue bound drops them, where a single-threaded broker would simply have read the publishers more slowly.
    /// </summary>
    internal static class CongestionTracker
    {
        public const int MaxWaitMilliseconds = 1000;

        [System.ThreadStatic] private static bool _collecting;
        [System.ThreadStatic] private static List<object> _congested;

        public static int HighWatermark(MqttBrokerOptions o) => o.MaxQueuedMessagesPerSession > 0 ? System.Math.Max(1, o.MaxQueuedMessagesPerSession / 2) : int.MaxValue;
        public static int LowWatermark(MqttBrokerOptions o) => o.MaxQueuedMessagesPerSession > 0 ? o.MaxQueuedMessagesPerSession / 4 : int.MaxValue;

        /// <summary>Starts collecting congestion for the packet the current thread is handling.</summary>
        public static void Begin() => _collecting = true;

        /// <summary>Stops collecting; the congested sessions and connections, or null.</summary>
        public static List<object> End()
        {
            _collecting = false;
            var result = _congested;
            _congested = null;
            return result;
        }

        /// <summary>Called under the session's lock when its queue passes the high watermark.</summary>
        public static void Note(MqttSession session) => NoteObject(session);

        /// <summary>A subscriber connection whose socket queue (QoS 0 traffic) passed its congestion mark.</summary>
        public static void Note(BrokerConnection connection) => NoteObject(connection);

        private static void NoteObject(object congested)
        {
            if (!_collecting) return;
            var list = _congested ?? (_congested = new List<object>(2));
            if (!list.Contains(congested)) list.Add(congested);
        }

        public static async Task WaitAsync(List<object> congested, MqttBrokerOptions options)
        {
            var low = LowWatermark(options);
            var waits = new List<Task>(congested.Count);
            foreach (var c in congested)
            {
                if (c is MqttSession s) { lock (s) waits.Add(s.WaitForDrainAsync(low)); }
                else waits.Add(((BrokerConnection)c).WaitForReliefAsync());
            }
            var all = Task.WhenAll(waits);
            if (all.IsCompleted) return;
            var finished = await Task.WhenAny(all, Task.Delay(MaxWaitMilliseconds)).ConfigureAwait(false);
            if (finished == all) return;
            foreach (var c in congested)
            {
                if (c is MqttSession s) { lock (s) if (s.QueueCount > low) s.Stalled = true; }
                else ((BrokerConnection)c).MarkStalled();
            }
        }
    }
}
