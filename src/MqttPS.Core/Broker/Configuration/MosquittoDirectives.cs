using System;
using System.Collections.Generic;
using System.Linq;

namespace MqttPS.Core.Broker.Configuration
{
    /// <summary>What MqttPS does with a mosquitto.conf directive.</summary>
    public enum MosquittoDirectiveStatus
    {
        /// <summary>Applied: the broker behaves as the directive says (the note names the counterpart).</summary>
        Mapped,

        /// <summary>Read and reported with a warning; it has no effect (the note says why that is harmless).</summary>
        Ignored,

        /// <summary>Reported as an error, and nothing starts: ignoring it would weaken security or leave the broker
        /// unable to do what the file asks (the note says why).</summary>
        Refused,
    }

    /// <summary>One directive of mosquitto 2.0's configuration file and what MqttPS does with it.</summary>
    public sealed class MosquittoDirective
    {
        internal MosquittoDirective(string name, MosquittoDirectiveStatus status, string note, Action<MosquittoConfigReader, ConfigLine> apply)
        {
            Name = name;
            Status = status;
            Note = note;
            Apply = apply;
        }

        /// <summary>The directive; a trailing '*' stands for a family (auth_opt_*).</summary>
        public string Name { get; }
        public MosquittoDirectiveStatus Status { get; }

        /// <summary>The counterpart (mapped), or why the directive is ignored or refused.</summary>
        public string Note { get; }

        internal Action<MosquittoConfigReader, ConfigLine> Apply { get; }

        public override string ToString() => Name + ": " + Status.ToString().ToLowerInvariant() + " (" + Note + ")";
    }

    /// <summary>
    /// Every directive mosquitto 2.0.11 knows (src/conf.c), with what MqttPS does with it and how it reads it: the one
    /// table the reader dispatches through and the documentation lists.
    /// </summary>
    public static class MosquittoDirectives
    {
        private static readonly MosquittoDirective[] Table = Build();
        private static readonly Dictionary<string, MosquittoDirective> ByName = Table.Where(d => !d.Name.EndsWith("*", StringComparison.Ordinal)).ToDictionary(d => d.Name, StringComparer.Ordinal);

        /// <summary>Every directive, in alphabetical order.</summary>
        public static IReadOnlyList<MosquittoDirective> All => Table;

        /// <summary>The directive of that name (or of that family, for auth_opt_... and plugin_opt_...), or null.</summary>
        public static MosquittoDirective Find(string name)
        {
            if (ByName.TryGetValue(name, out var directive)) return directive;
            foreach (var d in Table)
                if (d.Name.EndsWith("*", StringComparison.Ordinal) && name.StartsWith(d.Name.Substring(0, d.Name.Length - 1), StringComparison.Ordinal)) return d;
            return null;
        }

