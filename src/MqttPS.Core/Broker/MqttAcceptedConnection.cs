using System;
using System.IO;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Net.Sockets;

namespace MqttPS.Core.Broker
{
    /// <summary>A connected duplex byte stream plus who is on the other end.</summary>
    public sealed class MqttAcceptedConnection
    {
        public MqttAcceptedConnection(Stream stream, EndPoint remoteEndPoint, string listenerName, Action onClose = null, Socket socket = null)
        {
            Socket = socket;
            Stream = stream;
            RemoteEndPoint = remoteEndPoint;
            ListenerName = listenerName;
            OnClose = onClose;
        }

        public Stream Stream { get; }
        public EndPoint RemoteEndPoint { get; }
        public string ListenerName { get; }

        /// <summary>Extra cleanup (e.g. disposing the socket) once the broker closes the stream.</summary>
        public Action OnClose { get; }

        /// <summary>The validated TLS client certificate, or null (plain TCP, or the client sent none).</summary>
        public X509Certificate2 ClientCertificate { get; set; }

        /// <summary>The username a TLS listener derived from the client certificate (use_identity_as_username), or null.</summary>
        public string CertificateIdentity { get; set; }

        /// <summary>A connection of the broker's own making (a bridge's link to its broker): it is trusted, so neither
        /// authentication, nor the ACL, nor the connection limits apply, as for mosquitto's bridges.</summary>
        internal bool IsInternal { get; set; }

        /// <summary>The listener that accepted the connection (its per-listener settings apply), or null for a custom listener.</summary>
        public MqttListenerOptions Listener { get; set; }

        /// <summary>The underlying socket when there is one: lets the broker send FIN after its last packet (so a
        /// DISCONNECT is not lost to a reset) before closing.</summary>
        public Socket Socket { get; }

        /// <summary>The stream is a plain NetworkStream over <see cref="Socket"/> (no TLS, no WebSocket framing): bytes
        /// sent on the socket directly are bytes of the stream. Set by the TCP listener.</summary>
        internal bool StreamIsSocket { get; set; }
    }
}
