using System.Collections.Generic;

namespace MqttPS.Core.Broker
{
    /// <summary>
    /// Write coalescing for a receive loop: while a thread handles the packets of one socket read, connections it
    /// queues packets for are only noted; at the end of the read each of them gets its writer run once, on this
    /// thread. One read of many PUBLISH packets thus becomes one socket write per subscriber (throughput, CPU), and a
    /// lone message still goes out immediately, without a thread-pool hop (latency). Never held across an await.
    /// </summary>
    internal static class DeferredFlush
    {
        [System.ThreadStatic] private static int _depth;
        [System.ThreadStatic] private static List<BrokerConnection> _pending;
        /// <summary>The list flushed last time, reused as the next batch's list (no copy per batch).</summary>
        [System.ThreadStatic] private static List<BrokerConnection> _spare;

        public static bool IsDeferring => _depth > 0;

        public static void Begin() => _depth++;

        public static void Add(BrokerConnection connection)
            => (_pending ?? (_pending = new List<BrokerConnection>())).Add(connection);

        /// <summary>Leaves the batch; the outermost End flushes every noted connection.</summary>
        public static void End()
        {
            if (_depth > 0) _depth--;
            if (_depth > 0) return;
            var pending = _pending;
            if (pending == null || pending.Count == 0) return;
            // Flushing may run writers inline, which may note connections again: they go to a fresh list (the spare
            // one), so nothing added meanwhile is lost or re-entered, and no snapshot is copied per batch.
            _pending = _spare;
            _spare = null;
            for (var i = 0; i < pending.Count; i++) pending[i].Flush();
            pending.Clear();
            _spare = pending;
        }
    }
}
