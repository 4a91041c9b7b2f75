using System;
using System.Security.Authentication;

namespace MqttPS.Core.Transport
{
    /// <summary>The TLS handshake with a broker failed; <see cref="Failure"/> says why as far as the client can tell,
    /// so that callers (the cmdlets) can say what to change without parsing the message.</summary>
    public sealed class MqttTlsHandshakeException : AuthenticationException
    {
        public MqttTlsHandshakeException(string message, Exception inner, MqttTlsFailure failure, string serverCertificateSubject, bool clientCertificateSent)
            : base(message, inner)
        {
            Failure = failure;
            ServerCertificateSubject = serverCertificateSubject;
            ClientCertificateSent = clientCertificateSent;
        }

        public MqttTlsFailure Failure { get; }

        /// <summary>The subject of the certificate the broker presented, or null when it presented none.</summary>
        public string ServerCertificateSubject { get; }

        public bool ClientCertificateSent { get; }
    }
}
