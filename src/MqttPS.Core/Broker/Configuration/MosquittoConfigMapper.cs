using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Security.Authentication;
using MqttPS.Core.Broker.Listeners;
using MqttPS.Core.Broker.Security;
using MqttPS.Core.Transport;

namespace MqttPS.Core.Broker.Configuration
{
    /// <summary>
    /// Turns what <see cref="MosquittoConfigReader"/> read into <see cref="MqttBrokerOptions"/>, with mosquitto 2.0's
    /// defaults where the file is silent, and loads everything the file names (certificates, CA files, password and ACL
    /// files) so that a problem is reported against the directive that named it, before anything listens.
    /// </summary>
    internal sealed class MosquittoConfigMapper
    {
        /// <summary>TLS 1.3; named in .NET Core 3.0 and later only, the value is the same everywhere.</summary>
        private const SslProtocols Tls13 = (SslProtocols)12288;

        private readonly MosquittoConfigReader _reader;

        public MosquittoConfigMapper(MosquittoConfigReader reader) { _reader = reader; }

        public MosquittoConfiguration Map()
        {
            var r = _reader;
            var options = new MqttBrokerOptions();
            var result = new MosquittoConfiguration { Options = options, PerListenerSettings = r.PerListenerSettings };

            var listeners = new List<ConfigListener>();
            var d = r.DefaultListener;
            // mosquitto creates its default listener only when something was set on it (port, bind_address, a TLS or
            // listener directive before the first listener line, or per-listener security on it).
            if (d.Lines.Count > 0 || (r.PerListenerSettings && (d.Security.PasswordFile != null || !d.Security.AllowZeroLengthClientId)))
            {
                if (d.Port == 0) d.Port = 1883;
                listeners.Add(d);
            }
            listeners.AddRange(r.Listeners);
            result.LocalOnly = listeners.Count == 0;
            // mosquitto 2.0: anonymous clients are refused unless allowed, except when no listener was configured.
            var anonymousByDefault = r.LocalOnly;
            if (listeners.Count == 0)
                options.Listeners.Add(new MqttListenerOptions { Kind = MqttListenerKind.Tcp, BindAddress = IPAddress.Loopback, Port = 1883 });
            foreach (var l in listeners)
            {
                var mapped = MapListener(l, anonymousByDefault);
                if (mapped != null) options.Listeners.Add(mapped);
            }

            if (!r.PerListenerSettings)
            {
                var s = r.GlobalSecurity;
                options.AllowAnonymous = s.AllowAnonymous ?? anonymousByDefault;
                options.AllowZeroLengthClientId = s.AllowZeroLengthClientId;
                options.AssignedClientIdPrefix = s.AutoIdPrefix ?? "auto-";
                result.PasswordFile = s.PasswordFile;
                result.AclFile = s.AclFile;
                var passwords = LoadPasswords(s);
                if (passwords != null) options.Authenticator = new MqttPasswordFileAuthenticator(passwords, options.AllowAnonymous);
                var acl = LoadAcl(s);
                if (acl != null) options.Authorizer = new MqttAclAuthorizer(acl);
            }
            else
            {
                options.AllowAnonymous = false;
                options.AssignedClientIdPrefix = "auto-";
            }

            MapGlobals(options);
            var localIds = new Dictionary<string, ConfigBridge>(StringComparer.Ordinal);
            foreach (var b in r.Bridges)
            {
                var bridge = MapBridge(b);
                if (bridge == null) continue;
                if (localIds.TryGetValue(bridge.ResolvedLocalClientId, out var other))
                {
                    r.Error(b.Source, "the bridge's local client id '" + bridge.ResolvedLocalClientId + "' is that of the bridge at " + other.Source + " (set local_clientid or remote_clientid on one of them)");
                    continue;
                }
                localIds.Add(bridge.ResolvedLocalClientId, b);
                options.Bridges.Add(bridge);
            }
            if (r.Globals.TryGetValue("persistence", out var persistence) && Bool(persistence))
                options.PersistencePath = r.Globals.TryGetValue("persistence_location", out var location) ? r.ResolvePath(location.Rest) : r.BaseDirectory;
            result.EventKinds = EventKinds();
            return result;
        }

