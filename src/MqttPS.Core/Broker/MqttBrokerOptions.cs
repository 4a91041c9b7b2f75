using System;
using System.Collections.Generic;
using System.Net;

namespace MqttPS.Core.Broker
{
    /// <summary>Configuration of an <see cref="MqttBroker"/>. Read once at <see cref="MqttBroker.StartAsync"/>.</summary>
    public sealed class MqttBrokerOptions
    {
        /// <summary>Name used in logs and $SYS; also the prefix of assigned client identifiers.</summary>
        public string Name { get; set; } = "mqttps";

        /// <summary>Address of the plain TCP listener used when <see cref="Listeners"/> is empty. <see cref="IPAddress.IPv6Any"/>
        /// listens dual-mode (IPv4 and IPv6).</summary>
        public IPAddress BindAddress { get; set; } = IPAddress.Any;

        /// <summary>Port of the plain TCP listener used when <see cref="Listeners"/> is empty; 0 picks a free port (see
        /// <see cref="MqttBroker.Port"/>).</summary>
        public int Port { get; set; } = 1883;

        /// <summary>Every endpoint the broker listens on (TCP, TLS, WebSocket), in the order they are bound. When empty,
        /// the broker listens on <see cref="BindAddress"/>:<see cref="Port"/> with plain TCP.</summary>
        public List<MqttListenerOptions> Listeners { get; } = new List<MqttListenerOptions>();

        /// <summary>The listeners the broker binds, in order: <see cref="Listeners"/>, or the plain TCP listener on
        /// <see cref="BindAddress"/>:<see cref="Port"/> when that list is empty.</summary>
        public IReadOnlyList<MqttListenerOptions> ResolveListeners()
        {
            if (Listeners.Count > 0) return Listeners.ToArray();
            return new[] { new MqttListenerOptions { Kind = MqttListenerKind.Tcp, BindAddress = BindAddress, Port = Port } };
        }

        /// <summary>Remote brokers this broker connects to as a client, carrying topics across (mosquitto's bridges).
        /// Started with the broker, after its listeners.</summary>
        public List<Bridges.MqttBridgeOptions> Bridges { get; } = new List<Bridges.MqttBridgeOptions>();

        /// <summary>Listeners supplied ready-made (custom transports, tests). Started and stopped with the broker.</summary>
        public List<IMqttBrokerListener> CustomListeners { get; } = new List<IMqttBrokerListener>();

        /// <summary>How many QoS 1/2 PUBLISH packets a 5.0 client may have unacknowledged towards the broker
        /// (announced in CONNACK as Receive Maximum). Exceeding it is a protocol error (0x93).</summary>
        public ushort ReceiveMaximum { get; set; } = 20;

        /// <summary>Largest packet the broker accepts (announced as Maximum Packet Size); 0 = protocol maximum.
        /// A larger packet closes the connection (5.0: DISCONNECT 0x95). A connection's receive buffer grows with the
        /// bytes that arrive (never with a declared length) up to this size, and is given up after the packet.</summary>
        public uint MaximumPacketSize { get; set; }

        /// <summary>Largest CONNECT the broker accepts, i.e. the packet size limit before a client has logged in
        /// (the smaller of this and <see cref="MaximumPacketSize"/>); 0 = <see cref="MaximumPacketSize"/>. A CONNECT
        /// carries a client id, credentials and a will, so it is small: the default 64 KiB bounds what an
        /// unauthenticated connection can make the broker hold. Larger: CONNACK 0x95 (5.0), or the connection is closed.</summary>
        public uint MaximumConnectPacketSize { get; set; } = DefaultMaximumConnectPacketSize;

        /// <summary>The default of <see cref="MaximumConnectPacketSize"/>: 64 KiB.</summary>
        public const uint DefaultMaximumConnectPacketSize = 64 * 1024;

