using System;
using System.Diagnostics;
using System.Net.Sockets;
using System.Threading;
using MqttPS.Core.Transport;

namespace MqttPS.Core.Broker
{
    /// <summary>
    /// Busy-polling for a broker whose socket completions run inline on the socket event threads: after a busy
    /// thread handled a read and nothing else is waiting to be read, it stays awake a few microseconds before going
    /// back to sleep in the socket engine. On loopback and in virtual machines, waking a sleeping event thread is
    /// charged to the peer that sent the packet (a cross-CPU wake-up); under load, a thread that is still awake when
    /// the next packet comes saves that cost on both sides. The spin ends as soon as any connection has input
    /// (<see cref="SocketReadinessProbe"/>), so it never delays work. An idle or lightly loaded broker never spins:
    /// only a read that follows the previous one on the same thread within <see cref="_busyGapTicks"/> counts as load.
    /// Off where there is no probe (not Linux).
    /// </summary>
    internal sealed class EventLoopSpin : IDisposable
    {
        private readonly long _spinTicks;
        private readonly long _busyGapTicks;
        private readonly SocketReadinessProbe _probe;

        [ThreadStatic] private static long _lastReadEnd;

        public EventLoopSpin(int spinMicroseconds)
        {
            if (spinMicroseconds <= 0) return;
            _probe = SocketReadinessProbe.TryCreate();
            if (_probe == null) return;
            _spinTicks = spinMicroseconds * Stopwatch.Frequency / 1_000_000;
            // Reads further apart than this are not load: at 1,000 messages/s nothing spins.
            _busyGapTicks = _spinTicks * 20;
        }

        public bool IsEnabled => _probe != null;

        /// <summary>Watches a new connection's socket (its input ends a spin).</summary>
        public void Add(Socket socket)
        {
            if (socket != null) _probe?.Add(socket);
        }

        /// <summary>Called by a receive loop when a read completed, before handling it.</summary>
        public static long ReadStarted() => Stopwatch.GetTimestamp();

        /// <summary>Called by a receive loop after handling the read that completed at <paramref name="startedAt"/>.</summary>
        public void AfterRead(long startedAt)
        {
            var now = Stopwatch.GetTimestamp();
            if (startedAt - _lastReadEnd < _busyGapTicks)
            {
                var until = now + _spinTicks;
                while (!_probe.AnyReadable() && (now = Stopwatch.GetTimestamp()) < until) Thread.SpinWait(4);
            }
            _lastReadEnd = now;
        }

        public void Dispose() => _probe?.Dispose();
    }
}
