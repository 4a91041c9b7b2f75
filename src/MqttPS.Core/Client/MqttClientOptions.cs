using System;
using System.Collections.Generic;
using MqttPS.Core.Protocol;
using MqttPS.Core.Transport;

namespace MqttPS.Core.Client
{
    /// <summary>Everything a <see cref="MqttClient"/> needs to know before it connects.</summary>
    public sealed class MqttClientOptions
    {
        private List<MqttUserProperty> _userProperties;

        public MqttClientOptions() { }

        public MqttClientOptions(string brokerHostOrUri, int? port = null) { Address = MqttBrokerAddress.Parse(brokerHostOrUri, port); }

        /// <summary>The broker; see <see cref="MqttBrokerAddress.Parse"/>.</summary>
        public MqttBrokerAddress Address { get; set; }

        /// <summary>Client identifier; when null, one is generated ("mqttps-" and 12 random hex digits); when empty, the
        /// broker assigns one (needs a clean start; MQTT 5.0 brokers say which in the CONNACK).</summary>
        public string ClientId { get; set; }

        public MqttProtocolVersion ProtocolVersion { get; set; } = MqttProtocolVersion.V500;

        /// <summary>When the broker refuses the version with Unsupported Protocol Version, retry with 3.1.1, then 3.1.</summary>
        public bool AllowProtocolFallback { get; set; }

        /// <summary>Clean Start (5.0) / Clean Session (3.1.1) of the first connect. Automatic reconnects of a 5.0
        /// client always try to resume (Clean Start 0); the Session Expiry Interval decides whether there is anything to resume.</summary>
        public bool CleanStart { get; set; } = true;

        /// <summary>Session Expiry Interval in seconds (5.0); 0 ends the session with the connection, 0xFFFFFFFF never.</summary>
        public uint SessionExpiryInterval { get; set; }

        /// <summary>Keep alive in seconds (0 = off). PINGREQ is sent when idle; no PINGRESP within half of it (at least 1 s,
        /// at most 30 s) counts as a dead connection.</summary>
        public ushort KeepAliveSeconds { get; set; } = 60;

        /// <summary>Time for TCP + TLS + WebSocket + CONNECT/CONNACK together.</summary>
        public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

        /// <summary>How long DisconnectAsync waits for the DISCONNECT to be written before closing anyway.</summary>
        public TimeSpan DisconnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

        public string Username { get; set; }
        public byte[] Password { get; set; }

        /// <summary>Will message with its 5.0 properties (will delay interval, expiry, content type, response topic,
        /// correlation data, user properties in <see cref="MqttWillMessage.Properties"/>).</summary>
        public MqttWillMessage Will { get; set; }

        /// <summary>Receive Maximum announced to the broker (5.0); 0 = not sent (65535).</summary>
        public ushort ReceiveMaximum { get; set; }

        /// <summary>
        /// How many QoS 1/2 publishes may await their acknowledgement at once; further publishes wait, in order, for
        /// a slot. 0 (the default): at MQTT 5.0 the broker's Receive Maximum; at 3.1.1 and 3.1, which have no way for
        /// the broker to say, <see cref="DefaultMqtt3InflightWindow"/>. At 5.0 a value above the broker's Receive
        /// Maximum is lowered to it [MQTT-3.3.4-7]. Raise it at 3.1.1/3.1 only for a broker known to take more:
        /// mosquitto (max_inflight_messages 20) acknowledges QoS 2 messages beyond its limit that it then never
        /// delivers.
        /// </summary>
        public ushort MaxInflightMessages { get; set; }

        /// <summary>The in-flight window of a 3.1.1/3.1 connection unless <see cref="MaxInflightMessages"/> says
        /// otherwise: what mosquitto's clients and paho use, and mosquitto's own per-client limit.</summary>
        public const ushort DefaultMqtt3InflightWindow = 20;

        /// <summary>Maximum Packet Size announced to the broker and enforced on receipt; 0 = no limit.</summary>
        public uint MaximumPacketSize { get; set; }

