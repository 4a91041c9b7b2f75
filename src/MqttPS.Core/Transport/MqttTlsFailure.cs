namespace MqttPS.Core.Transport
{
    /// <summary>Why a TLS handshake with a broker failed, as far as the client can tell.</summary>
    public enum MqttTlsFailure
    {
        /// <summary>A failure none of the others describes (see the exception's message).</summary>
        Other,

        /// <summary>The server closed the connection before it presented a certificate: typically a port that does
        /// not speak TLS at all (plain MQTT), sometimes a broker that refuses the client's TLS versions.</summary>
        ClosedBeforeCertificate,

        /// <summary>The server presented no certificate.</summary>
        NoServerCertificate,

        /// <summary>The certificate is for another host name.</summary>
        NameMismatch,

        /// <summary>The certificate does not chain to a trusted root (the system store; no CA file was given).</summary>
        Untrusted,

        /// <summary>The certificate was not issued by the CA in the CA file given.</summary>
        NotIssuedByCa,

        /// <summary>The certificate chains to the given CA but is not valid (expired, revoked, wrong usage).</summary>
        Invalid,

        /// <summary>The broker's certificate was accepted, then the handshake failed: typically a broker that requires
        /// a client certificate (none, or one it does not accept, was sent).</summary>
        FailedAfterCertificate,
    }
}
