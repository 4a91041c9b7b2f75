using System;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;

namespace MqttPS.Core.Transport
{
    /// <summary>
    /// Opens the byte stream to a broker: TCP over IPv6 or IPv4 (Nagle off, MQTT packets are small and latency
    /// matters), then TLS when the address asks for it, then the WebSocket handshake for ws:// and wss://. Cancelling the token
    /// aborts the attempt and releases the socket. Disposing the returned stream closes the socket.
    /// </summary>
    public static class MqttTransportConnector
    {
        public static async Task<Stream> ConnectAsync(MqttBrokerAddress address, MqttTlsOptions tls, CancellationToken cancellationToken)
        {
            if (address == null) throw new ArgumentNullException(nameof(address));
            cancellationToken.ThrowIfCancellationRequested();
            var socket = await ConnectSocketAsync(address.Host, address.Port, cancellationToken).ConfigureAwait(false);
            Stream stream = null;
            try
            {
                stream = new NetworkStream(socket, true);
                if (address.UsesTls) stream = await AuthenticateAsync(stream, address, tls ?? new MqttTlsOptions(), cancellationToken).ConfigureAwait(false);
                if (address.UsesWebSocket)
                {
                    var host = address.HostForUri + ((address.Kind == MqttTransportKind.WebSocket && address.Port == 80) || (address.Kind == MqttTransportKind.SecureWebSocket && address.Port == 443) ? "" : ":" + address.Port);
                    var inner = stream;
                    using (cancellationToken.Register(() => inner.Dispose()))
                    {
                        try { stream = await WebSocketHandshake.ConnectAsync(stream, host, address.Path, WebSocketHandshake.MqttSubProtocol, cancellationToken).ConfigureAwait(false); }
                        catch (Exception) when (cancellationToken.IsCancellationRequested) { throw new OperationCanceledException(cancellationToken); }
                    }
                }
                return stream;
            }
            catch
            {
                if (stream != null) stream.Dispose();
                socket.Dispose();
                throw;
            }
        }

        /// <summary>
        /// A connected TCP socket (Nagle off) to <paramref name="host"/>: an IP literal, or a name whose addresses are
        /// tried in the resolver's order (IPv6 and IPv4) until one accepts. Each attempt has a socket of the address's
        /// own family; .NET Framework's parameterless TcpClient, used before, was IPv4-only and could not reach an
        /// IPv6 broker at all. IPv6 addresses are skipped where the system has no IPv6. When every address fails, the
        /// last failure is thrown.
        /// </summary>
        public static async Task<Socket> ConnectSocketAsync(string host, int port, CancellationToken cancellationToken)
        {
            if (host == null) throw new ArgumentNullException(nameof(host));
            IPAddress[] addresses;
            if (IPAddress.TryParse(host, out var literal)) addresses = new[] { literal };
            else
            {
                try { addresses = await Dns.GetHostAddressesAsync(host).ConfigureAwait(false); }
                catch (Exception) when (cancellationToken.IsCancellationRequested) { throw new OperationCanceledException(cancellationToken); }
                cancellationToken.ThrowIfCancellationRequested();
            }
            return await ConnectAnyAsync(addresses, port, cancellationToken).ConfigureAwait(false);
        }

        /// <summary>Tries <paramref name="addresses"/> in order; the first that accepts wins.</summary>
        internal static async Task<Socket> ConnectAnyAsync(IPAddress[] addresses, int port, CancellationToken cancellationToken)
        {
            Exception last = null;
            foreach (var address in addresses)
            {
                if (address.AddressFamily == AddressFamily.InterNetworkV6 && !Socket.OSSupportsIPv6) continue;
                if (address.AddressFamily != AddressFamily.InterNetworkV6 && address.AddressFamily != AddressFamily.InterNetwork) continue;
                Socket socket = null;
                try
                {
                    socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                    using (cancellationToken.Register(() => socket.Dispose()))
                    {
                        await socket.ConnectAsync(address, port).ConfigureAwait(false);
                    }
                    cancellationToken.ThrowIfCancellationRequested();
                    return socket;
                }
                catch (Exception) when (cancellationToken.IsCancellationRequested)
                {
                    socket?.Dispose();
                    throw new OperationCanceledException(cancellationToken);
                }
                catch (SocketException e)
                {
                    // Refused, unreachable, or no such protocol here (IPv6 switched off): the next address may do.
                    socket?.Dispose();
                    last = e;
                }
            }
            throw last ?? new SocketException((int)SocketError.HostNotFound);
        }

        private static async Task<Stream> AuthenticateAsync(Stream inner, MqttBrokerAddress address, MqttTlsOptions tls, CancellationToken cancellationToken)
        {
            var validator = new ServerCertificateValidator(tls);
            var clientCertificate = PemCertificates.LoadClientCertificate(tls);
            var ssl = new SslStream(inner, false, validator.Validate, (sender, host, local, remote, issuers) => clientCertificate);
            var certificates = new X509CertificateCollection();
            if (clientCertificate != null) certificates.Add(clientCertificate);
            var serverName = string.IsNullOrEmpty(tls.ServerName) ? address.Host : tls.ServerName;
            var protocols = TlsProtocolSelection.Choose(tls.Protocols);
            try
            {
                // netstandard2.0 has no cancellable handshake: disposing the stream aborts it.
                using (cancellationToken.Register(() => ssl.Dispose()))
                {
                    await ssl.AuthenticateAsClientAsync(serverName, certificates, protocols, tls.CheckCertificateRevocation).ConfigureAwait(false);
                }
                return ssl;
            }
            catch (Exception e)
            {
                ssl.Dispose();
                if (cancellationToken.IsCancellationRequested) throw new OperationCanceledException(cancellationToken);
                if (e is ArgumentException || e is NotSupportedException)
                    throw new AuthenticationException("TLS with " + address + " could not start: this system does not offer " + TlsProtocolSelection.Describe(protocols) +
                        " (" + e.Message.Trim() + "). Choose other versions (-TlsProtocol), or enable them in the operating system.", e);
                var clientCertificateSent = clientCertificate != null;
                if (validator.FailureReason != null)
                    throw new MqttTlsHandshakeException("TLS handshake with " + address + " failed: " + validator.FailureReason + ".", e,
                        validator.Failure, validator.ServerCertificateSubject, clientCertificateSent);
                if (e is AuthenticationException || e is IOException)
                {
                    // A server that closed the connection (end of stream, no TLS alert) before presenting a certificate most
                    // likely does not speak TLS on this port; one that presented one and then failed the handshake most
                    // likely wants a (different) client certificate. A TLS alert before the certificate (e.g. no common
                    // TLS version) is neither.
                    var failure = validator.Called ? MqttTlsFailure.FailedAfterCertificate
                        : e is IOException ? MqttTlsFailure.ClosedBeforeCertificate : MqttTlsFailure.Other;
                    throw new MqttTlsHandshakeException("TLS handshake with " + address + " failed: " + e.Message +
                        (e.InnerException != null ? " (" + e.InnerException.Message + ")" : "") +
                        (protocols != SslProtocols.None ? " The client offered " + TlsProtocolSelection.Describe(protocols) + "." : "") +
                        (failure == MqttTlsFailure.ClosedBeforeCertificate ? " The server closed the connection before presenting a certificate: the port may not speak TLS."
                            : failure == MqttTlsFailure.Other ? ""
                            : clientCertificate == null ? " The broker may require a client certificate." : " The broker may not accept the client certificate."),
                        e, failure, validator.ServerCertificateSubject, clientCertificateSent);
                }
                throw;
            }
        }
    }
}
