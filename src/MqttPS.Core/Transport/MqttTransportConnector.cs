using System;
using System.Collections.Generic;
using System.IO;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;

namespace MqttPS.Core.Transport
{
    /// <summary>
    /// Opens the byte stream to a broker: TCP (Nagle off, MQTT packets are small and latency matters), then TLS
    /// when the address asks for it, then the WebSocket handshake for ws:// and wss://. Cancelling the token
    /// aborts the attempt and releases the socket. Disposing the returned stream closes the socket.
    /// </summary>
    public static class MqttTransportConnector
    {
        public static async Task<Stream> ConnectAsync(MqttBrokerAddress address, MqttTlsOptions tls, CancellationToken cancellationToken)
        {
            if (address == null) throw new ArgumentNullException(nameof(address));
            cancellationToken.ThrowIfCancellationRequested();
            var tcp = new TcpClient { NoDelay = true };
            Stream stream = null;
            try
            {
                using (cancellationToken.Register(() => tcp.Dispose()))
                {
                    try
                    {
                        await tcp.ConnectAsync(address.Host, address.Port).ConfigureAwait(false);
                    }
                    catch (Exception) when (cancellationToken.IsCancellationRequested)
                    {
                        throw new OperationCanceledException(cancellationToken);
                    }
                }
                tcp.NoDelay = true;
                stream = new NetworkStream(tcp.Client, true);
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
                tcp.Dispose();
                throw;
            }
        }

        private static async Task<Stream> AuthenticateAsync(Stream inner, MqttBrokerAddress address, MqttTlsOptions tls, CancellationToken cancellationToken)
        {
            var validator = new ServerCertificateValidator(tls);
            var clientCertificate = PemCertificates.LoadClientCertificate(tls);
            var ssl = new SslStream(inner, false, validator.Validate, (sender, host, local, remote, issuers) => clientCertificate);
            var certificates = new X509CertificateCollection();
            if (clientCertificate != null) certificates.Add(clientCertificate);
            var serverName = string.IsNullOrEmpty(tls.ServerName) ? address.Host : tls.ServerName;
            try
            {
                // netstandard2.0 has no cancellable handshake: disposing the stream aborts it.
                using (cancellationToken.Register(() => ssl.Dispose()))
                {
                    await ssl.AuthenticateAsClientAsync(serverName, certificates, SslProtocols.None, tls.CheckCertificateRevocation).ConfigureAwait(false);
                }
                return ssl;
            }
            catch (Exception e)
            {
                ssl.Dispose();
                if (cancellationToken.IsCancellationRequested) throw new OperationCanceledException(cancellationToken);
                if (validator.FailureReason != null)
                    throw new AuthenticationException("TLS handshake with " + address + " failed: " + validator.FailureReason + ".", e);
                if (e is AuthenticationException || e is IOException)
                    throw new AuthenticationException("TLS handshake with " + address + " failed: " + e.Message +
                        (e.InnerException != null ? " (" + e.InnerException.Message + ")" : "") +
                        (clientCertificate == null ? " The broker may require a client certificate." : ""), e);
                throw;
            }
        }
    }
}
