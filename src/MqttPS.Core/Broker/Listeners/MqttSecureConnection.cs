using System.IO;
using System.Security.Cryptography.X509Certificates;

namespace MqttPS.Core.Broker.Listeners
{
    /// <summary>The result of a completed server-side TLS handshake.</summary>
    public sealed class MqttSecureConnection
    {
        internal MqttSecureConnection(Stream stream, X509Certificate2 clientCertificate, string identity)
        {
            Stream = stream;
            ClientCertificate = clientCertificate;
            ClientIdentity = identity;
        }

        /// <summary>The encrypted stream (an SslStream owning the inner stream).</summary>
        public Stream Stream { get; }

        /// <summary>The validated client certificate, or null when the client sent none.</summary>
        public X509Certificate2 ClientCertificate { get; }

        /// <summary>The username the certificate stands for when the listener uses identities as usernames; else null.</summary>
        public string ClientIdentity { get; }
    }
}
