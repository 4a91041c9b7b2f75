using System;
using System.Runtime.InteropServices;

namespace MqttPS.Core.Transport.Epoll
{
    /// <summary>
    /// The few Linux system calls the epoll engine needs. Only called after <see cref="EpollEventLoop.IsSupported"/>
    /// has checked the platform, so the assembly stays loadable everywhere (netstandard2.0, Windows PowerShell).
    /// </summary>
    internal static class LinuxSocketCalls
    {
        internal const int EINTR = 4;
        internal const int EAGAIN = 11; // also EWOULDBLOCK; the same number on x86-64 and arm64
        internal const int ENOMEM = 12;
        internal const int EMFILE = 24;
        internal const int ENFILE = 23;
        internal const int ENOBUFS = 105;

        internal const int AF_INET = 2;
        internal const int AF_INET6 = 10;
        internal const int SOCK_NONBLOCK = 0x800;
        internal const int SOCK_CLOEXEC = 0x80000;
        internal const int IPPROTO_TCP = 6;
        internal const int TCP_NODELAY = 1;
        internal const int SHUT_WR = 1;

        internal const uint EPOLLIN = 0x001;
        internal const uint EPOLLOUT = 0x004;
        internal const uint EPOLLERR = 0x008;
        internal const uint EPOLLHUP = 0x010;
        internal const uint EPOLLRDHUP = 0x2000;
        internal const uint EPOLLET = 0x80000000;

        internal const int EPOLL_CTL_ADD = 1;
        internal const int EPOLL_CTL_DEL = 2;
        internal const int EPOLL_CLOEXEC = 0x80000;

        internal const int PR_SET_TIMERSLACK = 29;

        internal const int MSG_PEEK = 0x02;
        internal const int MSG_DONTWAIT = 0x40;
        internal const int MSG_NOSIGNAL = 0x4000;

        [DllImport("libc", SetLastError = true)]
        internal static extern int epoll_create1(int flags);

        /// <summary><paramref name="ev"/> points at one struct epoll_event (see <see cref="EpollEventLoop"/> for its
        /// layout, which differs between x86-64 and arm64).</summary>
        [DllImport("libc", SetLastError = true)]
        internal static extern int epoll_ctl(int epfd, int op, int fd, IntPtr ev);

        [DllImport("libc", SetLastError = true)]
        internal static extern int epoll_wait(int epfd, IntPtr events, int maxevents, int timeout);

        [DllImport("libc", SetLastError = true)]
        internal static extern IntPtr recv(int fd, ref byte buffer, IntPtr length, int flags);

        [DllImport("libc", SetLastError = true)]
        internal static extern IntPtr send(int fd, ref byte buffer, IntPtr length, int flags);

        /// <summary><paramref name="address"/> receives a struct sockaddr_in or sockaddr_in6 (up to <paramref name="length"/>
        /// bytes, updated to the real length).</summary>
        [DllImport("libc", SetLastError = true)]
        internal static extern int accept4(int fd, IntPtr address, ref int length, int flags);

        [DllImport("libc", SetLastError = true)]
        internal static extern int setsockopt(int fd, int level, int name, ref int value, int length);

        [DllImport("libc", SetLastError = true)]
        internal static extern int shutdown(int fd, int how);

        [DllImport("libc", SetLastError = true)]
        internal static extern int close(int fd);

        [DllImport("libc", SetLastError = true)]
        internal static extern int nanosleep(IntPtr request, IntPtr remaining);

        [DllImport("libc", SetLastError = true)]
        internal static extern int prctl(int option, IntPtr arg2, IntPtr arg3, IntPtr arg4, IntPtr arg5);

        internal static string ErrorName(int errno)
        {
            switch (errno)
            {
                case 9: return "EBADF";
                case 12: return "ENOMEM";
                case 23: return "ENFILE";
                case 24: return "EMFILE";
                case 105: return "ENOBUFS";
                case 32: return "EPIPE";
                case 104: return "ECONNRESET";
                case 110: return "ETIMEDOUT";
                case 113: return "EHOSTUNREACH";
                default: return "errno " + errno;
            }
        }
    }
}
