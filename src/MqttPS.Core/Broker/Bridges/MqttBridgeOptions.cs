using System;
using System.Collections.Generic;
using System.Linq;
using MqttPS.Core.Protocol;
using MqttPS.Core.Transport;

namespace MqttPS.Core.Broker.Bridges
{
    /// <summary>
    /// A bridge: the broker connects to a remote broker as a client and carries the messages of its topics across,
    /// both ways, with prefixes remapped (mosquitto's connection section). The defaults are mosquitto 2.0's.
    /// </summary>
    public sealed class MqttBridgeOptions
    {
        /// <summary>The connection name (mosquitto's "connection name"); unique per broker.</summary>
        public string Name { get; set; }

        /// <summary>The remote broker, and further ones to fail over to in order (mosquitto's address list).</summary>
        public List<MqttBrokerAddress> Addresses { get; } = new List<MqttBrokerAddress>();

        public List<MqttBridgeTopic> Topics { get; } = new List<MqttBridgeTopic>();

        /// <summary>The client id on the remote broker; null = "&lt;host name&gt;.&lt;Name&gt;" as mosquitto makes it.</summary>
        public string RemoteClientId { get; set; }

        /// <summary>The client id of the bridge's session in this broker; null = "local." + the remote client id.</summary>
        public string LocalClientId { get; set; }

        public string RemoteUsername { get; set; }
        public string RemotePassword { get; set; }

        /// <summary>TLS to the remote broker (CA file or directory, client certificate, versions); the addresses then
        /// use TLS. Null: as the addresses say (mqtts:// and wss:// use TLS with the system's trust store).</summary>
        public MqttTlsOptions Tls { get; set; }

        /// <summary>MQTT version towards the remote broker (mosquitto's bridge_protocol_version; default 3.1.1).</summary>
        public MqttProtocolVersion ProtocolVersion { get; set; } = MqttProtocolVersion.V311;

        /// <summary>Clean session on the remote broker (default false: the remote keeps what comes in while the bridge is down).</summary>
        public bool CleanSession { get; set; }

        /// <summary>Clean session of the bridge's own session in this broker; null = <see cref="CleanSession"/>. False keeps
        /// what waits to go out across a restart (with persistence).</summary>
        public bool? LocalCleanSession { get; set; }

        public ushort KeepAliveSeconds { get; set; } = 60;

        /// <summary>The wait before reconnecting; with <see cref="RestartDelayMax"/> larger, each further wait is drawn
        /// between this and three times the previous one, up to that cap (mosquitto's restart_timeout base cap).</summary>
        public TimeSpan RestartDelay { get; set; } = TimeSpan.FromSeconds(5);
        public TimeSpan RestartDelayMax { get; set; } = TimeSpan.FromSeconds(30);

        public MqttBridgeStartType StartType { get; set; } = MqttBridgeStartType.Automatic;

        /// <summary>Lazy bridges: how many messages waiting to go out make the bridge connect.</summary>
        public int Threshold { get; set; } = 10;

        /// <summary>Lazy bridges: the connection ends after this long without a message either way.</summary>
        public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(60);

        /// <summary>Announce the bridge to the remote broker (3.1/3.1.1 protocol level with 0x80): a mosquitto (or
        /// MqttPS) broker then does not send back what the bridge published. Dropped for brokers that refuse it.</summary>
        public bool TryPrivate { get; set; } = true;

        /// <summary>Publish the bridge's state (1 connected, 0 not) as a retained message, here and on the remote broker.</summary>
        public bool Notifications { get; set; } = true;
        public bool NotificationsLocalOnly { get; set; }

        /// <summary>Where the state goes; null = $SYS/broker/connection/&lt;remote client id&gt;/state as in mosquitto.</summary>
        public string NotificationTopic { get; set; }

        /// <summary>False (default): after failing over, come back to the first address as soon as it answers. True:
        /// stay on the address that works, moving on only when it fails.</summary>
        public bool RoundRobin { get; set; }

        /// <summary>Unsubscribe on the remote broker from the topics that only go out (a session kept from an earlier
        /// configuration may still hold them).</summary>
        public bool AttemptUnsubscribe { get; set; } = true;

        /// <summary>False: messages go out without the retain flag (for remote brokers that refuse it).</summary>
        public bool OutgoingRetain { get; set; } = true;

        /// <summary>The largest packet the remote broker is asked to send (MQTT 5.0); 0 = no limit.</summary>
        public uint MaximumPacketSize { get; set; }

        public string ResolvedRemoteClientId => RemoteClientId ?? HostName() + "." + Name;
        public string ResolvedLocalClientId => LocalClientId ?? "local." + ResolvedRemoteClientId;
        public bool ResolvedLocalCleanSession => LocalCleanSession ?? CleanSession;
        public string ResolvedNotificationTopic => NotificationTopic ?? "$SYS/broker/connection/" + ResolvedRemoteClientId + "/state";

        private static string HostName()
        {
            try { return System.Net.Dns.GetHostName(); }
            catch (System.Net.Sockets.SocketException) { return Environment.MachineName; }
        }

        /// <summary>Throws ArgumentException naming what is missing or wrong.</summary>
        public void Validate()
        {
            if (string.IsNullOrWhiteSpace(Name)) throw new ArgumentException("A bridge needs a name.");
            var what = "The bridge '" + Name + "'";
            if (Addresses.Count == 0) throw new ArgumentException(what + " needs the address of the remote broker.");
            if (Topics.Count == 0) throw new ArgumentException(what + " needs at least one topic.");
            if (ProtocolVersion != MqttProtocolVersion.V310 && ProtocolVersion != MqttProtocolVersion.V311 && ProtocolVersion != MqttProtocolVersion.V500)
                throw new ArgumentException(what + ": protocol version " + ProtocolVersion + " is not one of 3.1, 3.1.1 and 5.0.");
            if (RestartDelay <= TimeSpan.Zero) throw new ArgumentException(what + ": the restart delay must be positive.");
            if (RestartDelayMax < RestartDelay) throw new ArgumentException(what + ": the restart delay's cap is below its base.");
            if (Threshold < 1) throw new ArgumentException(what + ": the lazy threshold must be at least 1 message.");
            if (IdleTimeout <= TimeSpan.Zero) throw new ArgumentException(what + ": the idle timeout must be positive.");
            if (NotificationTopic != null && !IsTopicName(NotificationTopic))
                throw new ArgumentException(what + ": the notification topic '" + NotificationTopic + "' is not a topic name.");
        }

        private static bool IsTopicName(string topic) => MqttPS.Core.Topics.MqttTopic.TryValidateTopicName(topic, out _);

        public override string ToString() => Name + " -> " + string.Join(", ", Addresses.Select(a => a.ToString()));
    }
}