        // ------------------------------------------------------------------ listeners

        private MqttListenerOptions MapListener(ConfigListener l, bool anonymousByDefault)
        {
            var r = _reader;
            var secure = l.CertFile != null;
            var options = new MqttListenerOptions
            {
                Kind = l.WebSockets ? (secure ? MqttListenerKind.SecureWebSocket : MqttListenerKind.WebSocket) : (secure ? MqttListenerKind.Tls : MqttListenerKind.Tcp),
                Port = l.Port,
                // mosquitto's WebSocket listeners answer on any path.
                Path = l.WebSockets ? null : "/mqtt",
                MaxConnections = l.MaxConnections < 0 ? 0 : l.MaxConnections,
                TopicAliasMaximum = l.MaxTopicAlias.HasValue ? (ushort?)l.MaxTopicAlias.Value : null,
                UseUsernameAsClientId = l.UseUsernameAsClientId,
            };
            options.BindAddress = BindAddressOf(l, out var ipv6Only);
            options.IPv6Only = ipv6Only;

            if (!secure)
            {
                // Without certfile the listener is plain: a TLS setting on it would silently do nothing.
                foreach (var tlsOnly in new[] { "require_certificate", "cafile", "capath", "keyfile", "use_identity_as_username", "use_subject_as_username", "tls_version" })
                {
                    if (!l.Lines.TryGetValue(tlsOnly, out var line)) continue;
                    if (tlsOnly == "require_certificate" && !l.RequireCertificate) continue;
                    if ((tlsOnly == "use_identity_as_username" && !l.UseIdentityAsUsername) || (tlsOnly == "use_subject_as_username" && !l.UseSubjectAsUsername)) continue;
                    r.Error(line, "needs certfile on the same listener (" + l.Describe() + " has no TLS); ignoring it would leave the listener without the protection it asks for");
                }
            }
            else
            {
                options.CertificatePath = l.CertFile;
                options.CertificateKeyPath = l.KeyFile;
                options.ClientCaFile = l.CaFile;
                options.ClientCaDirectory = l.CaPath;
                options.UseIdentityAsUsername = l.UseIdentityAsUsername;
                options.UseSubjectAsUsername = l.UseSubjectAsUsername;
                // mosquitto refuses a client without a certificate when the user name is to come from one.
                options.RequireClientCertificate = l.RequireCertificate || l.UseIdentityAsUsername || l.UseSubjectAsUsername;
                options.TlsProtocols = ProtocolsFrom(l.TlsVersion);
                CheckTls(l, options);
            }

            if (_reader.PerListenerSettings)
            {
                var s = l.Security;
                var allowAnonymous = s.AllowAnonymous ?? false;
                var passwords = LoadPasswords(s);
                options.Authenticator = passwords != null ? new MqttPasswordFileAuthenticator(passwords, allowAnonymous) : (IMqttBrokerAuthenticator)new AllowAllAuthenticator(allowAnonymous);
                var acl = LoadAcl(s);
                options.Authorizer = acl != null ? new MqttAclAuthorizer(acl) : (IMqttBrokerAuthorizer)AllowAllAuthorizer.Instance;
                options.AllowZeroLengthClientId = s.AllowZeroLengthClientId;
                options.AssignedClientIdPrefix = s.AutoIdPrefix ?? "auto-";
            }
            return options;
        }

