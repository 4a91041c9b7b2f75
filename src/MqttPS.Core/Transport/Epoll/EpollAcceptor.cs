using System;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading.Tasks;
using static MqttPS.Core.Transport.Epoll.LinuxSocketCalls;

namespace MqttPS.Core.Transport.Epoll
{
    /// <summary>
    /// Accepts connections on a listening socket from an <see cref="EpollEventLoop"/>'s thread with accept4, so that a
    /// connection is a bare non-blocking descriptor (with TCP_NODELAY) and its remote address: no .NET Socket,
    /// SafeSocketHandle and SocketAsyncContext per connection (about 330 bytes each, a tenth of an idle connection), and
    /// no thread-pool hop between a client's connect and the broker reading its CONNECT. The listening socket stays a
    /// .NET Socket (bind, dual mode, errors), which the caller closes after <see cref="Stop"/>.
    /// </summary>
    internal sealed class EpollAcceptor : IEpollEventHandler
    {
        /// <summary>Accepts per wake-up; the registration is level-triggered, so a longer backlog wakes the loop again
        /// after the loop's other sockets have had their turn.</summary>
        private const int MaxAcceptsPerWakeUp = 64;

        /// <summary>Out of descriptors or memory: how long to stop accepting (level-triggered, the loop would otherwise
        /// spin on the same pending connection). Connections wait in the kernel's backlog meanwhile.</summary>
        private static readonly TimeSpan PauseWhenExhausted = TimeSpan.FromMilliseconds(100);

        private const int AddressBufferSize = 32; // struct sockaddr_in6 is 28 bytes

        private readonly int _fd;
        private readonly EpollEventLoop _loop;
        private readonly Action<int, EndPoint> _accepted;
        private readonly object _gate = new object();
        private readonly long _id;
        private IntPtr _address; // used under _gate only; freed by Stop
        private bool _stopped;
        private long _accepts;
        private long _pauses;

        /// <param name="listening">A bound, listening socket (made non-blocking here).</param>
        /// <param name="loop">The loop whose thread accepts.</param>
        /// <param name="accepted">Called on the loop's thread with each new connection's descriptor (non-blocking, owned
        /// by the callee from then on) and remote endpoint; it must not block.</param>
        internal EpollAcceptor(Socket listening, EpollEventLoop loop, Action<int, EndPoint> accepted)
        {
            if (listening == null) throw new ArgumentNullException(nameof(listening));
            _loop = loop ?? throw new ArgumentNullException(nameof(loop));
            _accepted = accepted ?? throw new ArgumentNullException(nameof(accepted));
            listening.Blocking = false;
            _fd = (int)listening.Handle;
            _address = Marshal.AllocHGlobal(AddressBufferSize);
            try { _id = loop.Register(this, _fd, EPOLLIN); }
            catch
            {
                Marshal.FreeHGlobal(_address);
                throw;
            }
        }

        /// <summary>Connections accepted so far.</summary>
        internal long Accepts => System.Threading.Interlocked.Read(ref _accepts);

        /// <summary>Times accepting paused because the process was out of descriptors or memory.</summary>
        internal long Pauses => System.Threading.Interlocked.Read(ref _pauses);

        public void OnEvents(uint flags)
        {
            for (var i = 0; i < MaxAcceptsPerWakeUp; i++)
            {
                int fd;
                EndPoint remote;
                lock (_gate)
                {
                    if (_stopped) return;
                    var length = AddressBufferSize;
                    fd = accept4(_fd, _address, ref length, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    if (fd < 0)
                    {
                        var errno = Marshal.GetLastWin32Error();
                        if (errno == EAGAIN) return;
                        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
                        {
                            PauseAccepting();
                            return;
                        }
                        // EINTR, or a connection that went away before it was accepted (ECONNABORTED, EPROTO...): next.
                        if (errno == EINTR || errno == 103 /* ECONNABORTED */ || errno == 71 /* EPROTO */) continue;
                        // Anything else is not expected from a listening socket; pause rather than spin on it.
                        PauseAccepting();
                        return;
                    }
                    remote = ReadAddress(_address, length);
                }
                System.Threading.Interlocked.Increment(ref _accepts);
                var noDelay = 1;
                setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, ref noDelay, sizeof(int));
                try
                {
                    _accepted(fd, remote);
                }
                catch (Exception)
                {
                    // The callee owns the descriptor and closes it on its own failures; whatever escapes must not end
                    // the accepting (nor the loop).
                }
            }
        }

        private void PauseAccepting()
        {
            System.Threading.Interlocked.Increment(ref _pauses);
            _loop.Suspend(_fd);
            Task.Delay(PauseWhenExhausted).ContinueWith(_ =>
            {
                lock (_gate)
                {
                    if (!_stopped) _loop.Resume(_id, _fd, EPOLLIN);
                }
            }, TaskScheduler.Default);
        }

        /// <summary>Stops accepting; after it returns no callback starts and the caller may close the listening socket.</summary>
        internal void Stop()
        {
            lock (_gate)
            {
                if (_stopped) return;
                _stopped = true;
                _loop.Unregister(_id, _fd);
                Marshal.FreeHGlobal(_address);
                _address = IntPtr.Zero;
            }
        }

        /// <summary>struct sockaddr_in / sockaddr_in6 (family in host order, port in network order) as an IPEndPoint.</summary>
        internal static IPEndPoint ReadAddress(IntPtr address, int length)
        {
            var family = (ushort)Marshal.ReadInt16(address, 0);
            var port = (Marshal.ReadByte(address, 2) << 8) | Marshal.ReadByte(address, 3);
            if (family == AF_INET && length >= 8)
                return new IPEndPoint(new IPAddress((uint)Marshal.ReadInt32(address, 4)), port);
            if (family == AF_INET6 && length >= 28)
            {
                var bytes = new byte[16];
                Marshal.Copy(address + 8, bytes, 0, 16);
                return new IPEndPoint(new IPAddress(bytes, (uint)Marshal.ReadInt32(address, 24)), port);
            }
            return null; // not an IP socket: nothing this listener binds
        }
    }
}
