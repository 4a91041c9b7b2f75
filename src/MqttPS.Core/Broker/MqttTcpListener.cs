using System;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using MqttPS.Core.Transport.Epoll;

namespace MqttPS.Core.Broker
{
    /// <summary>Plain TCP listener: IPv4, IPv6 (dual-mode on IPv6Any), port 0 = any free port. On the Linux epoll
    /// engine the loop accepts connections itself (<see cref="EpollAcceptor"/>); elsewhere .NET's AcceptAsync does.</summary>
    public sealed class MqttTcpListener : IMqttBrokerListener
    {
        private readonly IPAddress _address;
        private readonly int _port;
        private Socket _socket;
        private Task _acceptLoop;
        private EpollAcceptor _acceptor;
        private CancellationTokenSource _stop;
        private string _name;

        public MqttTcpListener(IPAddress address, int port)
        {
            _address = address ?? IPAddress.Any;
            if (port < 0 || port > 65535) throw new ArgumentOutOfRangeException(nameof(port), port, "a TCP port is 0..65535");
            _port = port;
        }

        /// <summary>Built once when bound: every accepted connection carries it, and idle connections should not each
        /// hold their own copy.</summary>
        public string Name => _name ?? "tcp " + _address + ":" + _port;
        public IPEndPoint LocalEndPoint { get; private set; }

        /// <summary>Whether accepted sockets run on the Linux epoll engine (<see cref="EpollEventLoop"/>) or on .NET's
        /// NetworkStream; null (the default): the epoll engine wherever it is supported.</summary>
        internal bool? UseEpoll { get; set; }

        /// <summary>The options this listener was made from: handed on with every accepted connection (per-listener
        /// settings) and asked whether an IPv6 wildcard listener takes IPv4 clients too.</summary>
        public MqttListenerOptions Listener { get; set; }
        private bool _useEpoll;

        public Task StartAsync(Func<MqttAcceptedConnection, Task> accepted, CancellationToken cancellationToken)
        {
            var socket = new Socket(_address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                if (_address.AddressFamily == AddressFamily.InterNetworkV6 && _address.Equals(IPAddress.IPv6Any))
                    socket.DualMode = Listener == null || !Listener.IPv6Only;
                // No ReuseAddress: on Linux .NET maps it to SO_REUSEPORT as well, which would let a second broker bind
                // the same port silently. (.NET already allows rebinding over TIME_WAIT connections on Unix.)
                socket.Bind(new IPEndPoint(_address, _port));
                socket.Listen(1024);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                throw new SocketException((int)e.SocketErrorCode);
            }
            _socket = socket;
            _useEpoll = UseEpoll ?? EpollEventLoop.IsSupported;
            LocalEndPoint = (IPEndPoint)socket.LocalEndPoint;
            _name = "tcp " + LocalEndPoint;
            _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            if (_useEpoll)
            {
                try
                {
                    _acceptor = new EpollAcceptor(socket, EpollEventLoop.Next(), (fd, remote) => OnAccepted(fd, remote, accepted));
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            }
            else _acceptLoop = AcceptLoopAsync(accepted, _stop.Token);
            return Task.CompletedTask;
        }

        /// <summary>A connection accepted on the epoll loop's thread: its stream runs on a loop (round robin), and the
        /// broker starts it right here, so a CONNECT already waiting is read without any thread hop.</summary>
        private void OnAccepted(int fd, EndPoint remote, Func<MqttAcceptedConnection, Task> accepted)
        {
            EpollSocketStream stream = null;
            try
            {
                stream = new EpollSocketStream(fd, EpollEventLoop.Next());
                var connection = new MqttAcceptedConnection(stream, remote, Name) { Listener = Listener };
                if (EpollEventLoop.InlineCompletions) _ = accepted(connection);
                else ThreadPool.QueueUserWorkItem(_ => accepted(connection));
            }
            catch (Exception)
            {
                // The stream closes the descriptor itself when it could not take it over.
                stream?.Dispose();
            }
        }

        private async Task AcceptLoopAsync(Func<MqttAcceptedConnection, Task> accepted, CancellationToken ct)
        {
            while (!ct.IsCancellationRequested)
            {
                Socket client;
                try
                {
                    client = await _socket.AcceptAsync().ConfigureAwait(false);
                }
                catch (ObjectDisposedException) { return; }
                catch (SocketException) when (ct.IsCancellationRequested) { return; }
                catch (SocketException) { continue; } // e.g. the peer reset before accept completed
                try
                {
                    client.NoDelay = true;
                    var remote = client.RemoteEndPoint;
                    // The stream owns the socket: closing the stream closes the socket (no OnClose delegate per connection).
                    var connection = new MqttAcceptedConnection(new NetworkStream(client, ownsSocket: true), remote, Name, null, client) { StreamIsSocket = true, Listener = Listener };
                    // Not awaited: each connection runs on its own; the accept loop only hands it over.
                    _ = accepted(connection);
                }
                catch (Exception)
                {
                    client.Dispose();
                }
            }
        }

        public async Task StopAsync()
        {
            _stop?.Cancel();
            // Before the socket closes: its descriptor number could otherwise be reused under the acceptor.
            _acceptor?.Stop();
            _socket?.Dispose();
            if (_acceptLoop != null)
            {
                try { await _acceptLoop.ConfigureAwait(false); } catch (Exception) { }
            }
        }

        public void Dispose()
        {
            _stop?.Cancel();
            _acceptor?.Stop();
            _socket?.Dispose();
        }
    }
}