        /// <summary>Topic Alias Maximum announced to the broker (5.0): aliases the broker may use towards this client.</summary>
        public ushort TopicAliasMaximum { get; set; }

        /// <summary>Use topic aliases on outgoing publishes, up to the broker's Topic Alias Maximum (5.0).</summary>
        public bool UseTopicAliases { get; set; }

        public bool RequestResponseInformation { get; set; }
        public bool RequestProblemInformation { get; set; } = true;

        /// <summary>TLS settings for mqtts:// and wss://.</summary>
        public MqttTlsOptions Tls { get; set; }

        /// <summary>Reconnect automatically after a connection loss (not after DisconnectAsync), with exponential back-off and jitter.</summary>
        public bool AutoReconnect { get; set; }
        public TimeSpan ReconnectMinDelay { get; set; } = TimeSpan.FromSeconds(1);
        public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(30);
        /// <summary>0 = retry for ever.</summary>
        public int MaxReconnectAttempts { get; set; }

        /// <summary>Publishes accepted while disconnected and reconnecting; beyond it PublishAsync fails at once.</summary>
        public int OfflineQueueCapacity { get; set; } = 1000;

        /// <summary>Received messages buffered for ReceiveAsync/TryReceive.</summary>
        public int ReceiveQueueCapacity { get; set; } = 10000;

        /// <summary>What happens when the receive queue is full; Backpressure (the default) stops reading the socket.</summary>
        public ReceiveOverflowPolicy ReceiveOverflowPolicy { get; set; } = ReceiveOverflowPolicy.Backpressure;

        /// <summary>Enhanced authentication (5.0 AUTH exchange), or null.</summary>
        public IMqttEnhancedAuthenticator Authenticator { get; set; }

        /// <summary>User properties of the CONNECT packet (5.0).</summary>
        public List<MqttUserProperty> UserProperties => _userProperties ?? (_userProperties = new List<MqttUserProperty>());

        internal bool HasUserProperties => _userProperties != null && _userProperties.Count > 0;

        /// <summary>Opens the connection's byte stream instead of TCP/TLS/WebSocket to <see cref="Address"/>: a broker's
        /// bridge reaches its own broker through an in-process connection this way.</summary>
        internal Func<System.Threading.CancellationToken, System.Threading.Tasks.Task<System.IO.Stream>> StreamFactory { get; set; }

        /// <summary>3.1/3.1.1: bit 7 of the CONNECT protocol level (0x83/0x84), mosquitto's announcement of a bridge
        /// (try_private): a broker that knows it does not send the bridge back what it published.</summary>
        internal bool AnnounceAsBridge { get; set; }

        internal MqttClientOptions Validate()
        {
            if (Address == null) throw new ArgumentException("MqttClientOptions.Address is not set: give the broker host or URI.");
            if (ReceiveQueueCapacity < 1) throw new ArgumentException("ReceiveQueueCapacity must be at least 1.");
            if (OfflineQueueCapacity < 0) throw new ArgumentException("OfflineQueueCapacity cannot be negative.");
            if (ConnectTimeout <= TimeSpan.Zero) throw new ArgumentException("ConnectTimeout must be positive.");
            if (ReconnectMinDelay < TimeSpan.Zero || ReconnectMaxDelay < ReconnectMinDelay) throw new ArgumentException("ReconnectMinDelay must be >= 0 and <= ReconnectMaxDelay.");
            if (ProtocolVersion != MqttProtocolVersion.V500 && ProtocolVersion != MqttProtocolVersion.V311 && ProtocolVersion != MqttProtocolVersion.V310)
                throw new ArgumentException("Unsupported protocol version " + ProtocolVersion + ": use V500, V311 or V310.");
            if (Authenticator != null && ProtocolVersion != MqttProtocolVersion.V500)
                throw new ArgumentException("Enhanced authentication needs MQTT 5.0.");
            if (Will != null && string.IsNullOrEmpty(Will.Topic)) throw new ArgumentException("The will message has no topic.");
            return this;
        }
    }
}
