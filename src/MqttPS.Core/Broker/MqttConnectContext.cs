using System.Net;
using System.Security.Cryptography.X509Certificates;
using MqttPS.Core.Protocol;

namespace MqttPS.Core.Broker
{
    /// <summary>What an authenticator sees of a CONNECT.</summary>
    public sealed class MqttConnectContext
    {
        public string ClientId { get; set; }
        public string Username { get; set; }
        public byte[] Password { get; set; }
        public EndPoint RemoteEndPoint { get; set; }
        public MqttProtocolVersion ProtocolVersion { get; set; }

        /// <summary>The listener the client arrived on (TLS listeners will add the client certificate here).</summary>
        public string ListenerName { get; set; }

        /// <summary>The validated TLS client certificate, or null.</summary>
        public X509Certificate2 ClientCertificate { get; set; }

        /// <summary>Set when the TLS listener takes the username from the certificate: it replaces the CONNECT username.</summary>
        public string CertificateIdentity { get; set; }

        /// <summary>The whole CONNECT, for properties such as user properties or an authentication method.</summary>
        public ConnectPacket Packet { get; set; }
    }
}
