using System;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using MqttPS.Core.Transport;
using MqttPS.Core.Transport.Epoll;

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
        private readonly MqttListenerOptions _options;
        private readonly MqttTlsHandshaker _tls;
        private readonly TimeSpan _handshakeTimeout;
        private readonly MqttTcpListener _tcp;
        private CancellationTokenSource _stop;
        private long _handshakeFailures;

        /// <summary>A listener for <paramref name="options"/> (a TLS kind needs its server certificate there).</summary>
        public MqttTransportListener(MqttListenerOptions options)
        {
            if (options == null) throw new ArgumentNullException(nameof(options));
            if (options.Port < 0 || options.Port > 65535) throw new ArgumentOutOfRangeException(nameof(options), options.Port, "a TCP port is 0..65535");
            _kind = options.Kind;
            _address = options.BindAddress ?? IPAddress.Any;
            _port = options.Port;
            _options = options;
            _tcp = new MqttTcpListener(_address, _port) { Listener = options };
            _path = string.IsNullOrEmpty(options.Path) ? null : options.Path;
            if (options.IsSecure) _tls = new MqttTlsHandshaker(options);
            _handshakeTimeout = options.HandshakeTimeout;
        }

        public string Name => KindName + " " + (LocalEndPoint?.ToString() ?? _address + ":" + _port);
        public IPEndPoint LocalEndPoint => _tcp.LocalEndPoint;

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
            // The socket work (bind, accept loop, stop) is the TCP listener's; this one only upgrades what it accepts.
            _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var token = _stop.Token;
            return _tcp.StartAsync(raw => StartUpgrade(raw, accepted, token), cancellationToken);
        }

        /// <summary>
        /// Upgrades on the thread pool: the TCP listener may hand the connection over on its socket loop's thread, where
        /// nothing may block, and a handshake can (certificate chains, the private-key operation, a client certificate
        /// validated against the CA file). The raw socket's wake-ups go to the thread pool until the upgrade is done;
        /// afterwards the connection runs inline on the loop like a plain TCP one (encryption and framing only compute).
        /// </summary>
        private Task StartUpgrade(MqttAcceptedConnection raw, Func<MqttAcceptedConnection, Task> accepted, CancellationToken ct)
        {
            var epoll = raw.Stream as EpollSocketStream;
            if (epoll == null) return UpgradeAsync(raw, accepted, ct);
            epoll.CompletesInline = false;
            return Task.Run(() => UpgradeAsync(raw, accepted, ct));
        }

        private async Task UpgradeAsync(MqttAcceptedConnection raw, Func<MqttAcceptedConnection, Task> accepted, CancellationToken ct)
        {
            var stream = raw.Stream;
            var remote = raw.RemoteEndPoint;
            try
            {
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
                            if (_path != null && !string.Equals(handshake.Path.Split('?')[0], _path, StringComparison.Ordinal))
                            {
                                await handshake.Stream.CloseAsync(1008, ct).ConfigureAwait(false);
                                throw new MqttWebSocketException("WebSocket path '" + handshake.Path + "' is not served here (this listener serves '" + _path + "')");
                            }
                            stream = handshake.Stream;
                        }
                    }
                }
                // The upgraded stream may not own the raw one: closing the connection closes the raw stream, and with
                // it the socket (the TCP listener's stream owns its socket).
                var connection = new MqttAcceptedConnection(stream, remote, Name, raw.Stream.Dispose)
                {
                    ClientCertificate = secure?.ClientCertificate,
                    CertificateIdentity = secure?.ClientIdentity,
                    Listener = _options,
                };
                if (raw.Stream is EpollSocketStream epoll) epoll.CompletesInline = EpollEventLoop.InlineCompletions;
                // Not awaited: the broker runs the connection from here on (as the TCP listener does).
                _ = accepted(connection);
            }
            catch (Exception e)
            {
                LastHandshakeFailure = e.Message;
                Interlocked.Increment(ref _handshakeFailures);
                try { HandshakeFailed?.Invoke(remote, e.Message); } catch (Exception) { /* an observer must not break the listener */ }
                try { stream.Dispose(); } catch (Exception) { }
                try { raw.Stream.Dispose(); } catch (Exception) { }
            }
        }

        public async Task StopAsync()
        {
            _stop?.Cancel();
            await _tcp.StopAsync().ConfigureAwait(false);
        }

        public void Dispose()
        {
            _stop?.Cancel();
            _tcp.Dispose();
        }
    }
}
