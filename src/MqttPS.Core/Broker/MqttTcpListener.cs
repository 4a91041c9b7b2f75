using System;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using MqttPS.Core.Transport.Epoll;

namespace MqttPS.Core.Broker
{
    /// <summary>Plain TCP listener: IPv4, IPv6 (dual-mode on IPv6Any), port 0 = any free port.</summary>
    public sealed class MqttTcpListener : IMqttBrokerListener
    {
        private readonly IPAddress _address;
        private readonly int _port;
        private Socket _socket;
        private Task _acceptLoop;
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
        private bool _useEpoll;

        public Task StartAsync(Func<MqttAcceptedConnection, Task> accepted, CancellationToken cancellationToken)
        {
            var socket = new Socket(_address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                if (_address.AddressFamily == AddressFamily.InterNetworkV6 && _address.Equals(IPAddress.IPv6Any))
                    socket.DualMode = true;
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
            _acceptLoop = AcceptLoopAsync(accepted, _stop.Token);
            return Task.CompletedTask;
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
                    // Both streams own the socket: closing the stream closes the socket (no OnClose delegate per
                    // connection). The epoll stream writes to the socket first by itself, so it is not StreamIsSocket.
                    var connection = _useEpoll
                        ? new MqttAcceptedConnection(new EpollSocketStream(client, EpollEventLoop.Next()), remote, Name, null, client)
                        : new MqttAcceptedConnection(new NetworkStream(client, ownsSocket: true), remote, Name, null, client) { StreamIsSocket = true };
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
            _socket?.Dispose();
            if (_acceptLoop != null)
            {
                try { await _acceptLoop.ConfigureAwait(false); } catch (Exception) { }
            }
        }

        public void Dispose()
        {
            _stop?.Cancel();
            _socket?.Dispose();
        }
    }
}
