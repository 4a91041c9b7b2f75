namespace MqttPS.Core.Broker.Security
{
    /// <summary>The access keyword of a mosquitto ACL "topic" or "pattern" line.</summary>
    public enum AclAccess
    {
        /// <summary>Subscribe to and receive messages on matching topics.</summary>
        Read,

        /// <summary>Publish to matching topics.</summary>
        Write,

        /// <summary>Both; the default when the line names no access.</summary>
        ReadWrite,

        /// <summary>Neither, overriding any grant from another line (mosquitto 2.0 checks denials first).</summary>
        Deny,
    }
}
