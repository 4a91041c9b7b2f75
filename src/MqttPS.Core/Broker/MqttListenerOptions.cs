using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace MqttPS.Core.Broker
{
    /// <summary>The transport a listener speaks. Only <see cref="Tcp"/> is implemented by the broker core; TLS and
    /// WebSocket listeners plug in through <see cref="IMqttBrokerListener"/>.</summary>
    public enum MqttListenerKind { Tcp, Tls, WebSocket, SecureWebSocket }

    /// <summary>One additional endpoint the broker listens on.</summary>
    public sealed class MqttListenerOptions
    {
        public MqttListenerKind Kind { get; set; } = MqttListenerKind.Tcp;
        public IPAddress BindAddress { get; set; } = IPAddress.Any;

        /// <summary>0 picks a free port; the bound one is in <see cref="MqttBroker.Endpoints"/>.</summary>
        public int Port { get; set; }

        /// <summary>WebSocket path, for the WebSocket kinds.</summary>
        public string Path { get; set; } = "/mqtt";
        public string CertificatePath { get; set; }
        public string CertificateKeyPath { get; set; }
        public string CertificatePassword { get; set; }

        /// <summary>A server certificate with private key given directly (instead of the paths).</summary>
        public X509Certificate2 Certificate { get; set; }

        /// <summary>TLS kinds: refuse clients without a certificate issued by <see cref="ClientCaFile"/>.</summary>
        public bool RequireClientCertificate { get; set; }

        /// <summary>TLS kinds: PEM file of the CAs trusted for client certificates (mosquitto's cafile).</summary>
        public string ClientCaFile { get; set; }

        /// <summary>TLS kinds: the certificate's CN becomes the username (mosquitto's use_identity_as_username).</summary>
        public bool UseIdentityAsUsername { get; set; }

        /// <summary>TLS kinds: the certificate's whole subject becomes the username (mosquitto's use_subject_as_username).</summary>
        public bool UseSubjectAsUsername { get; set; }

        /// <summary>TLS kinds: the TLS versions accepted (mosquitto's tls_version); None: the system default, see
        /// <see cref="Listeners.MqttTlsServerOptions.Protocols"/>.</summary>
        public SslProtocols TlsProtocols { get; set; }
    }
}