        private IPAddress BindAddressOf(ConfigListener l, out bool ipv6Only)
        {
            ipv6Only = false;
            if (l.BindInterface != null)
            {
                var nic = NetworkInterface.GetAllNetworkInterfaces().FirstOrDefault(n => n.Name == l.BindInterface);
                if (nic == null)
                {
                    _reader.Error(l.Lines["bind_interface"], "there is no network interface '" + l.BindInterface + "'");
                    return IPAddress.Loopback;
                }
                var addresses = nic.GetIPProperties().UnicastAddresses.Select(a => a.Address).ToList();
                var chosen = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault();
                if (chosen == null) _reader.Error(l.Lines["bind_interface"], "the interface '" + l.BindInterface + "' has no address");
                return chosen ?? IPAddress.Loopback;
            }
            if (l.Host != null)
            {
                var where = l.Source ?? l.Lines["bind_address"];
                if (IPAddress.TryParse(l.Host, out var literal)) return literal;
                try
                {
                    var resolved = Dns.GetHostAddresses(l.Host);
                    var first = resolved.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? resolved.FirstOrDefault();
                    if (first != null) return first;
                    _reader.Error(where, "the bind address '" + l.Host + "' resolves to no address");
                }
                catch (SocketException e)
                {
                    _reader.Error(where, "the bind address '" + l.Host + "' cannot be resolved: " + e.Message);
                }
                return IPAddress.Loopback;
            }
            switch (l.SocketDomain)
            {
                case "ipv4": return IPAddress.Any;
                case "ipv6": ipv6Only = true; return IPAddress.IPv6Any;
                default: return Socket.OSSupportsIPv6 ? IPAddress.IPv6Any : IPAddress.Any;
            }
        }

        private static SslProtocols ProtocolsFrom(string version)
        {
            switch (version)
            {
                case "tlsv1.3": return Tls13;
#pragma warning disable CS0618, SYSLIB0039 // TLS 1.1 only when the file explicitly allows it, as mosquitto does
                case "tlsv1.1": return SslProtocols.Tls11 | SslProtocols.Tls12 | Tls13;
#pragma warning restore CS0618, SYSLIB0039
                case "tlsv1.2": return SslProtocols.Tls12 | Tls13;
                default: return SslProtocols.None;
            }
        }

        /// <summary>Loads the certificate, key and CA files now, so a bad one is reported at its directive.</summary>
        private void CheckTls(ConfigListener l, MqttListenerOptions options)
        {
            var certLine = l.Lines["certfile"];
            if (!File.Exists(l.CertFile)) { _reader.Error(certLine, "the certificate file '" + l.CertFile + "' does not exist"); return; }
            if (l.KeyFile != null && !File.Exists(l.KeyFile)) { _reader.Error(l.Lines["keyfile"], "the key file '" + l.KeyFile + "' does not exist"); return; }
            try
            {
                options.Certificate = new MqttTlsHandshaker(new MqttListenerOptions { CertificatePath = l.CertFile, CertificateKeyPath = l.KeyFile }).ServerCertificate;
            }
            catch (Exception e) when (!(e is OutOfMemoryException))
            {
                _reader.Error(l.KeyFile != null ? l.Lines["keyfile"] : certLine, "the server certificate cannot be loaded: " + e.Message.TrimEnd('.'));
                return;
            }
            if (l.CaFile != null)
            {
                if (!File.Exists(l.CaFile)) _reader.Error(l.Lines["cafile"], "the CA file '" + l.CaFile + "' does not exist");
                else
                {
                    try { PemCertificates.LoadCertificates(l.CaFile); }
                    catch (Exception e) when (!(e is OutOfMemoryException)) { _reader.Error(l.Lines["cafile"], "the CA file cannot be read: " + e.Message.TrimEnd('.')); }
                }
            }
            if (l.CaPath != null && !Directory.Exists(l.CaPath)) _reader.Error(l.Lines["capath"], "the CA directory '" + l.CaPath + "' does not exist");
        }

        // ------------------------------------------------------------------ bridges

