using System;
using System.Collections.Generic;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using MqttPS.Core.Broker.Persistence;

namespace MqttPS.Core.Shell
{
    /// <summary>Everything Start-MqttBroker takes, as plain values.</summary>
    public sealed class MqttBrokerSettings
    {
        public const int DefaultTlsPort = 8883;

        public string Name { get; set; }

        /// <summary>A mosquitto.conf file the broker is configured from; the parameters named in
        /// <see cref="GivenParameters"/> are applied over it.</summary>
        public string ConfigPath { get; set; }

        /// <summary>Where relative paths in the configuration file start (mosquitto: its working directory); null = the
        /// process's current directory.</summary>
        public string WorkingDirectory { get; set; }

        /// <summary>The Start-MqttBroker parameters given on the command line: with <see cref="ConfigPath"/>, only these
        /// change what the file says (the others keep the file's values, not the parameters' defaults).</summary>
        public ISet<string> GivenParameters { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

        internal bool Given(string parameter) => GivenParameters.Contains(parameter);
        public int Port { get; set; } = 1883;

        /// <summary>Loopback unless told otherwise: a shell-started broker with anonymous access should not be
        /// reachable from the network by accident (mosquitto 2 makes the same choice).</summary>
        public string BindAddress { get; set; } = "127.0.0.1";

        /// <summary>Server certificate for the TLS (and secure WebSocket) listeners: a PFX file, or a PEM file whose
        /// key is in <see cref="CertificateKeyPath"/> (or in the same file).</summary>
        public string CertificatePath { get; set; }
        public string CertificateKeyPath { get; set; }
        public string CertificatePassword { get; set; }

        /// <summary>A server certificate with its private key given as an object (instead of <see cref="CertificatePath"/>).</summary>
        public X509Certificate2 Certificate { get; set; }

        /// <summary>Port of the TLS listener; null = <see cref="DefaultTlsPort"/>. There is a TLS listener exactly when a
        /// certificate is given.</summary>
        public int? TlsPort { get; set; }

        /// <summary>TLS versions the TLS listeners accept; None: the system default (TLS 1.2 and 1.3 where .NET
        /// Framework refuses that).</summary>
        public System.Security.Authentication.SslProtocols TlsProtocols { get; set; }

        /// <summary>TLS listeners refuse clients without a certificate trusted by <see cref="ClientCaPath"/> (or the system store).</summary>
        public bool RequireClientCertificate { get; set; }

        /// <summary>PEM (or DER) file of the CAs trusted for client certificates.</summary>
        public string ClientCaPath { get; set; }

        /// <summary>The client certificate's Common Name becomes the client's user name (mosquitto's
        /// use_identity_as_username); needs <see cref="RequireClientCertificate"/>. Such clients need no password.</summary>
        public bool UseCertificateIdentityAsUsername { get; set; }

        /// <summary>Port of a plain WebSocket listener (ws://host:port/mqtt); null = none.</summary>
        public int? WebSocketPort { get; set; }

        /// <summary>Port of a secure WebSocket listener (wss://host:port/mqtt, needs a certificate); null = none.</summary>
        public int? SecureWebSocketPort { get; set; }

        /// <summary>User name to password, held in memory only; merged over <see cref="PasswordFilePath"/>'s users.</summary>
        public IList<KeyValuePair<string, string>> Users { get; } = new List<KeyValuePair<string, string>>();

        /// <summary>A mosquitto_passwd file of users allowed to connect.</summary>
        public string PasswordFilePath { get; set; }

        /// <summary>Null: anonymous clients are allowed exactly when there are no users (table or password file).</summary>
        public bool? AllowAnonymous { get; set; }

        public string AclPath { get; set; }
        public string PersistencePath { get; set; }
        /// <summary>With <see cref="PersistencePath"/>: when a stored message may be acknowledged; null = PerMessage.</summary>
        public PersistenceDurability? Durability { get; set; }

        /// <summary>Seconds between updates of the retained $SYS/broker/... topics; 0 = no $SYS topics.</summary>
        public int SysIntervalSeconds { get; set; } = DefaultSysIntervalSeconds;

        /// <summary>mosquitto's sys_interval default: the $SYS topics every MQTT tutorial subscribes to are there.</summary>
        public const int DefaultSysIntervalSeconds = 10;

        public int MaxConnections { get; set; }

        /// <summary>Longest keep alive a 5.0 client may use, announced as Server Keep Alive; null = no limit.</summary>
        public int? MaxKeepAlive { get; set; }

        /// <summary>QoS 1/2 messages in flight per client in each direction (announced as Receive Maximum); null = 20.</summary>
        public int? MaxInflightMessages { get; set; }

        /// <summary>Topic aliases a 5.0 client may use towards the broker; null = 10.</summary>
        public int? MaxTopicAlias { get; set; }

        /// <summary>Whether retained messages are supported; null = yes.</summary>
        public bool? RetainAvailable { get; set; }

        /// <summary>Whether clients may connect with an empty client id and get one assigned; null = yes.</summary>
        public bool? AllowZeroLengthClientId { get; set; }

        /// <summary>Bridges to remote brokers (-Bridge), next to those of the configuration file.</summary>
        public IList<MqttPS.Core.Broker.Bridges.MqttBridgeOptions> Bridges { get; } = new List<MqttPS.Core.Broker.Bridges.MqttBridgeOptions>();

        /// <summary>Messages queued per session (offline, or beyond the in-flight window); 0 = no limit; null = 1000.</summary>
        public int? MaxQueuedMessages { get; set; }

        /// <summary>Largest packet from a logged-in client (bytes); null = the engine default (protocol maximum).</summary>
        public uint? MaxPacketSize { get; set; }

        /// <summary>Largest CONNECT, the limit before login (bytes); null = the engine default (64 KiB).</summary>
        public uint? MaxConnectPacketSize { get; set; }

        public bool HasCertificate => Certificate != null || CertificatePath != null;
        public bool HasUsers => Users.Count > 0 || PasswordFilePath != null;

        public IPAddress ParseBindAddress()
        {
            if (string.Equals(BindAddress, "localhost", StringComparison.OrdinalIgnoreCase)) return IPAddress.Loopback;
            if (string.Equals(BindAddress, "*", StringComparison.Ordinal)) return IPAddress.Any;
            if (IPAddress.TryParse(BindAddress, out var address)) return address;
            throw new MqttShellException("InvalidBindAddress", ShellErrorCategory.InvalidArgument,
                "-BindAddress " + ShellText.Quote(BindAddress) + " is not an IP address (e.g. 127.0.0.1, 0.0.0.0, ::).", BindAddress);
        }

        /// <summary>Checks what can be checked without touching files: ranges, combinations, port clashes.</summary>
        public void Validate()
        {
            RequirePort(Port, "Port");
            if (TlsPort.HasValue) RequirePort(TlsPort.Value, "TlsPort");
            if (WebSocketPort.HasValue) RequirePort(WebSocketPort.Value, "WebSocketPort");
            if (SecureWebSocketPort.HasValue) RequirePort(SecureWebSocketPort.Value, "SecureWebSocketPort");
            ParseBindAddress();
            // Below 20 bytes not even a CONNECT with a short client id fits (mosquitto's max_packet_size has the same floor).
            foreach (var limit in new[] { new KeyValuePair<string, uint?>("MaxPacketSize", MaxPacketSize), new KeyValuePair<string, uint?>("MaxConnectPacketSize", MaxConnectPacketSize) })
                if (limit.Value.HasValue && limit.Value.Value > 0 && limit.Value.Value < 20)
                    throw new MqttShellException("PacketSizeTooSmall", ShellErrorCategory.InvalidArgument,
                        "-" + limit.Key + " " + limit.Value.Value + " is too small: give 0 (no limit of its own) or at least 20 bytes.", limit.Value.Value);
            if (CertificatePath != null && Certificate != null)
                throw new MqttShellException("CertificateConflict", ShellErrorCategory.InvalidArgument,
                    "Give the server certificate either as a file (-CertificatePath) or as an object (-Certificate), not both.", null);
            if (CertificatePath != null && !System.IO.File.Exists(CertificatePath))
                throw new MqttShellException("CertificateNotFound", ShellErrorCategory.ObjectNotFound, "The certificate file '" + CertificatePath + "' does not exist.", CertificatePath);
            if (SysIntervalSeconds < 0)
                throw new MqttShellException("InvalidSysInterval", ShellErrorCategory.InvalidArgument, "-SysIntervalSeconds " + SysIntervalSeconds + " is negative (0 turns $SYS topics off).", SysIntervalSeconds);
            if (MaxKeepAlive.HasValue) RequireRange(MaxKeepAlive.Value, 1, 65535, "MaxKeepAlive", "seconds");
            if (MaxInflightMessages.HasValue) RequireRange(MaxInflightMessages.Value, 1, 65535, "MaxInflightMessages", "messages");
            if (MaxTopicAlias.HasValue) RequireRange(MaxTopicAlias.Value, 0, 65535, "MaxTopicAlias", "aliases");
            if (MaxQueuedMessages.HasValue) RequireRange(MaxQueuedMessages.Value, 0, int.MaxValue, "MaxQueuedMessages", "messages (0: no limit)");
            // With a configuration file, the file may supply what a parameter needs (a certificate, users, a store):
            // those combinations are checked once both are merged (MosquittoConfigOverrides).
            if (ConfigPath != null) return;
            if (!HasCertificate)
            {
                var needsCertificate = TlsPort.HasValue ? "-TlsPort" : SecureWebSocketPort.HasValue ? "-SecureWebSocketPort"
                    : RequireClientCertificate ? "-RequireClientCertificate" : ClientCaPath != null ? "-ClientCaPath"
                    : CertificateKeyPath != null ? "-CertificateKeyPath"
                    : TlsProtocols != System.Security.Authentication.SslProtocols.None ? "-TlsProtocol" : null;
                if (needsCertificate != null)
                    throw new MqttShellException("CertificateRequired", ShellErrorCategory.InvalidArgument,
                        needsCertificate + " configures a TLS listener, which needs a server certificate: give -CertificatePath or -Certificate.", needsCertificate);
            }
            if (UseCertificateIdentityAsUsername && !RequireClientCertificate)
                throw new MqttShellException("ClientCertificateRequired", ShellErrorCategory.InvalidArgument,
                    "-UseCertificateIdentityAsUsername takes the user name from the client certificate, so it needs -RequireClientCertificate.", null);
            if (Durability.HasValue && PersistencePath == null)
                throw new MqttShellException("PersistencePathRequired", ShellErrorCategory.InvalidArgument,
                    "-Durability says how stored messages are flushed, and needs -PersistencePath (without it the broker stores nothing).", Durability.Value);
            if (AllowAnonymous == false && !HasUsers && !UseCertificateIdentityAsUsername)
                throw new MqttShellException("NoWayIn", ShellErrorCategory.InvalidArgument,
                    "-AllowAnonymous:$false without -Credential, -Users, -PasswordFile or -UseCertificateIdentityAsUsername would refuse every client; give users or allow anonymous access.", null);
            RequireDistinctPorts();
        }

        private static void RequireRange(int value, int minimum, int maximum, string parameter, string unit)
        {
            if (value < minimum || value > maximum)
                throw new MqttShellException("InvalidLimit", ShellErrorCategory.InvalidArgument,
                    "-" + parameter + " " + value + " is out of range: " + minimum + " to " + maximum + " " + unit + ".", value);
        }

        /// <summary>The listeners these settings ask for, main TCP listener first (the order the broker binds them).</summary>
        public IList<KeyValuePair<string, int>> RequestedPorts()
        {
            var ports = new List<KeyValuePair<string, int>> { new KeyValuePair<string, int>("Port", Port) };
            if (HasCertificate) ports.Add(new KeyValuePair<string, int>("TlsPort", TlsPort ?? DefaultTlsPort));
            if (WebSocketPort.HasValue) ports.Add(new KeyValuePair<string, int>("WebSocketPort", WebSocketPort.Value));
            if (SecureWebSocketPort.HasValue) ports.Add(new KeyValuePair<string, int>("SecureWebSocketPort", SecureWebSocketPort.Value));
            return ports;
        }

        // Two of our listeners on one port would both bind (the listeners set SO_REUSEADDR, SO_REUSEPORT on Linux) and
        // split the clients between them, so a clash is refused here.
        private void RequireDistinctPorts()
        {
            var seen = new Dictionary<int, string>();
            foreach (var p in RequestedPorts())
            {
                if (p.Value == 0) continue;
                if (seen.TryGetValue(p.Value, out var other))
                    throw new MqttShellException("PortConflict", ShellErrorCategory.InvalidArgument,
                        "-" + other + " and -" + p.Key + " both ask for port " + p.Value + "; each listener needs its own port.", p.Value);
                seen.Add(p.Value, p.Key);
            }
        }

        private static void RequirePort(int port, string parameter)
        {
            if (port < 0 || port > 65535)
                throw new MqttShellException("InvalidPort", ShellErrorCategory.InvalidArgument, "-" + parameter + " " + port + " is not a TCP port (0 picks a free one).", port);
        }
    }
}
