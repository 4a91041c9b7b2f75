using System.Collections.Generic;

namespace MqttPS.Core.Broker.Configuration
{
    /// <summary>A listener as the configuration file describes it, before it becomes <see cref="MqttListenerOptions"/>.
    /// mosquitto's "default listener" collects the listener directives that come before any listener line (and port and
    /// bind_address); it exists only when one of them is used.</summary>
    internal sealed class ConfigListener
    {
        public ConfigListener(ConfigLine source) { Source = source; }

        /// <summary>The listener line; null for the default listener.</summary>
        public ConfigLine Source { get; }
        public bool IsDefault => Source == null;

        public int Port { get; set; }
        public string Host { get; set; }
        public bool WebSockets { get; set; }
        public string CertFile { get; set; }
        public string KeyFile { get; set; }
        public string CaFile { get; set; }
        public string CaPath { get; set; }
        public bool RequireCertificate { get; set; }
        public bool UseIdentityAsUsername { get; set; }
        public bool UseSubjectAsUsername { get; set; }
        public string TlsVersion { get; set; }
        public int MaxConnections { get; set; } = -1;
        public int? MaxTopicAlias { get; set; }
        public bool UseUsernameAsClientId { get; set; }
        public string BindInterface { get; set; }
        public string SocketDomain { get; set; }

        public ConfigSecurity Security { get; } = new ConfigSecurity();

        /// <summary>Where each listener directive was set (the default listener exists when this is not empty).</summary>
        public Dictionary<string, ConfigLine> Lines { get; } = new Dictionary<string, ConfigLine>();

        public string Describe() => IsDefault ? "the default listener" : "the listener at " + Source;
    }
}
