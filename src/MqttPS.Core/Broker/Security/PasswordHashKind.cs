namespace MqttPS.Core.Broker.Security
{
    /// <summary>The hash schemes of mosquitto's password file, named by their "$n$" prefix.</summary>
    public enum PasswordHashKind
    {
        /// <summary>"$6$salt$hash": SHA-512 of password then salt, once (mosquitto 1.x). Read only.</summary>
        Sha512 = 6,

        /// <summary>"$7$iterations$salt$hash": PBKDF2-HMAC-SHA-512 (mosquitto 2.0 and later). Read and written.</summary>
        Pbkdf2Sha512 = 7,
    }
}