        /// <summary>The packet size limit that applies before CONNECT is accepted (0 = protocol maximum).</summary>
        internal uint EffectiveConnectPacketSize =>
            MaximumConnectPacketSize == 0 ? MaximumPacketSize
            : MaximumPacketSize == 0 ? MaximumConnectPacketSize
            : Math.Min(MaximumConnectPacketSize, MaximumPacketSize);

        /// <summary>Topic aliases a 5.0 client may use towards the broker (announced as Topic Alias Maximum).</summary>
        public ushort TopicAliasMaximum { get; set; } = 10;

        /// <summary>Longest keep alive a 5.0 client may use (mosquitto's max_keepalive); 0 = no limit. A 5.0 client
        /// asking for more, or for none (0), is told this value as Server Keep Alive in CONNACK [MQTT-3.2.2-21].
        /// Like mosquitto 2.0.11, 3.1/3.1.1 clients keep their own value (the protocol cannot tell them otherwise).</summary>
        public ushort MaximumKeepAlive { get; set; }

        /// <summary>Whether retained messages are supported (mosquitto's retain_available). When false, 5.0 clients
        /// are told so in CONNACK; a PUBLISH with RETAIN, or a will with Will Retain, is refused with 0x9A (3.1.1:
        /// the connection is closed) [MQTT-3.2.2-13], [MQTT-3.2.2-14].</summary>
        public bool RetainAvailable { get; set; } = true;

        /// <summary>Whether a client may connect with an empty client identifier and get one assigned (mosquitto's
        /// allow_zero_length_clientid). When false such a CONNECT is refused (3.1.1 return code 2, 5.0 0x80 as
        /// mosquitto answers) [MQTT-3.1.3-8].</summary>
        public bool AllowZeroLengthClientId { get; set; } = true;

        /// <summary>Start of the identifiers assigned to clients that connect with an empty one (mosquitto's
        /// auto_id_prefix); null = the broker's <see cref="Name"/> and a dash.</summary>
        public string AssignedClientIdPrefix { get; set; }

        /// <summary>Only clients whose identifier starts with this may connect (mosquitto's clientid_prefixes); others
        /// are refused with Not authorized. Null = any identifier.</summary>
        public string ClientIdPrefix { get; set; }

        /// <summary>Payload bytes a PUBLISH may carry (mosquitto's message_size_limit); 0 = no limit. A larger message
        /// is dropped and counted; QoS 1/2 publishers get PUBACK/PUBREC 0x97 Quota exceeded (5.0).</summary>
        public int MaximumPayloadSize { get; set; }

        /// <summary>Deliver each message with its subscription's QoS rather than the lower of publish and subscription
        /// QoS (mosquitto's upgrade_outgoing_qos; not what MQTT specifies, so off by default).</summary>
        public bool UpgradeOutgoingQoS { get; set; }

        /// <summary>How long a session that never expires by itself (3.1.1 clean session 0, 5.0 session expiry
        /// 0xFFFFFFFF) is kept once its client is gone (mosquitto's persistent_client_expiration); null = forever.</summary>
        public TimeSpan? PersistentClientExpiration { get; set; }

        /// <summary>QoS 2 messages a 3.1/3.1.1 client may leave unreleased (the broker sent PUBREC and holds the message
        /// until PUBREL); one more closes the connection. 5.0 clients are bounded by <see cref="ReceiveMaximum"/>. What
        /// such a client can make the broker hold is at most this many times the maximum packet size. 0 = no limit.</summary>
        public int MaxUnreleasedQoS2Messages { get; set; } = 100;

        /// <summary>QoS 1/2 messages the broker sends to a client without acknowledgement when the client announced
        /// no Receive Maximum (3.1/3.1.1), like mosquitto's max_inflight_messages.</summary>
        public ushort MaxInflightMessages { get; set; } = 20;

        /// <summary>Messages queued per session beyond the in-flight window or while the client is offline
        /// (mosquitto's max_queued_messages). See <see cref="QueueOverflowPolicy"/> for what happens when full.</summary>
        public int MaxQueuedMessagesPerSession { get; set; } = 1000;

