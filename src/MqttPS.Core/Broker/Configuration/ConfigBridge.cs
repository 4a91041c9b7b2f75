using System.Collections.Generic;
using MqttPS.Core.Broker.Bridges;

namespace MqttPS.Core.Broker.Configuration
{
    /// <summary>A bridge as the configuration file describes it (a connection line and the bridge directives after it).</summary>
    internal sealed class ConfigBridge
    {
        public ConfigBridge(ConfigLine source, string name)
        {
            Source = source;
            Options = new MqttBridgeOptions { Name = name };
        }

        public ConfigLine Source { get; }

        /// <summary>Filled as the directives are read; TLS is put together by the mapper.</summary>
        public MqttBridgeOptions Options { get; }

        public string CaFile { get; set; }
        public string CaPath { get; set; }
        public string CertFile { get; set; }
        public string KeyFile { get; set; }
        public bool Insecure { get; set; }
        public string TlsVersion { get; set; }

        /// <summary>Where each directive was set, for messages about it.</summary>
        public Dictionary<string, ConfigLine> Lines { get; } = new Dictionary<string, ConfigLine>();
    }
}
