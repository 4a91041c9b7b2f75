using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Threading;
using static MqttPS.Core.Transport.Epoll.LinuxSocketCalls;

namespace MqttPS.Core.Transport.Epoll
{
    /// <summary>
    /// A Linux epoll loop on a thread of its own, for the broker's TCP sockets: it accepts connections itself
    /// (<see cref="EpollAcceptor"/>, no .NET Socket per connection) and wakes whoever waits on a connected socket
    /// (<see cref="EpollSocketStream"/>). Why not .NET's own socket engine: under load this loop stops blocking and
    /// polls on a short timer (<see cref="BusyPollPolicy"/>), which spares the clients the cost of waking the broker for
    /// every packet; .NET's engine always blocks. And the code a wake-up resumes (the broker's handling of what
    /// arrived) runs right here on the loop's thread, as in mosquitto's one loop, instead of being queued to the
    /// thread pool: one thread hop less per packet, whatever the process's settings (.NET does this for its own
    /// sockets only with DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1, a process-wide switch a module cannot set).
    /// So nothing that runs on it may block: the broker moves what can (TLS and WebSocket handshakes, custom
    /// authenticators) to the thread pool, and a blocking read or write on the loop's own thread fails instead of
    /// hanging every socket. Each socket is registered once, edge-triggered for input and output.
    /// </summary>
    internal sealed class EpollEventLoop
    {
        private const int MaxEventsPerWait = 256;

        /// <summary>"epoll" (the default where supported), "epoll-threadpool" (this engine, but every wake-up resumes
        /// its code on the thread pool, as before it ran inline) or "dotnet" (.NET's NetworkStream) for the broker's TCP
        /// connections; for comparisons and as a way out should this engine misbehave somewhere.</summary>
        private const string EngineVariable = "MQTTPS_SOCKET_ENGINE";

        private static readonly Lazy<EpollEventLoop[]> Loops = new Lazy<EpollEventLoop[]>(CreateLoops);
        private static int _nextLoop;

        private readonly int _epollFd;
        private readonly ConcurrentDictionary<long, IEpollEventHandler> _handlers = new ConcurrentDictionary<long, IEpollEventHandler>();
        private readonly IntPtr _registration; // one epoll_event for epoll_ctl, used under _registrationLock
        private readonly object _registrationLock = new object();
        private long _nextId;

        private EpollEventLoop(int epollFd, int index)
        {
            _epollFd = epollFd;
            _registration = Marshal.AllocHGlobal(EventSize);
            var thread = new Thread(Run) { IsBackground = true, Name = "MqttPS epoll " + index };
            thread.Start();
        }

        /// <summary>Whether wake-ups run the waiting code on the loop's thread (the default) rather than on the thread
        /// pool (MQTTPS_SOCKET_ENGINE=epoll-threadpool, for comparisons). Measured inside PowerShell, where the thread
        /// pool hop was the whole gap between Start-MqttBroker and the broker host: see README, Benchmarks.</summary>
        internal static readonly bool InlineCompletions =
            !string.Equals(Environment.GetEnvironmentVariable(EngineVariable), "epoll-threadpool", StringComparison.OrdinalIgnoreCase);

        [ThreadStatic] private static bool _isLoopThread;

        /// <summary>True on a loop's own thread: code here must never wait for a socket of the loop (nobody else would
        /// deliver the wake-up).</summary>
        internal static bool IsLoopThread => _isLoopThread;

        /// <summary>x86-64 packs struct epoll_event (12 bytes, data at offset 4); arm64 aligns it (16 bytes, data at 8).</summary>
        private static readonly bool PackedEvents = RuntimeInformation.ProcessArchitecture == Architecture.X64;
        private static int EventSize => PackedEvents ? 12 : 16;
        private static int DataOffset => PackedEvents ? 4 : 8;

        /// <summary>Linux on x86-64 or arm64 under .NET (Core), epoll available, and not switched off.</summary>
        internal static bool IsSupported => Supported.Value;

