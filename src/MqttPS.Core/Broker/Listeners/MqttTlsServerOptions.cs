using System;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace MqttPS.Core.Broker.Listeners
{
    /// <summary>
    /// TLS settings of a listener (mosquitto's certfile/keyfile/cafile/require_certificate/use_identity_as_username).
    /// </summary>
    public sealed class MqttTlsServerOptions
    {
        /// <summary>The server certificate: a PFX/PKCS#12 file (with <see cref="CertificatePassword"/>) or a PEM file
        /// whose key is in <see cref="CertificateKeyPath"/> (or in the same file).</summary>
        public string CertificatePath { get; set; }
        public string CertificateKeyPath { get; set; }
        public string CertificatePassword { get; set; }

        /// <summary>A certificate with private key given directly; takes precedence over the paths.</summary>
        public X509Certificate2 Certificate { get; set; }

        /// <summary>Refuse clients that present no certificate, or one that does not chain to <see cref="ClientCaFile"/>.</summary>
        public bool RequireClientCertificate { get; set; }

        /// <summary>PEM (or DER) file of the certificate authorities trusted for client certificates. When unset,
        /// client certificates are checked against the operating system's trust store.</summary>
        public string ClientCaFile { get; set; }

        /// <summary>Use the client certificate's Common Name as the username, ignoring the CONNECT username
        /// (mosquitto's use_identity_as_username); such clients need no password.</summary>
        public bool UseIdentityAsUsername { get; set; }

        /// <summary>Like <see cref="UseIdentityAsUsername"/> with the whole subject ("CN=alice, O=lab") (mosquitto's use_subject_as_username).</summary>
        public bool UseSubjectAsUsername { get; set; }

        /// <summary>Protocols allowed; <see cref="SslProtocols.None"/> lets the operating system choose (TLS 1.2/1.3), or,
        /// where .NET Framework refuses that, TLS 1.2 and 1.3 (see <see cref="Transport.TlsProtocolSelection"/>).</summary>
        public SslProtocols Protocols { get; set; } = SslProtocols.None;

        /// <summary>A client that has not completed the TLS handshake within this time is disconnected.</summary>
        public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);
    }
}
