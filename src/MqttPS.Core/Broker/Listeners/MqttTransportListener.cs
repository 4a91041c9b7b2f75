using System;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using MqttPS.Core.Transport;

namespace MqttPS.Core.Broker.Listeners
{
    /// <summary>
    /// A TCP listener that upgrades each accepted socket before handing it to the broker: TLS (<see cref="MqttListenerKind.Tls"/>),
    /// a WebSocket handshake with subprotocol "mqtt" (<see cref="MqttListenerKind.WebSocket"/>), or both
    /// (<see cref="MqttListenerKind.SecureWebSocket"/>). Upgrades run per connection, never in the accept loop, and are
    /// bounded by a handshake timeout, so a client that connects and stays silent costs one socket for that long.
    /// </summary>
    public sealed class MqttTransportListener : IMqttBrokerListener
    {
        private static readonly string[] SubProtocols = { WebSocketHandshake.MqttSubProtocol, "mqttv3.1" };

        private readonly MqttListenerKind _kind;
        private readonly IPAddress _address;
        private readonly int _port;
        private readonly string _path;
        private readonly MqttTlsHandshaker _tls;
        private readonly TimeSpan _handshakeTimeout;
        private Socket _socket;
        private CancellationTokenSource _stop;
        private Task _acceptLoop;
        private long _handshakeFailures;

        public MqttTransportListener(MqttListenerKind kind, IPAddress address, int port, MqttTlsServerOptions tls = null, string path = "/mqtt")
        {
            if (port < 0 || port > 65535) throw new ArgumentOutOfRangeException(nameof(port), port, "a TCP port is 0..65535");
            _kind = kind;
            _address = address ?? IPAddress.Any;
            _port = port;
            _path = string.IsNullOrEmpty(path) ? "/mqtt" : path;
            var secure = kind == MqttListenerKind.Tls || kind == MqttListenerKind.SecureWebSocket;
            if (secure)
            {
                if (tls == null) throw new ArgumentException(kind + " listener needs TLS options (a server certificate)", nameof(tls));
                _tls = new MqttTlsHandshaker(tls);
            }
            _handshakeTimeout = tls?.HandshakeTimeout ?? TimeSpan.FromSeconds(10);
        }

        /// <summary>Builds the listener an <see cref="MqttListenerOptions"/> entry describes.</summary>
        public static MqttTransportListener FromOptions(MqttListenerOptions options)
        {
            MqttTlsServerOptions tls = null;
            if (options.Kind == MqttListenerKind.Tls || options.Kind == MqttListenerKind.SecureWebSocket)
            {
                tls = new MqttTlsServerOptions
                {
                    CertificatePath = options.CertificatePath,
                    CertificateKeyPath = options.CertificateKeyPath,
                    CertificatePassword = options.CertificatePassword,
                    Certificate = options.Certificate,
                    RequireClientCertificate = options.RequireClientCertificate,
                    ClientCaFile = options.ClientCaFile,
                    UseIdentityAsUsername = options.UseIdentityAsUsername,
                    UseSubjectAsUsername = options.UseSubjectAsUsername,
                };
            }
            return new MqttTransportListener(options.Kind, options.BindAddress, options.Port, tls, options.Path);
        }

        public string Name => KindName + " " + (LocalEndPoint?.ToString() ?? _address + ":" + _port);
        public IPEndPoint LocalEndPoint { get; private set; }

        /// <summary>Connections closed because their TLS or WebSocket handshake failed or timed out.</summary>
        public long HandshakeFailures => Interlocked.Read(ref _handshakeFailures);

        /// <summary>Why the most recent handshake failed (for logs), or null.</summary>
        public string LastHandshakeFailure { get; private set; }

        /// <summary>Raised (on a network thread) when a connection is closed because its TLS or WebSocket handshake
        /// failed or timed out: the remote endpoint and the reason. The broker turns it into a ClientDisconnected event.</summary>
        public event Action<EndPoint, string> HandshakeFailed;

        private string KindName
        {
            get
            {
                switch (_kind)
                {
                    case MqttListenerKind.Tls: return "tls";
                    case MqttListenerKind.WebSocket: return "ws";
                    case MqttListenerKind.SecureWebSocket: return "wss";
                    default: return "tcp";
                }
            }
        }

        public Task StartAsync(Func<MqttAcceptedConnection, Task> accepted, CancellationToken cancellationToken)
        {
            var socket = new Socket(_address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                if (_address.AddressFamily == AddressFamily.InterNetworkV6 && _address.Equals(IPAddress.IPv6Any)) socket.DualMode = true;
                socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                socket.Bind(new IPEndPoint(_address, _port));
                socket.Listen(1024);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
            _socket = socket;
            LocalEndPoint = (IPEndPoint)socket.LocalEndPoint;
            _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            _acceptLoop = AcceptLoopAsync(accepted, _stop.Token);
            return Task.CompletedTask;
        }

        private async Task AcceptLoopAsync(Func<MqttAcceptedConnection, Task> accepted, CancellationToken ct)
        {
            while (!ct.IsCancellationRequested)
            {
                Socket client;
                try { client = await _socket.AcceptAsync().ConfigureAwait(false); }
                catch (ObjectDisposedException) { return; }
                catch (SocketException) when (ct.IsCancellationRequested) { return; }
                catch (SocketException) { continue; }
                _ = UpgradeAsync(client, accepted, ct);
            }
        }

        private async Task UpgradeAsync(Socket client, Func<MqttAcceptedConnection, Task> accepted, CancellationToken ct)
        {
            Stream stream = null;
            EndPoint remote = null;
            try
            {
                client.NoDelay = true;
                remote = client.RemoteEndPoint;
                stream = new NetworkStream(client, ownsSocket: true);
                MqttSecureConnection secure = null;
                if (_tls != null)
                {
                    secure = await _tls.AuthenticateAsync(stream, ct).ConfigureAwait(false);
                    stream = secure.Stream;
                }
                if (_kind == MqttListenerKind.WebSocket || _kind == MqttListenerKind.SecureWebSocket)
                {
                    using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
                    {
                        timeout.CancelAfter(_handshakeTimeout);
                        var inner = stream;
                        using (timeout.Token.Register(() => inner.Dispose()))
                        {
                            var handshake = await WebSocketHandshake.AcceptAsync(stream, SubProtocols, timeout.Token).ConfigureAwait(false);
                            if (!string.Equals(handshake.Path.Split('?')[0], _path, StringComparison.Ordinal))
                            {
                                await handshake.Stream.CloseAsync(1008, ct).ConfigureAwait(false);
                                throw new MqttWebSocketException("WebSocket path '" + handshake.Path + "' is not served here (this listener serves '" + _path + "')");
                            }
                            stream = handshake.Stream;
                        }
                    }
                }
                var connection = new MqttAcceptedConnection(stream, remote, Name, client.Dispose)
                {
                    ClientCertificate = secure?.ClientCertificate,
                    CertificateIdentity = secure?.ClientIdentity,
                };
                // Not awaited: the broker runs the connection from here on (as the TCP listener does).
                _ = accepted(connection);
            }
            catch (Exception e)
            {
                LastHandshakeFailure = e.Message;
                Interlocked.Increment(ref _handshakeFailures);
                try { HandshakeFailed?.Invoke(remote, e.Message); } catch (Exception) { /* an observer must not break the listener */ }
                try { stream?.Dispose(); } catch (Exception) { }
                client.Dispose();
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