        private static MosquittoDirective[] Build()
        {
            var list = new List<MosquittoDirective>();
            void Mapped(string name, string note, Action<MosquittoConfigReader, ConfigLine> apply) => list.Add(new MosquittoDirective(name, MosquittoDirectiveStatus.Mapped, note, apply));
            void Ignored(string name, string note) => list.Add(new MosquittoDirective(name, MosquittoDirectiveStatus.Ignored, note, (r, l) => r.Warn(l, "ignored: " + note)));
            void Refused(string name, string note) => list.Add(new MosquittoDirective(name, MosquittoDirectiveStatus.Refused, note, (r, l) => r.Error(l, "not supported: " + note)));
            void Global(string name, string note, Func<MosquittoConfigReader, ConfigLine, bool> check) =>
                Mapped(name, note, (r, l) => { if (check(r, l)) r.Globals[name] = l; });
            void GlobalBool(string name, string note) => Global(name, note, (r, l) => r.TryBool(l, out _));
            void ListenerBool(string name, string note, Action<ConfigListener, bool> set) =>
                Mapped(name, note, (r, l) => { if (r.TryBool(l, out var v)) set(r.ListenerSetting(l), v); });
            void ListenerPath(string name, string note, Action<ConfigListener, string> set) =>
                Mapped(name, note, (r, l) => { if (r.SetOnce(r.Current.Lines, l)) set(r.ListenerSetting(l), r.ResolvePath(l.Rest)); });
            void SecurityPath(string name, string note, Action<ConfigSecurity, string> set) =>
                Mapped(name, note, (r, l) => { var s = r.SecurityFor(l); if (r.SetOnce(s.Lines, l)) set(s, r.ResolvePath(l.Rest)); });
            const string Security = "ignoring it would let in clients the file means to keep out";
            const string Tls = "ignoring it would make TLS weaker than the file asks";

            // ---------------------------------------------------------------- listeners
            Mapped("listener", "a listener: port and bind address (a host name binds its first address); port 0 with a Unix socket path is refused", (r, l) => r.AddListener(l));
            Mapped("port", "the default listener's port (deprecated in mosquitto 2.0, still honoured)", (r, l) =>
            {
                r.LocalOnly = false;
                if (r.TryInt(l, 1, 65535, null, out var port)) { r.DefaultListener.Port = (int)port; r.DefaultListener.Lines[l.Directive] = l; }
            });
            Mapped("bind_address", "the default listener's bind address (deprecated in mosquitto 2.0, still honoured)", (r, l) =>
            {
                r.LocalOnly = false;
                if (r.SetOnce(r.DefaultListener.Lines, l)) r.DefaultListener.Host = l.Rest;
            });
            Mapped("protocol", "mqtt: a TCP (or TLS) listener; websockets: a WebSocket (or secure WebSocket) listener that accepts any path; mqttsn is refused", (r, l) =>
            {
                if (!r.RequireValue(l)) return;
                switch (l.Words[0])
                {
                    case "mqtt": r.ListenerSetting(l).WebSockets = false; break;
                    case "websockets": r.ListenerSetting(l).WebSockets = true; break;
                    case "mqttsn": r.Error(l, "MQTT-SN is not supported (nor by mosquitto 2.0)"); break;
                    default: r.Error(l, "'" + l.Words[0] + "' is not a protocol (mqtt or websockets)"); break;
                }
            });
            Mapped("max_connections", "the listener's connection limit (CONNACK Server unavailable/busy beyond it); -1 = no limit", (r, l) =>
            {
                if (r.TryInt(l, int.MinValue, int.MaxValue, null, out var v)) r.ListenerSetting(l).MaxConnections = v < 0 ? -1 : (int)v;
            });
            Mapped("max_topic_alias", "the listener's Topic Alias Maximum for 5.0 clients", (r, l) =>
            {
                if (r.TryInt(l, 0, 65535, "aliases", out var v)) r.ListenerSetting(l).MaxTopicAlias = (int)v;
            });
            ListenerBool("use_username_as_clientid", "the client's user name replaces its client id on this listener", (s, v) => s.UseUsernameAsClientId = v);
            Mapped("bind_interface", "binds the listener to the interface's first IPv4 address (IPv6 when it has none); mosquitto uses SO_BINDTODEVICE", (r, l) =>
            {
                if (r.SetOnce(r.Current.Lines, l)) r.ListenerSetting(l).BindInterface = l.Rest;
            });
            Mapped("socket_domain", "ipv4: IPv4 only; ipv6: IPv6 only (without it a listener without address takes both)", (r, l) =>
            {
                if (!r.RequireValue(l)) return;
                if (l.Words[0] == "ipv4" || l.Words[0] == "ipv6") r.ListenerSetting(l).SocketDomain = l.Words[0];
                else r.Error(l, "'" + l.Words[0] + "' is not a socket domain (ipv4 or ipv6)");
            });
            Refused("mount_point", "topics are not prefixed per listener; " + Security.Replace("let in clients the file means to keep out", "let this listener's clients read and write every topic"));
            Ignored("max_qos", "clients may use QoS 0, 1 and 2 (there is no per-listener QoS limit)");
            Ignored("maximum_qos", "clients may use QoS 0, 1 and 2 (there is no per-listener QoS limit)");
            Ignored("http_dir", "WebSocket listeners do not serve files over HTTP");
            Ignored("websockets_headers_size", "the WebSocket handshake is read with its own bound (8 KiB)");
            Ignored("websockets_log_level", "there is no libwebsockets log; handshake failures are broker events");

            // ---------------------------------------------------------------- TLS (per listener)
            ListenerPath("certfile", "the listener's server certificate (PEM; a PFX file works too): the listener speaks TLS", (s, v) => s.CertFile = v);
            ListenerPath("keyfile", "the private key of certfile (unencrypted PEM)", (s, v) => s.KeyFile = v);
            ListenerPath("cafile", "the CAs trusted for client certificates", (s, v) => s.CaFile = v);
            ListenerPath("capath", "a directory whose certificate files (.pem, .crt, .cer) are trusted for client certificates", (s, v) => s.CaPath = v);
            ListenerBool("require_certificate", "clients must present a certificate trusted by cafile/capath; refused on a listener without TLS", (s, v) => s.RequireCertificate = v);
            ListenerBool("use_identity_as_username", "the client certificate's CN becomes the user name", (s, v) => s.UseIdentityAsUsername = v);
            ListenerBool("use_subject_as_username", "the client certificate's subject becomes the user name", (s, v) => s.UseSubjectAsUsername = v);
            Mapped("tls_version", "the oldest TLS version the listener accepts (tlsv1.3, tlsv1.2, tlsv1.1)", (r, l) =>
            {
                if (!r.RequireValue(l)) return;
                if (l.Words[0] == "tlsv1.3" || l.Words[0] == "tlsv1.2" || l.Words[0] == "tlsv1.1") r.ListenerSetting(l).TlsVersion = l.Words[0];
                else r.Error(l, "'" + l.Words[0] + "' is not a TLS version (tlsv1.3, tlsv1.2 or tlsv1.1)");
            });
            Mapped("tls_keyform", "pem (the default) is what keyfile holds; engine is refused", (r, l) =>
            {
                if (!r.RequireValue(l)) return;
                if (l.Words[0] == "engine") r.Error(l, "not supported: keys held by an OpenSSL engine cannot be used by .NET's TLS");
                else if (l.Words[0] != "pem") r.Error(l, "'" + l.Words[0] + "' is not a key form (pem or engine)");
            });
            Refused("ciphers", "the TLS 1.2 cipher list cannot be set for .NET's TLS on every platform; " + Tls);
            Refused("ciphers_tls1.3", "the TLS 1.3 cipher suites cannot be set for .NET's TLS on every platform; " + Tls);
            Refused("crlfile", "certificate revocation lists are not checked; ignoring it would let revoked client certificates in");
            Refused("psk_hint", "TLS-PSK is not available in .NET's TLS; the listener would run without the encryption the file asks for");
            Refused("tls_engine", "OpenSSL engines cannot be used by .NET's TLS");
            Refused("tls_engine_kpass_sha1", "OpenSSL engines cannot be used by .NET's TLS");
            Ignored("dhparamfile", "Diffie-Hellman parameters come from the operating system's TLS (ECDHE is preferred)");

            // ---------------------------------------------------------------- security (broker-wide, or per listener)
            Mapped("per_listener_settings", "true: every security directive applies to its listener only (each listener gets its own users, ACL and anonymous rule)", (r, l) =>
            {
                if (!r.TryBool(l, out var v)) return;
                if (v && r.FirstSecurityLine != null) r.Error(l, "must come before any other security setting (the first is at " + r.FirstSecurityLine + ")");
                else r.PerListenerSettings = v;
            });
            SecurityPath("password_file", "users and mosquitto_passwd hashes ($6$, $7$): loaded and checked before anything listens", (s, v) => s.PasswordFile = v);
            SecurityPath("acl_file", "topic rules in mosquitto's ACL format (user, topic, pattern with %u/%c)", (s, v) => s.AclFile = v);
            Mapped("allow_anonymous", "whether clients without a user name may connect (default false, except with no listener at all, as in mosquitto 2.0)", (r, l) =>
            {
                var s = r.SecurityFor(l);
                if (r.TryBool(l, out var v)) { s.AllowAnonymous = v; s.Lines[l.Directive] = l; }
            });
            Mapped("allow_zero_length_clientid", "whether empty client ids are given one (true) or refused", (r, l) =>
            {
                var s = r.SecurityFor(l);
                if (r.TryBool(l, out var v)) { s.AllowZeroLengthClientId = v; s.Lines[l.Directive] = l; }
            });
            Mapped("auto_id_prefix", "the start of assigned client ids", (r, l) =>
            {
                var s = r.SecurityFor(l);
                if (r.SetOnce(s.Lines, l)) s.AutoIdPrefix = l.Rest;
            });
            Refused("auth_plugin", "plugins are native mosquitto libraries and cannot be loaded; " + Security);
            Refused("plugin", "plugins are native mosquitto libraries and cannot be loaded; " + Security);
            Refused("auth_opt_*", "options of an auth plugin, which cannot be loaded; " + Security);
            Refused("plugin_opt_*", "options of a plugin, which cannot be loaded; " + Security);
            Refused("auth_plugin_deny_special_chars", "belongs to an auth plugin, which cannot be loaded; " + Security);
            Refused("psk_file", "TLS-PSK identities cannot be used by .NET's TLS; " + Security);
            Global("clientid_prefixes", "only client ids starting with this may connect (others: Not authorized)", (r, l) => r.SetOnce(r.Globals, l));
            Mapped("check_retain_source", "false (the default) is what MqttPS does; true is refused", (r, l) =>
            {
                if (r.TryBool(l, out var v) && v) r.Error(l, "not supported: retained messages are not re-checked against their publisher's ACL; ignoring it would deliver messages from clients that lost their rights");
            });

            // ---------------------------------------------------------------- limits and behaviour (broker-wide)
            Global("sys_interval", "seconds between $SYS/broker updates; 0 = none (mosquitto's default 10 applies when the file does not say)", (r, l) => r.TryInt(l, 0, 65535, "seconds", out _));
            Global("max_inflight_messages", "QoS 1/2 messages in flight per client, both directions (Receive Maximum to 5.0 clients); 0 = no limit", (r, l) => r.TryInt(l, 0, 65535, "messages", out _));
            Global("max_keepalive", "the longest keep alive a 5.0 client may use (announced as Server Keep Alive)", (r, l) => r.TryInt(l, 10, 65535, "seconds", out _));
            Global("max_packet_size", "the largest packet a client may send (Maximum Packet Size to 5.0 clients)", (r, l) => r.TryInt(l, 20, 268435460, "bytes", out _));
            Global("message_size_limit", "the largest payload a PUBLISH may carry; larger ones are dropped", (r, l) => r.TryInt(l, 0, 268435455, "bytes", out _));
            Global("max_queued_messages", "messages queued per session; 0 = no limit", (r, l) => r.TryInt(l, int.MinValue, int.MaxValue, null, out _));
            Global("max_queued_bytes", "payload bytes queued per session; 0 = no limit", (r, l) => r.TryInt(l, long.MinValue, long.MaxValue, null, out _));
            GlobalBool("queue_qos0_messages", "QoS 0 messages are queued for offline persistent sessions too");
            GlobalBool("retain_available", "false: retained messages are refused (0x9A)");
            GlobalBool("upgrade_outgoing_qos", "messages go out with the subscription's QoS");
            Global("persistent_client_expiration", "how long a session that never expires by itself is kept after its client left (e.g. 14d)", (r, l) => MosquittoConfigMapper.TryDuration(r, l, out _));
            Mapped("allow_duplicate_messages", "true (mosquitto's default) is what MqttPS does; false has no effect", (r, l) =>
            {
                if (r.TryBool(l, out var v) && !v) r.Warn(l, "ignored: a client with overlapping subscriptions gets a message once per matching subscription (as in MQTT 5.0)");
            });
            Mapped("set_tcp_nodelay", "Nagle's algorithm is always off on client sockets (true); false is ignored", (r, l) =>
            {
                if (r.TryBool(l, out var v) && !v) r.Warn(l, "ignored: client sockets always have TCP_NODELAY set");
            });
            Ignored("max_inflight_bytes", "in-flight messages are bounded by count (max_inflight_messages) and by the per-connection send buffer");
            Ignored("memory_limit", "there is no total memory limit; every queue is bounded (max_queued_messages, max_queued_bytes, the send buffer per connection)");
            Ignored("retry_interval", "removed in mosquitto 2.0 too: messages are re-sent on reconnect, as MQTT requires");

            // ---------------------------------------------------------------- persistence
            GlobalBool("persistence", "true: retained messages and persistent sessions are stored in persistence_location (written before QoS 1/2 acknowledgements)");
            Mapped("retained_persistence", "the same as persistence", (r, l) => { if (r.TryBool(l, out _)) r.Globals["persistence"] = l; });
            Global("persistence_location", "the directory of the store (MqttPS's own files; mosquitto.db is neither read nor written)", (r, l) => r.SetOnce(r.Globals, l));
            Ignored("persistence_file", "MqttPS keeps its own files in persistence_location and does not read or write mosquitto.db");
            Ignored("autosave_interval", "every change is written as it happens, not every N seconds");
            Ignored("autosave_on_changes", "every change is written as it happens");

            // ---------------------------------------------------------------- logging
            Mapped("log_type", "which broker events Start-MqttBroker -Wait writes (none, information/notice: connects, warning/error: drops, subscribe, unsubscribe, debug: publishes, all)", (r, l) =>
            {
                if (!r.RequireValue(l)) return;
                switch (l.Words[0])
                {
                    case "none": case "information": case "notice": case "warning": case "error": case "debug":
                    case "subscribe": case "unsubscribe": case "internal": case "websockets": case "all":
                        (r.LogTypes ?? (r.LogTypes = new List<ConfigLine>())).Add(l);
                        break;
                    default: r.Error(l, "'" + l.Words[0] + "' is not a log type"); break;
                }
            });
            GlobalBool("connection_messages", "false: -Wait does not write connects and disconnects");
            Ignored("log_dest", "broker events are PowerShell objects (Start-MqttBroker -Wait, or the broker's events); redirect them where you like");
            Ignored("log_facility", "there is no syslog output");
            Ignored("log_timestamp", "every event carries its Timestamp");
            Ignored("log_timestamp_format", "every event carries its Timestamp (format it with Get-Date -Format)");

            // ---------------------------------------------------------------- process
            Mapped("include_dir", "the *.conf files of the directory, in name order (main file only)", (r, l) => r.IncludeDirectory(l));
            Ignored("pid_file", "the broker runs inside PowerShell; $PID is its process id");
            Ignored("user", "the broker runs as the PowerShell session's user and changes no privileges");

            MosquittoBridgeDirectives.Add(list);
            return list.OrderBy(d => d.Name, StringComparer.Ordinal).ToArray();
        }
    }
}
