using System.Collections.Generic;

namespace MqttPS.Core.Broker.Configuration
{
    /// <summary>mosquitto's security options: broker-wide, or one set per listener with per_listener_settings.</summary>
    internal sealed class ConfigSecurity
    {
        public string PasswordFile { get; set; }
        public string AclFile { get; set; }
        public bool? AllowAnonymous { get; set; }
        public bool AllowZeroLengthClientId { get; set; } = true;
        public string AutoIdPrefix { get; set; }

        /// <summary>Where each directive was set, for messages about it.</summary>
        public Dictionary<string, ConfigLine> Lines { get; } = new Dictionary<string, ConfigLine>();

        public bool IsSet(string directive) => Lines.ContainsKey(directive);
    }
}
