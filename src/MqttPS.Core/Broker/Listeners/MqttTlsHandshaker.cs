using System;
using System.IO;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;
using MqttPS.Core.Transport;

namespace MqttPS.Core.Broker.Listeners
{
    /// <summary>
    /// Server side of TLS for one listener: loads the certificate once, then turns each accepted stream into an
    /// authenticated SslStream within <see cref="MqttListenerOptions.HandshakeTimeout"/>, validating client
    /// certificates and deriving the identity used as username.
    /// </summary>
    public sealed class MqttTlsHandshaker
    {
        private readonly MqttListenerOptions _options;
        private readonly X509Certificate2 _certificate;
        private readonly ClientCertificateValidator _validator;
        private readonly SslProtocols _protocols;

        public MqttTlsHandshaker(MqttListenerOptions options)
        {
            _options = options ?? throw new ArgumentNullException(nameof(options));
            if (options.Certificate == null && string.IsNullOrEmpty(options.CertificatePath))
                throw new ArgumentException("a TLS listener needs a server certificate (CertificatePath or Certificate)");
            _certificate = PemCertificates.LoadWithPrivateKey("server", options.Certificate, options.CertificatePath, options.CertificateKeyPath, options.CertificatePassword);
            _validator = new ClientCertificateValidator(options);
            _protocols = TlsProtocolSelection.Choose(options.TlsProtocols);
            // Explicit versions the system does not offer would fail every handshake: say so once, at start.
            if (options.TlsProtocols != SslProtocols.None && !TlsProtocolSelection.IsAccepted(_protocols))
                throw new NotSupportedException("This system does not offer " + TlsProtocolSelection.Describe(_protocols) +
                    " for TLS: choose other versions, or enable them in the operating system.");
        }

        public X509Certificate2 ServerCertificate => _certificate;

        /// <summary>Performs the handshake; throws AuthenticationException (with the reason) or TimeoutException and
        /// disposes <paramref name="inner"/> on failure.</summary>
        public async Task<MqttSecureConnection> AuthenticateAsync(Stream inner, CancellationToken cancellationToken)
        {
            string failure = null;
            var ssl = new SslStream(inner, false, (sender, certificate, chain, errors) =>
            {
                var ok = _validator.Validate(sender, certificate, chain, errors);
                if (!ok) failure = _validator.LastFailure;
                return ok;
            });
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                timeout.CancelAfter(_options.HandshakeTimeout);
                // Disposing the stream is what aborts a pending handshake on netstandard2.0 (no cancellable overload).
                using (timeout.Token.Register(() => ssl.Dispose()))
                {
                    try
                    {
                        await ssl.AuthenticateAsServerAsync(_certificate, clientCertificateRequired: _options.RequireClientCertificate || _options.ClientCaFile != null || _options.ClientCaDirectory != null,
                            enabledSslProtocols: _protocols, checkCertificateRevocation: false).ConfigureAwait(false);
                    }
                    catch (Exception e) when (!(e is AuthenticationException) || failure != null)
                    {
                        ssl.Dispose();
                        if (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                            throw new TimeoutException("the TLS handshake did not complete within " + _options.HandshakeTimeout.TotalSeconds + " s");
                        if (failure != null) throw new AuthenticationException("TLS client refused: " + failure, e);
                        throw;
                    }
                    catch (AuthenticationException)
                    {
                        ssl.Dispose();
                        throw;
                    }
                }
            }
            var clientCertificate = ssl.RemoteCertificate == null ? null : ssl.RemoteCertificate as X509Certificate2 ?? new X509Certificate2(ssl.RemoteCertificate);
            string identity = null;
            if (clientCertificate != null)
            {
                if (_options.UseSubjectAsUsername) identity = clientCertificate.Subject;
                else if (_options.UseIdentityAsUsername) identity = clientCertificate.GetNameInfo(X509NameType.SimpleName, false);
            }
            if (identity == null && (_options.UseIdentityAsUsername || _options.UseSubjectAsUsername) && _options.RequireClientCertificate)
            {
                ssl.Dispose();
                throw new AuthenticationException("TLS client refused: the listener takes the username from the client certificate, and the client sent none");
            }
            return new MqttSecureConnection(ssl, clientCertificate, identity);
        }
    }
}
