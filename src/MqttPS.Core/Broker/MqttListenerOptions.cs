using System;
using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace MqttPS.Core.Broker
{
    /// <summary>The transport a listener speaks: plain TCP, TLS, WebSocket (ws://) or WebSocket over TLS (wss://).</summary>
    public enum MqttListenerKind { Tcp, Tls, WebSocket, SecureWebSocket }

    /// <summary>
    /// Everything about one endpoint the broker listens on: its transport, address and port, and for the TLS kinds the
    /// server certificate and the rules for client certificates (mosquitto's listener, protocol, certfile, keyfile,
    /// cafile, require_certificate, use_identity_as_username, use_subject_as_username, tls_version).
    /// </summary>
    public sealed class MqttListenerOptions
    {
        public MqttListenerKind Kind { get; set; } = MqttListenerKind.Tcp;

        /// <summary>Address to bind; <see cref="IPAddress.IPv6Any"/> listens dual-mode (IPv4 and IPv6).</summary>
        public IPAddress BindAddress { get; set; } = IPAddress.Any;

        /// <summary>0 picks a free port; the bound one is in <see cref="MqttBroker.Endpoints"/>.</summary>
        public int Port { get; set; }

        /// <summary>WebSocket path, for the WebSocket kinds; null accepts every path (as mosquitto's WebSocket listeners do).</summary>
        public string Path { get; set; } = "/mqtt";

        /// <summary>With <see cref="IPAddress.IPv6Any"/>: IPv6 clients only (mosquitto's socket_domain ipv6); otherwise that
        /// address takes IPv4 clients too.</summary>
        public bool IPv6Only { get; set; }

        /// <summary>Clients connected through this listener at most (mosquitto's per-listener max_connections); 0 = no
        /// limit of its own. Further clients get CONNACK Server unavailable (3.1.1) / Server busy (5.0).</summary>
        public int MaxConnections { get; set; }

        /// <summary>Topic Alias Maximum for 5.0 clients of this listener (mosquitto's max_topic_alias); null = the broker's.</summary>
        public ushort? TopicAliasMaximum { get; set; }

        /// <summary>A client's user name becomes its client id (mosquitto's use_username_as_clientid); clients without
        /// a user name are refused with Not authorized.</summary>
        public bool UseUsernameAsClientId { get; set; }

        /// <summary>Authentication for this listener's clients (mosquitto's per_listener_settings); null = the broker's.</summary>
        public IMqttBrokerAuthenticator Authenticator { get; set; }

        /// <summary>Topic permissions for this listener's clients (per_listener_settings); null = the broker's.</summary>
        public IMqttBrokerAuthorizer Authorizer { get; set; }

        /// <summary>Whether this listener's clients may connect with an empty client id; null = the broker's setting.</summary>
        public bool? AllowZeroLengthClientId { get; set; }

        /// <summary>Start of the client ids assigned to this listener's clients; null = the broker's.</summary>
        public string AssignedClientIdPrefix { get; set; }

        /// <summary>Whether the kind runs over TLS (and so needs a server certificate).</summary>
        public bool IsSecure => Kind == MqttListenerKind.Tls || Kind == MqttListenerKind.SecureWebSocket;

        /// <summary>The server certificate: a PFX/PKCS#12 file (with <see cref="CertificatePassword"/>) or a PEM file
        /// whose key is in <see cref="CertificateKeyPath"/> (or in the same file).</summary>
        public string CertificatePath { get; set; }
        public string CertificateKeyPath { get; set; }
        public string CertificatePassword { get; set; }

        /// <summary>A server certificate with private key given directly; takes precedence over the paths.</summary>
        public X509Certificate2 Certificate { get; set; }

        /// <summary>Refuse clients that present no certificate, or one that does not chain to <see cref="ClientCaFile"/>.</summary>
        public bool RequireClientCertificate { get; set; }

        /// <summary>PEM (or DER) file of the certificate authorities trusted for client certificates (mosquitto's
        /// cafile). When unset, client certificates are checked against the operating system's trust store.</summary>
        public string ClientCaFile { get; set; }

        /// <summary>A directory whose certificate files are trusted for client certificates too (mosquitto's capath).</summary>
        public string ClientCaDirectory { get; set; }

        /// <summary>Use the client certificate's Common Name as the username, ignoring the CONNECT username
        /// (mosquitto's use_identity_as_username); such clients need no password.</summary>
        public bool UseIdentityAsUsername { get; set; }

        /// <summary>Like <see cref="UseIdentityAsUsername"/> with the whole subject ("CN=alice, O=lab") (mosquitto's use_subject_as_username).</summary>
        public bool UseSubjectAsUsername { get; set; }

        /// <summary>TLS versions accepted (mosquitto's tls_version); <see cref="SslProtocols.None"/> lets the operating
        /// system choose (TLS 1.2/1.3), or, where .NET Framework refuses that, TLS 1.2 and 1.3 (see
        /// <see cref="Transport.TlsProtocolSelection"/>).</summary>
        public SslProtocols TlsProtocols { get; set; } = SslProtocols.None;

        /// <summary>A client that has not completed the TLS or WebSocket handshake within this time is disconnected.</summary>
        public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);
    }
}