        private static readonly Lazy<bool> Supported = new Lazy<bool>(() =>
        {
            if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux)) return false;
            if (RuntimeInformation.ProcessArchitecture != Architecture.X64 && RuntimeInformation.ProcessArchitecture != Architecture.Arm64) return false;
            if (string.Equals(Environment.GetEnvironmentVariable(EngineVariable), "dotnet", StringComparison.OrdinalIgnoreCase)) return false;
            try
            {
                return Loops.Value.Length > 0;
            }
            catch (Exception e) when (e is DllNotFoundException || e is EntryPointNotFoundException || e is InvalidOperationException)
            {
                return false; // e.g. a libc without epoll: .NET's engine serves instead
            }
        });

        /// <summary>The loops: with wake-ups inline, one per 4 CPUs (each loop then does all the work for its sockets,
        /// as mosquitto's one thread does; measured on 2 CPUs, one loop beat two); otherwise one per 16 CPUs (a loop
        /// only hands wake-ups to the thread pool).</summary>
        private static EpollEventLoop[] CreateLoops()
        {
            var count = InlineCompletions ? Math.Max(1, Environment.ProcessorCount / 4) : 1 + (Environment.ProcessorCount - 1) / 16;
            var loops = new EpollEventLoop[count];
            for (var i = 0; i < count; i++)
            {
                var fd = epoll_create1(EPOLL_CLOEXEC);
                if (fd < 0) throw new InvalidOperationException("epoll_create1 failed: " + ErrorName(Marshal.GetLastWin32Error()));
                loops[i] = new EpollEventLoop(fd, i);
            }
            return loops;
        }

        /// <summary>The loop for the next socket: round robin.</summary>
        internal static EpollEventLoop Next()
        {
            var loops = Loops.Value;
            return loops[(int)((uint)Interlocked.Increment(ref _nextLoop) % (uint)loops.Length)];
        }

        /// <summary>Registers a non-blocking connected socket for edge-triggered input and output; returns its id.</summary>
        internal long Register(IEpollEventHandler handler, int fd) => Register(handler, fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET);

        /// <summary>Registers a descriptor for <paramref name="events"/>; returns its id.</summary>
        internal long Register(IEpollEventHandler handler, int fd, uint events)
        {
            var id = Interlocked.Increment(ref _nextId);
            _handlers[id] = handler;
            if (!Control(EPOLL_CTL_ADD, fd, events, id, out var errno))
            {
                _handlers.TryRemove(id, out _);
                throw new InvalidOperationException("epoll_ctl(ADD) failed: " + ErrorName(errno));
            }
            return id;
        }

        /// <summary>Adds a registered descriptor back after <see cref="Suspend"/>; false if epoll refused.</summary>
        internal bool Resume(long id, int fd, uint events) => Control(EPOLL_CTL_ADD, fd, events, id, out _);

        /// <summary>Stops watching a descriptor for now, keeping its id (see <see cref="Resume"/>).</summary>
        internal void Suspend(int fd) => Control(EPOLL_CTL_DEL, fd, 0, 0, out _);

        private bool Control(int operation, int fd, uint events, long id, out int errno)
        {
            lock (_registrationLock)
            {
                Marshal.WriteInt32(_registration, 0, unchecked((int)events));
                Marshal.WriteInt64(_registration, DataOffset, id);
                if (epoll_ctl(_epollFd, operation, fd, _registration) == 0)
                {
                    errno = 0;
                    return true;
                }
                errno = Marshal.GetLastWin32Error();
                return false;
            }
        }

        /// <summary>Must come before the socket is closed: a closed descriptor's number can be reused at once, and the
        /// removal would then hit the new socket.</summary>
        internal void Unregister(long id, int fd)
        {
            _handlers.TryRemove(id, out _);
            Control(EPOLL_CTL_DEL, fd, 0, 0, out _);
        }

        private void Run()
        {
            var events = Marshal.AllocHGlobal(EventSize * MaxEventsPerWait);
            var pollInterval = Marshal.AllocHGlobal(16); // struct timespec { time_t tv_sec; long tv_nsec; }, 64-bit
            Marshal.WriteInt64(pollInterval, 0, 0);
            Marshal.WriteInt64(pollInterval, 8, BusyPollPolicy.PollIntervalNanoseconds);
            // Linux lets a sleeping thread's timer fire up to 50 µs late by default, half a poll interval.
            prctl(PR_SET_TIMERSLACK, (IntPtr)1000, IntPtr.Zero, IntPtr.Zero, IntPtr.Zero);
            _isLoopThread = true;
            var policy = new BusyPollPolicy(Stopwatch.Frequency);
            while (true)
            {
                int n;
                if (policy.Polling)
                {
                    n = epoll_wait(_epollFd, events, MaxEventsPerWait, 0);
                    if (n == 0)
                    {
                        policy.OnEmptyPoll();
                        if (policy.Polling) nanosleep(pollInterval, IntPtr.Zero);
                        continue;
                    }
                    if (n > 0) policy.OnPollWithEvents();
                }
                else
                {
                    n = epoll_wait(_epollFd, events, MaxEventsPerWait, -1);
                    if (n > 0) policy.OnWokenWithEvents(Stopwatch.GetTimestamp());
                }
                if (n < 0)
                {
                    if (Marshal.GetLastWin32Error() == EINTR) continue;
                    Thread.Sleep(10); // not expected; never spin on a broken descriptor
                    continue;
                }
                for (var i = 0; i < n; i++)
                {
                    var at = events + i * EventSize;
                    var flags = unchecked((uint)Marshal.ReadInt32(at, 0));
                    var id = Marshal.ReadInt64(at, DataOffset);
                    // A socket unregistered after this wait began is simply gone from the table.
                    if (!_handlers.TryGetValue(id, out var handler)) continue;
                    try
                    {
                        handler.OnEvents(flags);
                    }
                    catch (Exception)
                    {
                        // Whatever fails while a wake-up runs belongs to that socket's reader or writer (the broker
                        // catches its own errors per connection), and must never end the loop that serves every
                        // other socket.
                    }
                }
            }
        }
    }
}
