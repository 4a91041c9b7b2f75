using System;

namespace MqttPS.Core.Client
{
    /// <summary>
    /// Hands out packet identifiers 1-65535 not currently in use [MQTT-2.2.1-3], round-robin so a recently
    /// released identifier is not reused at once (which makes late duplicates easy to tell apart in traces).
    /// </summary>
    internal sealed class PacketIdentifierPool
    {
        private readonly object _lock = new object();
        private readonly bool[] _inUse = new bool[65536];
        private int _next = 1;
        private int _count;

        public int Count { get { lock (_lock) return _count; } }

        public ushort Allocate()
        {
            lock (_lock)
            {
                if (_count >= 65535) throw new InvalidOperationException("All 65535 packet identifiers are in use: too many unacknowledged packets.");
                while (true)
                {
                    var id = _next;
                    _next = _next == 65535 ? 1 : _next + 1;
                    if (!_inUse[id])
                    {
                        _inUse[id] = true;
                        _count++;
                        return (ushort)id;
                    }
                }
            }
        }

        /// <summary>Marks an identifier as taken (restored session state).</summary>
        public void Reserve(ushort id)
        {
            lock (_lock)
            {
                if (id == 0 || _inUse[id]) return;
                _inUse[id] = true;
                _count++;
            }
        }

        public void Release(ushort id)
        {
            lock (_lock)
            {
                if (id == 0 || !_inUse[id]) return;
                _inUse[id] = false;
                _count--;
            }
        }

        public void Clear()
        {
            lock (_lock)
            {
                Array.Clear(_inUse, 0, _inUse.Length);
                _count = 0;
            }
        }
    }
}
