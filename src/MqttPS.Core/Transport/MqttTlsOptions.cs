using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace MqttPS.Core.Transport
{
    /// <summary>
    /// TLS settings of a client connection (mqtts:// and wss://).
    /// <para>Server validation: by default the server certificate must chain to the system trust store and match
    /// the host name. With <see cref="CaFile"/> it must instead chain to one of the certificates in that file
    /// (PEM bundle or DER), like mosquitto_sub --cafile. <see cref="SkipCertificateValidation"/> accepts any
    /// certificate and exists only for lab brokers.</para>
    /// <para>Client certificate: a PFX/PKCS#12 file (with <see cref="ClientCertificatePassword"/>), a PEM
    /// certificate plus a PEM private key (<see cref="ClientCertificateKeyPath"/>, unencrypted PKCS#8/PKCS#1/SEC1;
    /// PEM needs .NET 5 or later at run time, i.e. PowerShell 7; on Windows PowerShell 5.1 use PFX), or an
    /// <see cref="X509Certificate2"/> object with a private key.</para>
    /// </summary>
    public sealed class MqttTlsOptions
    {
        /// <summary>CA certificate(s) the server certificate must chain to, instead of the system store.</summary>
        public string CaFile { get; set; }

        /// <summary>A directory whose certificate files are trusted like <see cref="CaFile"/> (mosquitto's capath).</summary>
        public string CaDirectory { get; set; }

        /// <summary>Accept a server certificate that does not match the host name, still checking its chain
        /// (mosquitto's --insecure and bridge_insecure). Unlike <see cref="SkipCertificateValidation"/>, an untrusted
        /// certificate is still refused.</summary>
        public bool IgnoreHostNameMismatch { get; set; }

        /// <summary>Client certificate: .pfx/.p12, or a PEM certificate (.pem/.crt).</summary>
        public string ClientCertificatePath { get; set; }

        /// <summary>PEM private key of a PEM client certificate; null when the key is in the certificate file.</summary>
        public string ClientCertificateKeyPath { get; set; }

        /// <summary>Password of a PFX client certificate.</summary>
        public string ClientCertificatePassword { get; set; }

        /// <summary>A client certificate that is already loaded (takes precedence over the path).</summary>
        public X509Certificate2 ClientCertificate { get; set; }

        /// <summary>Accept any server certificate. Only for test brokers: it allows a man in the middle.</summary>
        public bool SkipCertificateValidation { get; set; }

        /// <summary>Server name sent as SNI and checked against the certificate; the broker host when null.</summary>
        public string ServerName { get; set; }

        /// <summary>Check revocation of the server certificate (online); off by default like mosquitto clients.</summary>
        public bool CheckCertificateRevocation { get; set; }

        /// <summary>TLS versions to offer; <see cref="SslProtocols.None"/> (the default) lets the operating system
        /// choose, or, where .NET Framework refuses that, TLS 1.2 and 1.3 (see <see cref="TlsProtocolSelection"/>).</summary>
        public SslProtocols Protocols { get; set; }
    }
}