        private Bridges.MqttBridgeOptions MapBridge(ConfigBridge b)
        {
            var r = _reader;
            var o = b.Options;
            var ok = true;
            if (o.Addresses.Count == 0) { r.Error(b.Source, "the bridge '" + o.Name + "' has no address (mosquitto refuses it too)"); ok = false; }
            if (o.Topics.Count == 0) { r.Error(b.Source, "the bridge '" + o.Name + "' has no topic (mosquitto refuses it too)"); ok = false; }
            var tls = b.CaFile != null || b.CaPath != null;
            if (!tls)
            {
                // mosquitto uses TLS for a bridge only with a CA: these would silently connect without it.
                foreach (var tlsOnly in new[] { "bridge_certfile", "bridge_keyfile", "bridge_tls_version", "bridge_insecure" })
                {
                    if (!b.Lines.TryGetValue(tlsOnly, out var line) || (tlsOnly == "bridge_insecure" && !b.Insecure)) continue;
                    r.Error(line, "needs bridge_cafile or bridge_capath on the same bridge: without a CA the bridge would connect without TLS, as mosquitto's does");
                    ok = false;
                }
            }
            else
            {
                if (b.CaFile != null && !File.Exists(b.CaFile)) { r.Error(b.Lines["bridge_cafile"], "the CA file '" + b.CaFile + "' does not exist"); ok = false; }
                if (b.CaPath != null && !Directory.Exists(b.CaPath)) { r.Error(b.Lines["bridge_capath"], "the CA directory '" + b.CaPath + "' does not exist"); ok = false; }
                o.Tls = new MqttTlsOptions
                {
                    CaFile = b.CaFile,
                    CaDirectory = b.CaPath,
                    ClientCertificatePath = b.CertFile,
                    ClientCertificateKeyPath = b.KeyFile,
                    IgnoreHostNameMismatch = b.Insecure,
                    Protocols = ProtocolsFrom(b.TlsVersion),
                };
                if (b.CertFile != null)
                {
                    try { PemCertificates.LoadClientCertificate(o.Tls); }
                    catch (Exception e) when (!(e is OutOfMemoryException))
                    {
                        r.Error(b.KeyFile != null ? b.Lines["bridge_keyfile"] : b.Lines["bridge_certfile"], "the bridge's client certificate cannot be loaded: " + e.Message.TrimEnd('.'));
                        ok = false;
                    }
                }
                for (var i = 0; i < o.Addresses.Count; i++) o.Addresses[i] = new MqttBrokerAddress(o.Addresses[i].Host, o.Addresses[i].Port, MqttTransportKind.Tls);
            }
            if (!ok) return null;
            try
            {
                o.Validate();
            }
            catch (ArgumentException e)
            {
                r.Error(b.Source, e.Message);
                return null;
            }
            return o;
        }

        // ------------------------------------------------------------------ security files

        private PasswordFile LoadPasswords(ConfigSecurity s)
        {
            if (s.PasswordFile == null) return null;
            return LoadFile(s.Lines["password_file"], s.PasswordFile, "password file", PasswordFile.Load);
        }

        private AclFile LoadAcl(ConfigSecurity s)
        {
            if (s.AclFile == null) return null;
            return LoadFile(s.Lines["acl_file"], s.AclFile, "ACL file", AclFile.Load);
        }

        private T LoadFile<T>(ConfigLine line, string path, string what, Func<string, T> load) where T : class
        {
            if (!File.Exists(path))
            {
                _reader.Error(line, "the " + what + " '" + path + "' does not exist");
                return null;
            }
            try
            {
                return load(path);
            }
            catch (FormatException e)
            {
                // The parsers say "<path> line N: problem".
                _reader.Error(line, "the " + what + " is not valid: " + e.Message);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                _reader.Error(line, "the " + what + " '" + path + "' cannot be read: " + e.Message);
            }
            return null;
        }

        // ------------------------------------------------------------------ broker-wide settings

        private void MapGlobals(MqttBrokerOptions o)
        {
            var g = _reader.Globals;
            // mosquitto publishes $SYS every 10 s unless told otherwise.
            o.SysInterval = TimeSpan.FromSeconds(g.TryGetValue("sys_interval", out var sys) ? Int(sys) : 10);
            if (g.TryGetValue("max_inflight_messages", out var inflight))
            {
                var n = Int(inflight);
                o.ReceiveMaximum = o.MaxInflightMessages = n == 0 ? (ushort)65535 : (ushort)n;
            }
            if (g.TryGetValue("max_keepalive", out var keepAlive)) o.MaximumKeepAlive = (ushort)Int(keepAlive);
            if (g.TryGetValue("max_packet_size", out var packet)) o.MaximumPacketSize = (uint)Int(packet);
            if (g.TryGetValue("message_size_limit", out var payload)) o.MaximumPayloadSize = (int)Int(payload);
            if (g.TryGetValue("max_queued_messages", out var queued)) o.MaxQueuedMessagesPerSession = (int)Math.Max(0, Int(queued));
            if (g.TryGetValue("max_queued_bytes", out var bytes)) o.MaxQueuedBytesPerSession = Math.Max(0, Int(bytes));
            if (g.TryGetValue("queue_qos0_messages", out var qos0)) o.QueueQoS0Messages = Bool(qos0);
            if (g.TryGetValue("retain_available", out var retain)) o.RetainAvailable = Bool(retain);
            if (g.TryGetValue("upgrade_outgoing_qos", out var upgrade)) o.UpgradeOutgoingQoS = Bool(upgrade);
            if (g.TryGetValue("clientid_prefixes", out var prefix)) o.ClientIdPrefix = prefix.Rest;
            if (g.TryGetValue("persistent_client_expiration", out var expiration) && TryDuration(_reader, expiration, out var duration)) o.PersistentClientExpiration = duration;
        }

