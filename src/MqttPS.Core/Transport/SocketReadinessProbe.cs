using System;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace MqttPS.Core.Transport
{
    /// <summary>
    /// Answers "has any of these sockets received data that nobody has read yet?" with one non-blocking syscall: a
    /// private Linux epoll set (level-triggered, read readiness) holding every registered socket. The sockets stay
    /// owned and served by the runtime's own socket engine; this set is only looked at, never waited on.
    /// <see cref="TryCreate"/> returns null where there is no epoll (Windows, macOS, .NET Framework).
    /// </summary>
    internal sealed class SocketReadinessProbe : IDisposable
    {
        private const int EpollCloexec = 0x80000;
        private const int EpollCtlAdd = 1;
        private const uint EpollIn = 0x001;

        private readonly int _epoll;
        // struct epoll_event is 12 bytes (packed) on x86-64 and 16 elsewhere; only its first 4 bytes (the event mask)
        // matter here, so one 16-byte buffer fits every layout.
        private readonly byte[] _registration = new byte[16];
        [ThreadStatic] private static byte[] _ready;
        private int _disposed;

        private SocketReadinessProbe(int epoll)
        {
            _epoll = epoll;
            BitConverter.GetBytes(EpollIn).CopyTo(_registration, 0);
        }

        public static SocketReadinessProbe TryCreate()
        {
            if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux)) return null;
            try
            {
                var fd = epoll_create1(EpollCloexec);
                return fd >= 0 ? new SocketReadinessProbe(fd) : null;
            }
            catch (Exception e) when (e is DllNotFoundException || e is EntryPointNotFoundException)
            {
                return null;
            }
        }

        /// <summary>Adds a socket. Closing the socket removes it from the set by itself (the kernel does).</summary>
        public void Add(Socket socket)
        {
            if (System.Threading.Volatile.Read(ref _disposed) != 0) return;
            var fd = socket.Handle.ToInt64();
            if (fd < 0 || fd > int.MaxValue) return;
            epoll_ctl(_epoll, EpollCtlAdd, (int)fd, _registration);
        }

        /// <summary>True when at least one registered socket has unread input (or a pending close/error).</summary>
        public bool AnyReadable()
        {
            if (System.Threading.Volatile.Read(ref _disposed) != 0) return true;
            var ready = _ready ?? (_ready = new byte[16]);
            return epoll_wait(_epoll, ready, 1, 0) != 0;
        }

        public void Dispose()
        {
            if (System.Threading.Interlocked.Exchange(ref _disposed, 1) == 0) close(_epoll);
        }

        [DllImport("libc", SetLastError = true)]
        private static extern int epoll_create1(int flags);

        [DllImport("libc", SetLastError = true)]
        private static extern int epoll_ctl(int epfd, int op, int fd, byte[] ev);

        [DllImport("libc", SetLastError = true)]
        private static extern int epoll_wait(int epfd, byte[] events, int maxevents, int timeout);

        [DllImport("libc", SetLastError = true)]
        private static extern int close(int fd);
    }
}
