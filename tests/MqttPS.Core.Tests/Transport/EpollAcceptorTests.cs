using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using MqttPS.Core.Transport.Epoll;
using Xunit;

namespace MqttPS.Core.Tests.Transport
{
    /// <summary>
    /// The epoll loop accepting connections itself (accept4 on the listening descriptor, no .NET Socket per
    /// connection): what the broker's TCP listener uses on Linux. Every broker test on Linux accepts this way too.
    /// </summary>
    public sealed class EpollAcceptorTests
    {
        private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

        [DllImport("libc", SetLastError = true)]
        private static extern int fcntl(int fd, int command);

        private static bool OnLinux => RuntimeInformation.IsOSPlatform(OSPlatform.Linux)
            && (RuntimeInformation.ProcessArchitecture == Architecture.X64 || RuntimeInformation.ProcessArchitecture == Architecture.Arm64);

        private sealed class Accepted
        {
            public int Fd;
            public EndPoint Remote;
            public string Thread;
        }

        private sealed class Listening : IDisposable
        {
            public Socket Socket;
            public EpollAcceptor Acceptor;
            public readonly BlockingCollection<Accepted> Connections = new BlockingCollection<Accepted>();
            public int Port => ((IPEndPoint)Socket.LocalEndPoint).Port;

            public static Listening Start(IPAddress address)
            {
                Assert.True(EpollEventLoop.IsSupported, "the epoll engine must be in use on Linux x64/arm64");
                var listening = new Listening { Socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) };
                if (address.Equals(IPAddress.IPv6Any)) listening.Socket.DualMode = true;
                listening.Socket.Bind(new IPEndPoint(address, 0));
                listening.Socket.Listen(512);
                listening.Acceptor = new EpollAcceptor(listening.Socket, EpollEventLoop.Next(),
                    (fd, remote) => listening.Connections.Add(new Accepted { Fd = fd, Remote = remote, Thread = System.Threading.Thread.CurrentThread.Name }));
                return listening;
            }

            public Accepted Next()
            {
                Assert.True(Connections.TryTake(out var accepted, Patience), "no connection accepted within " + Patience.TotalSeconds + " s");
                return accepted;
            }

            public void Dispose()
            {
                Acceptor.Stop();
                Socket.Dispose();
                // Whatever was accepted and not taken over by a test is closed here.
                while (Connections.TryTake(out var left)) new Socket(new SafeSocketHandle((IntPtr)left.Fd, ownsHandle: true)).Dispose();
            }
        }

        [Fact]
        public async Task A_connection_is_accepted_on_the_loop_as_a_non_blocking_descriptor_with_its_remote_endpoint_and_no_delay()
        {
            if (!OnLinux) return;
            using var listening = Listening.Start(IPAddress.Loopback);
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await client.ConnectAsync(IPAddress.Loopback, listening.Port);
            var accepted = listening.Next();
            Assert.StartsWith("MqttPS epoll", accepted.Thread);
            Assert.Equal(client.LocalEndPoint, accepted.Remote);
            using (var view = new Socket(new SafeSocketHandle((IntPtr)accepted.Fd, ownsHandle: false)))
            {
                Assert.True(view.NoDelay, "TCP_NODELAY on the accepted socket");
            }
            const int F_GETFL = 3, O_NONBLOCK = 0x800;
            Assert.True((fcntl(accepted.Fd, F_GETFL) & O_NONBLOCK) != 0, "the accepted descriptor is non-blocking");
            // The descriptor works as a stream both ways, and the stream closes it.
            using var stream = new EpollSocketStream(accepted.Fd, EpollEventLoop.Next());
            await client.SendAsync(new byte[] { 1, 2, 3 }, SocketFlags.None);
            var buffer = new byte[8];
            var read = stream.ReadAsync(buffer, 0, buffer.Length);
            Assert.True(await Task.WhenAny(read, Task.Delay(Patience)) == read, "read did not complete");
            Assert.Equal(3, await read);
            await stream.WriteAsync(new byte[] { 7 }, 0, 1);
            Assert.Equal(1, await client.ReceiveAsync(new ArraySegment<byte>(buffer), SocketFlags.None));
            stream.ShutdownSend();
            Assert.Equal(0, await client.ReceiveAsync(new ArraySegment<byte>(buffer), SocketFlags.None));
        }

        [Fact]
        public async Task A_burst_of_connections_bigger_than_one_wake_up_is_accepted_whole()
        {
            if (!OnLinux) return;
            using var listening = Listening.Start(IPAddress.Loopback);
            const int count = 300; // more than the 64 accepts of one wake-up: the rest must come in later ones
            var clients = new List<Socket>();
            try
            {
                for (var i = 0; i < count; i++)
                {
                    var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                    clients.Add(client);
                    await client.ConnectAsync(IPAddress.Loopback, listening.Port);
                }
                var remotes = new HashSet<EndPoint>();
                for (var i = 0; i < count; i++)
                {
                    var accepted = listening.Next();
                    remotes.Add(accepted.Remote);
                    new Socket(new SafeSocketHandle((IntPtr)accepted.Fd, ownsHandle: true)).Dispose();
                }
                Assert.Equal(clients.Select(c => c.LocalEndPoint).ToHashSet(), remotes);
                Assert.Equal(count, listening.Acceptor.Accepts);
            }
            finally
            {
                foreach (var c in clients) c.Dispose();
            }
        }

        [Fact]
        public async Task An_IPv4_client_of_a_dual_mode_listener_is_reported_as_an_IPv4_mapped_address()
        {
            if (!OnLinux || !Socket.OSSupportsIPv6) return;
            using var listening = Listening.Start(IPAddress.IPv6Any);
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await client.ConnectAsync(IPAddress.Loopback, listening.Port);
            var remote = (IPEndPoint)listening.Next().Remote;
            // As .NET's own AcceptAsync reports it for a dual-mode socket.
            Assert.Equal(AddressFamily.InterNetworkV6, remote.AddressFamily);
            Assert.True(remote.Address.IsIPv4MappedToIPv6);
            Assert.Equal(IPAddress.Loopback, remote.Address.MapToIPv4());
            Assert.Equal(((IPEndPoint)client.LocalEndPoint).Port, remote.Port);
        }

        [Fact]
        public async Task After_Stop_nothing_more_is_accepted_and_the_listening_socket_can_close()
        {
            if (!OnLinux) return;
            var listening = Listening.Start(IPAddress.Loopback);
            var port = listening.Port;
            listening.Dispose();
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            var refused = await Assert.ThrowsAsync<SocketException>(() => client.ConnectAsync(IPAddress.Loopback, port));
            Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
            Assert.Equal(0, listening.Connections.Count);
        }
    }
}