        private static long Int(ConfigLine line) => long.Parse(line.Words[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);

        private static bool Bool(ConfigLine line) => line.Words[0] == "true" || line.Words[0] == "1";

        /// <summary>mosquitto's durations: a number and h, d, w, m (30 days) or y (365 days).</summary>
        internal static bool TryDuration(MosquittoConfigReader reader, ConfigLine line, out TimeSpan duration)
        {
            duration = TimeSpan.Zero;
            if (!reader.RequireValue(line)) return false;
            var text = line.Words[0];
            long unit;
            switch (text[text.Length - 1])
            {
                case 'h': unit = 3600; break;
                case 'd': unit = 86400; break;
                case 'w': unit = 86400 * 7; break;
                case 'm': unit = 86400 * 30; break;
                case 'y': unit = 86400 * 365; break;
                default:
                    reader.Error(line, "'" + text + "' is not a duration (a number and h, d, w, m or y, e.g. 14d)");
                    return false;
            }
            if (!long.TryParse(text.Substring(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count <= 0 || count > int.MaxValue / unit)
            {
                reader.Error(line, "'" + text + "' is not a duration (a positive number and h, d, w, m or y, e.g. 14d)");
                return false;
            }
            duration = TimeSpan.FromSeconds(count * unit);
            return true;
        }

        /// <summary>log_type and connection_messages as the broker event kinds -Wait writes; null when neither is set.</summary>
        private IReadOnlyList<MqttBrokerEventKind> EventKinds()
        {
            var g = _reader.Globals;
            var hasConnectionMessages = g.TryGetValue("connection_messages", out var connectionMessages);
            if (_reader.LogTypes == null && !hasConnectionMessages) return null;
            var kinds = new HashSet<MqttBrokerEventKind>();
            // mosquitto's default log_type: error, warning, notice and information.
            var types = _reader.LogTypes?.Select(l => l.Words[0]).ToList() ?? new List<string> { "error", "warning", "notice", "information" };
            foreach (var type in types)
            {
                switch (type)
                {
                    case "none": kinds.Clear(); break;
                    case "all": foreach (MqttBrokerEventKind k in Enum.GetValues(typeof(MqttBrokerEventKind))) kinds.Add(k); break;
                    case "information":
                    case "notice": kinds.Add(MqttBrokerEventKind.ClientConnected); kinds.Add(MqttBrokerEventKind.ClientDisconnected); break;
                    case "warning":
                    case "error": kinds.Add(MqttBrokerEventKind.MessageDropped); break;
                    case "subscribe": kinds.Add(MqttBrokerEventKind.SubscriptionAdded); break;
                    case "unsubscribe": kinds.Add(MqttBrokerEventKind.SubscriptionRemoved); break;
                    case "debug": kinds.Add(MqttBrokerEventKind.MessagePublished); kinds.Add(MqttBrokerEventKind.RetainedMessageChanged); break;
                }
            }
            if (hasConnectionMessages && !Bool(connectionMessages))
            {
                kinds.Remove(MqttBrokerEventKind.ClientConnected);
                kinds.Remove(MqttBrokerEventKind.ClientDisconnected);
            }
            return kinds.OrderBy(k => k).ToList();
        }
    }
}