        public QueueOverflowPolicy QueueOverflowPolicy { get; set; } = QueueOverflowPolicy.DropNewest;

        /// <summary>Also queue QoS 0 messages for offline persistent sessions (mosquitto's queue_qos0_messages, off by default).</summary>
        public bool QueueQoS0Messages { get; set; }

        /// <summary>Bytes of encoded packets waiting for one client's socket above which QoS 0 messages to it are
        /// dropped instead of queued (a slow reader must not grow memory without bound).</summary>
        public int MaxPendingBytesPerConnection { get; set; } = 8 * 1024 * 1024;

        /// <summary>A connection that has not sent CONNECT within this time is closed.</summary>
        public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

        /// <summary>Maximum simultaneous connections; 0 = unlimited. Further connections get CONNACK Server Busy / 3.1.1 rc 3.</summary>
        public int MaxConnections { get; set; }

        public bool AllowAnonymous { get; set; } = true;

        /// <summary>Decides CONNECT; null = <see cref="AllowAllAuthenticator"/> (honouring <see cref="AllowAnonymous"/>).</summary>
        public IMqttBrokerAuthenticator Authenticator { get; set; }

        /// <summary>Decides publish/subscribe per topic; null = <see cref="AllowAllAuthorizer"/>.</summary>
        public IMqttBrokerAuthorizer Authorizer { get; set; }

        /// <summary>Directory where retained messages and persistent sessions (subscriptions, undelivered QoS 1/2
        /// messages) are stored; null = in memory only. Ignored when <see cref="Persistence"/> is set.</summary>
        public string PersistencePath { get; set; }

        /// <summary>When a stored change counts as durable, i.e. may be acknowledged (see <see cref="MqttPS.Core.Broker.Persistence.PersistenceDurability"/>).</summary>
        public MqttPS.Core.Broker.Persistence.PersistenceDurability PersistenceDurability { get; set; } = MqttPS.Core.Broker.Persistence.PersistenceDurability.PerMessage;

        /// <summary>mosquitto password_file to authenticate against (used when <see cref="Authenticator"/> is null).</summary>
        public string PasswordFile { get; set; }

        /// <summary>mosquitto acl_file of topic rules (used when <see cref="Authorizer"/> is null).</summary>
        public string AclFile { get; set; }

        /// <summary>How often the $SYS/broker tree is updated (mosquitto's sys_interval); zero = no $SYS topics.</summary>
        public TimeSpan SysInterval { get; set; } = TimeSpan.Zero;

        /// <summary>Bytes (payload and topic) queued per session at most, next to <see cref="MaxQueuedMessagesPerSession"/>
        /// (mosquitto's max_queued_bytes); 0 = unlimited. Overflow follows <see cref="QueueOverflowPolicy"/>.</summary>
        public long MaxQueuedBytesPerSession { get; set; }

        /// <summary>Maximum simultaneous connections from one IP address, counted from accept; 0 = unlimited.</summary>
        public int MaxConnectionsPerAddress { get; set; }

        /// <summary>Upper bound on a 5.0 session expiry interval the broker grants; 0xFFFFFFFF = no limit.</summary>
        public uint MaximumSessionExpiryInterval { get; set; } = uint.MaxValue;

        /// <summary>Retained messages kept at most; 0 = unlimited. A new topic beyond the limit is not retained.</summary>
        public int MaxRetainedMessages { get; set; }

        /// <summary>Optional persistence hooks (see <see cref="IMqttBrokerPersistence"/>).</summary>
        public IMqttBrokerPersistence Persistence { get; set; }

        /// <summary>Whether plain TCP connections run on the Linux epoll engine (see
        /// <see cref="Transport.Epoll.EpollEventLoop"/>); null: wherever it is supported. Tests set false to cover the
        /// .NET socket path, which Windows and macOS take.</summary>
        internal bool? UseEpollSockets { get; set; }
    }
}
