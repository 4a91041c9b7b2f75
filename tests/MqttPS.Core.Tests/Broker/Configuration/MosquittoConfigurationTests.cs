using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Security.Authentication;
using System.Threading.Tasks;
using MqttPS.Core.Broker;
using MqttPS.Core.Broker.Configuration;
using MqttPS.Core.Broker.Security;
using MqttPS.Core.Tests.Infrastructure;
using Xunit;

namespace MqttPS.Core.Tests.Broker.Configuration
{
    /// <summary>Reading mosquitto.conf files: every directive accounted for, mapping, defaults, and the errors and
    /// warnings with file, line and directive.</summary>
    public sealed class MosquittoConfigurationTests : IDisposable
    {
        /// <summary>Every directive mosquitto 2.0.11 reads (src/conf.c, config__read_file_core), for the completeness check.</summary>
        internal static readonly string[] Mosquitto2011Directives =
        {
            "acl_file", "address", "addresses", "allow_anonymous", "allow_duplicate_messages", "allow_zero_length_clientid", "auth_opt_*",
            "auth_plugin", "auth_plugin_deny_special_chars", "auto_id_prefix", "autosave_interval", "autosave_on_changes", "bind_address",
            "bind_interface", "bridge_alpn", "bridge_attempt_unsubscribe", "bridge_bind_address", "bridge_cafile", "bridge_capath",
            "bridge_certfile", "bridge_identity", "bridge_insecure", "bridge_keyfile", "bridge_max_packet_size", "bridge_outgoing_retain",
            "bridge_protocol_version", "bridge_psk", "bridge_require_ocsp", "bridge_tls_version", "cafile", "capath", "certfile",
            "check_retain_source", "ciphers", "ciphers_tls1.3", "cleansession", "clientid", "clientid_prefixes", "connection",
            "connection_messages", "crlfile", "dhparamfile", "http_dir", "idle_timeout", "include_dir", "keepalive_interval", "keyfile",
            "listener", "local_cleansession", "local_clientid", "local_password", "local_username", "log_dest", "log_facility",
            "log_timestamp", "log_timestamp_format", "log_type", "max_connections", "max_inflight_bytes", "max_inflight_messages",
            "max_keepalive", "max_packet_size", "max_qos", "max_queued_bytes", "max_queued_messages", "max_topic_alias", "maximum_qos",
            "memory_limit", "message_size_limit", "mount_point", "notification_topic", "notifications", "notifications_local_only",
            "password", "password_file", "per_listener_settings", "persistence", "persistence_file", "persistence_location",
            "persistent_client_expiration", "pid_file", "plugin", "plugin_opt_*", "port", "protocol", "psk_file", "psk_hint",
            "queue_qos0_messages", "remote_clientid", "remote_password", "remote_username", "require_certificate", "restart_timeout",
            "retain_available", "retained_persistence", "retry_interval", "round_robin", "set_tcp_nodelay", "socket_domain", "start_type",
            "sys_interval", "threshold", "tls_engine", "tls_engine_kpass_sha1", "tls_keyform", "tls_version", "topic", "try_private",
            "upgrade_outgoing_qos", "use_identity_as_username", "use_subject_as_username", "use_username_as_clientid", "user", "username",
            "websockets_headers_size", "websockets_log_level",
        };

        private readonly string _dir = Path.Combine(Path.GetTempPath(), "mqttps-conf-" + Guid.NewGuid().ToString("N"));

        public MosquittoConfigurationTests() => Directory.CreateDirectory(_dir);

        public void Dispose() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

        private string Write(string name, params string[] lines)
        {
            var path = Path.Combine(_dir, name);
            Directory.CreateDirectory(Path.GetDirectoryName(path));
            File.WriteAllLines(path, lines);
            return path;
        }

        private MosquittoConfiguration Load(params string[] lines) => MosquittoConfiguration.Load(Write("mosquitto.conf", lines), _dir);

        private List<ConfigDiagnostic> Errors(params string[] lines) =>
            Assert.Throws<MosquittoConfigException>(() => Load(lines)).Errors.ToList();

        private string PasswordFileWith(string user, string password)
        {
            var file = new PasswordFile();
            file.SetPassword(user, password, 1000);
            var path = Path.Combine(_dir, "passwd-" + user);
            file.Save(path);
            return path;
        }

        [Fact]
        public void Every_mosquitto_2_0_11_directive_has_a_status_and_a_reader()
        {
            foreach (var name in Mosquitto2011Directives)
            {
                var probe = name.EndsWith("*") ? name.TrimEnd('*') + "key" : name;
                var directive = MosquittoDirectives.Find(probe);
                Assert.True(directive != null, name + " is not in the directive table");
                Assert.False(string.IsNullOrWhiteSpace(directive.Note), name + " has no note");
            }
            Assert.Equal(Mosquitto2011Directives.OrderBy(n => n, StringComparer.Ordinal), MosquittoDirectives.All.Select(d => d.Name));
        }

        [Fact]
        public void Listeners_comments_blank_lines_and_tabs_are_read_as_mosquitto_reads_them()
        {
            var c = Load("# comment", "", "listener 1883 127.0.0.1", "   # indented comment", "listener\t8080", "protocol websockets", "allow_anonymous true");
            var listeners = c.Options.Listeners;
            Assert.Equal(2, listeners.Count);
            Assert.Equal(MqttListenerKind.Tcp, listeners[0].Kind);
            Assert.Equal(IPAddress.Loopback, listeners[0].BindAddress);
            Assert.Equal(1883, listeners[0].Port);
            Assert.Equal(MqttListenerKind.WebSocket, listeners[1].Kind);
            Assert.Equal(8080, listeners[1].Port);
            Assert.Null(listeners[1].Path); // any path, as mosquitto's WebSocket listeners
            Assert.True(c.Options.AllowAnonymous);
            Assert.Empty(c.Warnings);
            Assert.False(c.LocalOnly);
        }

        [Fact]
        public void Without_a_listener_the_broker_is_local_only_with_anonymous_access_as_mosquitto_2()
        {
            var c = Load("max_queued_messages 50");
            Assert.True(c.LocalOnly);
            var only = Assert.Single(c.Options.Listeners);
            Assert.Equal(IPAddress.Loopback, only.BindAddress);
            Assert.Equal(1883, only.Port);
            Assert.True(c.Options.AllowAnonymous);
            Assert.Equal(50, c.Options.MaxQueuedMessagesPerSession);
        }

        [Fact]
        public void With_a_listener_anonymous_clients_are_refused_unless_allowed_and_sys_defaults_to_10_seconds()
        {
            var c = Load("listener 1883");
            Assert.False(c.Options.AllowAnonymous);
            Assert.Equal(TimeSpan.FromSeconds(10), c.Options.SysInterval);
            Assert.Equal("auto-", c.Options.AssignedClientIdPrefix);
            Assert.Equal(System.Net.Sockets.Socket.OSSupportsIPv6 ? IPAddress.IPv6Any : IPAddress.Any, c.Options.Listeners[0].BindAddress);
        }

        [Fact]
        public void Port_and_bind_address_make_the_default_listener_and_socket_domain_narrows_it()
        {
            var c = Load("port 1884", "bind_address 127.0.0.1", "listener 1885", "socket_domain ipv4", "listener 1886", "socket_domain ipv6", "allow_anonymous true");
            Assert.Equal(new[] { 1884, 1885, 1886 }, c.Options.Listeners.Select(l => l.Port));
            Assert.Equal(IPAddress.Loopback, c.Options.Listeners[0].BindAddress);
            Assert.Equal(IPAddress.Any, c.Options.Listeners[1].BindAddress);
            Assert.Equal(IPAddress.IPv6Any, c.Options.Listeners[2].BindAddress);
            Assert.True(c.Options.Listeners[2].IPv6Only);
        }

        [Fact]
        public void Bind_interface_binds_the_interfaces_address()
        {
            var c = Load("listener 1883", "bind_interface lo");
            Assert.Equal(IPAddress.Loopback, c.Options.Listeners[0].BindAddress);
            var e = Assert.Single(Errors("listener 1883", "bind_interface no-such-nic0"));
            Assert.Contains("no network interface 'no-such-nic0'", e.Message);
        }

        [Fact]
        public async Task Tls_directives_make_a_tls_listener_with_the_files_loaded_now()
        {
            var pki = await TestCertificates.GetAsync();
            var c = Load("listener 8883", "certfile " + pki.ServerCert, "keyfile " + pki.ServerKey, "cafile " + pki.CaCert, "require_certificate true",
                "use_identity_as_username true", "tls_version tlsv1.2", "listener 8884", "protocol websockets", "certfile " + pki.ServerCert, "keyfile " + pki.ServerKey);
            var tls = c.Options.Listeners[0];
            Assert.Equal(MqttListenerKind.Tls, tls.Kind);
            Assert.NotNull(tls.Certificate);
            Assert.Equal(pki.CaCert, tls.ClientCaFile);
            Assert.True(tls.RequireClientCertificate);
            Assert.True(tls.UseIdentityAsUsername);
            Assert.Equal(SslProtocols.Tls12 | (SslProtocols)12288, tls.TlsProtocols);
            Assert.Equal(MqttListenerKind.SecureWebSocket, c.Options.Listeners[1].Kind);
        }

        [Fact]
        public void Tls_directives_on_a_listener_without_certfile_are_errors_at_their_line()
        {
            var errors = Errors("listener 1883", "require_certificate true", "cafile /etc/ca.crt", "use_identity_as_username true");
            Assert.Equal(new[] { 2, 3, 4 }, errors.Select(e => e.Line).OrderBy(n => n));
            Assert.All(errors, e => Assert.Contains("needs certfile", e.Message));
            Assert.Contains(errors, e => e.Directive == "require_certificate");
        }

        [Fact]
        public void A_missing_or_malformed_certificate_key_or_password_file_is_reported_at_its_directive()
        {
            var bad = Write("bad.crt", "not a certificate");
            var errors = Errors("listener 8883", "certfile " + bad, "password_file /nonexistent/passwd", "acl_file " + Write("acl", "permit everything"));
            Assert.Contains(errors, e => e.Directive == "certfile" && e.Line == 2 && e.Message.Contains("cannot be loaded"));
            Assert.Contains(errors, e => e.Directive == "password_file" && e.Line == 3 && e.Message.Contains("does not exist"));
            Assert.Contains(errors, e => e.Directive == "acl_file" && e.Line == 4 && e.Message.Contains("line 1"));
        }

        [Fact]
        public void Security_weakening_and_unknown_directives_unknown_values_and_ranges_stop_everything_with_every_problem_listed()
        {
            var e = Assert.Throws<MosquittoConfigException>(() => Load(
                "listener 1883", "auth_plugin /usr/lib/x.so", "auth_opt_db sqlite", "psk_file /etc/psk", "mount_point tenant/", "crlfile /etc/crl.pem",
                "ciphers HIGH", "check_retain_source true", "alow_anonymous true", "max_keepalive 5", "sys_interval -1", "allow_anonymous maybe",
                "protocol mqttsn", "persistent_client_expiration 14x", "listener 0"));
            var byLine = e.Errors.ToDictionary(d => d.Line);
            Assert.Equal(Enumerable.Range(2, 14), byLine.Keys.OrderBy(n => n));
            Assert.Contains("plugins are native mosquitto libraries", byLine[2].Message);
            Assert.Contains("unknown directive", byLine[9].Message);
            Assert.Equal("alow_anonymous", byLine[9].Directive);
            Assert.Contains("out of range: 10 to 65535 seconds", byLine[10].Message);
            Assert.Contains("out of range: 0 to 65535", byLine[11].Message);
            Assert.Contains("true or false", byLine[12].Message);
            Assert.Contains("Unix socket path", byLine[15].Message);
            Assert.StartsWith(Path.Combine(_dir, "mosquitto.conf") + ":2: auth_plugin: ", byLine[2].ToString());
        }

        [Fact]
        public void Directives_without_effect_are_warnings_with_file_line_and_directive_and_the_broker_still_starts()
        {
            var c = Load("listener 1883", "allow_anonymous true", "pid_file /run/mosquitto.pid", "user mosquitto", "log_dest syslog", "autosave_interval 60", "max_qos 1");
            Assert.Equal(new[] { "pid_file", "user", "log_dest", "autosave_interval", "max_qos" }, c.Warnings.Select(w => w.Directive));
            Assert.All(c.Warnings, w => Assert.Equal(ConfigDiagnosticLevel.Warning, w.Level));
            Assert.Equal(3, c.Warnings[0].Line);
        }

        [Fact]
        public void A_string_directive_given_twice_in_one_scope_is_an_error_as_in_mosquitto()
        {
            var e = Assert.Single(Errors("listener 1883", "password_file /a", "password_file /b"), d => d.Line == 3);
            Assert.Contains("set twice for the same scope (first at ", e.Message);
        }

        [Fact]
        public void Global_limits_persistence_and_logging_are_mapped()
        {
            var c = Load("listener 1883", "allow_anonymous true", "max_inflight_messages 7", "max_keepalive 30", "max_packet_size 2048", "message_size_limit 1000",
                "max_queued_messages 10", "max_queued_bytes 4096", "queue_qos0_messages true", "retain_available false", "upgrade_outgoing_qos true",
                "clientid_prefixes plant1-", "persistent_client_expiration 2d", "persistence true", "persistence_location store/", "sys_interval 0",
                "allow_zero_length_clientid false", "auto_id_prefix gen-", "log_type subscribe", "log_type debug", "connection_messages false");
            var o = c.Options;
            Assert.Equal((ushort)7, o.ReceiveMaximum);
            Assert.Equal((ushort)7, o.MaxInflightMessages);
            Assert.Equal((ushort)30, o.MaximumKeepAlive);
            Assert.Equal(2048u, o.MaximumPacketSize);
            Assert.Equal(1000, o.MaximumPayloadSize);
            Assert.Equal(10, o.MaxQueuedMessagesPerSession);
            Assert.Equal(4096, o.MaxQueuedBytesPerSession);
            Assert.True(o.QueueQoS0Messages);
            Assert.False(o.RetainAvailable);
            Assert.True(o.UpgradeOutgoingQoS);
            Assert.Equal("plant1-", o.ClientIdPrefix);
            Assert.Equal(TimeSpan.FromDays(2), o.PersistentClientExpiration);
            Assert.Equal(Path.Combine(_dir, "store") + Path.DirectorySeparatorChar, o.PersistencePath);
            Assert.Equal(TimeSpan.Zero, o.SysInterval);
            Assert.False(o.AllowZeroLengthClientId);
            Assert.Equal("gen-", o.AssignedClientIdPrefix);
            Assert.Equal(new[] { MqttBrokerEventKind.SubscriptionAdded, MqttBrokerEventKind.MessagePublished, MqttBrokerEventKind.RetainedMessageChanged }.OrderBy(k => k), c.EventKinds);
        }

        [Fact]
        public void Max_inflight_messages_0_means_no_limit_and_persistence_without_location_uses_the_working_directory()
        {
            var o = Load("listener 1883", "max_inflight_messages 0", "persistence true").Options;
            Assert.Equal((ushort)65535, o.ReceiveMaximum);
            Assert.Equal(_dir, o.PersistencePath);
        }

        [Fact]
        public void Include_dir_reads_conf_files_in_name_order_each_from_the_default_listener()
        {
            Write("conf.d/20-second.conf", "listener 2002", "max_connections 5");
            Write("conf.d/10-first.conf", "listener 2001", "include_dir elsewhere");
            Write("conf.d/ignored.txt", "listener 2999");
            var c = Load("listener 2000", "include_dir conf.d", "max_topic_alias 3", "allow_anonymous true");
            Assert.Equal(new[] { 2000, 2001, 2002 }, c.Options.Listeners.Select(l => l.Port));
            Assert.Equal(5, c.Options.Listeners[2].MaxConnections);
            // Back in the main file, listener directives apply to its own last listener again.
            Assert.Equal((ushort)3, c.Options.Listeners[0].TopicAliasMaximum);
            var nested = Assert.Single(c.Warnings);
            Assert.EndsWith("10-first.conf", nested.File);
            Assert.Equal(2, nested.Line);
        }

        [Fact]
        public void Per_listener_settings_give_each_listener_its_own_users_acl_and_anonymous_rule()
        {
            var acl = Write("acl-b", "user bob", "topic readwrite b/#");
            var c = Load("per_listener_settings true", "listener 1883", "allow_anonymous true", "listener 1884", "password_file " + PasswordFileWith("bob", "builder"),
                "acl_file " + acl, "allow_zero_length_clientid false", "auto_id_prefix b-");
            var open = c.Options.Listeners[0];
            var closed = c.Options.Listeners[1];
            Assert.True(((AllowAllAuthenticator)open.Authenticator).AllowAnonymous);
            Assert.Same(AllowAllAuthorizer.Instance, open.Authorizer);
            var passwords = Assert.IsType<MqttPasswordFileAuthenticator>(closed.Authenticator);
            Assert.False(passwords.AllowAnonymous);
            Assert.True(passwords.Passwords.Verify("bob", "builder"));
            Assert.IsType<MqttAclAuthorizer>(closed.Authorizer);
            Assert.False(closed.AllowZeroLengthClientId);
            Assert.Equal("b-", closed.AssignedClientIdPrefix);
            Assert.True(c.PerListenerSettings);
        }

        [Fact]
        public void Per_listener_settings_after_a_security_directive_is_an_error_as_in_mosquitto()
        {
            var e = Assert.Single(Errors("allow_anonymous true", "per_listener_settings true", "listener 1883"));
            Assert.Contains("must come before", e.Message);
            Assert.Equal(2, e.Line);
        }

        [Theory]
        [InlineData("12h", 12 * 3600)]
        [InlineData("3d", 3 * 86400)]
        [InlineData("1w", 7 * 86400)]
        [InlineData("2m", 60 * 86400)]
        [InlineData("1y", 365 * 86400)]
        public void Persistent_client_expiration_takes_mosquittos_units(string value, int seconds)
        {
            Assert.Equal(TimeSpan.FromSeconds(seconds), Load("listener 1883", "persistent_client_expiration " + value).Options.PersistentClientExpiration);
        }

        [Fact]
        public async Task A_connection_section_becomes_a_bridge_with_mosquittos_defaults_and_its_settings()
        {
            var pki = await TestCertificates.GetAsync();
            var c = Load("listener 1883", "allow_anonymous true",
                "connection hub", "address hub1.example.com:8883 [::1]:8884 hub3", "topic sensors/# out 1 \"\" site1/", "topic commands/# in 2",
                "remote_clientid edge-7", "remote_username edge", "remote_password s3cret", "bridge_cafile " + pki.CaCert, "bridge_insecure true",
                "bridge_protocol_version mqttv50", "cleansession true", "keepalive_interval 30", "restart_timeout 2 20", "start_type lazy",
                "threshold 5", "idle_timeout 9", "notifications_local_only true", "try_private false", "round_robin true",
                "connection other", "address 10.0.0.9", "topic # both 0", "local_clientid other-local");
            var hub = c.Options.Bridges[0];
            Assert.Equal("hub", hub.Name);
            Assert.Equal(new[] { "mqtts://hub1.example.com:8883", "mqtts://[::1]:8884", "mqtts://hub3:1883" }, hub.Addresses.ConvertAll(a => a.ToString()));
            Assert.Equal(new[] { "sensors/# out 1 \"\" site1/", "commands/# in 2 \"\" \"\"" }.Length, hub.Topics.Count);
            Assert.Equal("edge-7", hub.ResolvedRemoteClientId);
            Assert.Equal("local.edge-7", hub.ResolvedLocalClientId);
            Assert.Equal("$SYS/broker/connection/edge-7/state", hub.ResolvedNotificationTopic);
            Assert.Equal(pki.CaCert, hub.Tls.CaFile);
            Assert.True(hub.Tls.IgnoreHostNameMismatch);
            Assert.Equal(MqttPS.Core.Protocol.MqttProtocolVersion.V500, hub.ProtocolVersion);
            Assert.True(hub.CleanSession);
            Assert.Equal((ushort)30, hub.KeepAliveSeconds);
            Assert.Equal(TimeSpan.FromSeconds(2), hub.RestartDelay);
            Assert.Equal(TimeSpan.FromSeconds(20), hub.RestartDelayMax);
            Assert.Equal(MqttPS.Core.Broker.Bridges.MqttBridgeStartType.Lazy, hub.StartType);
            Assert.Equal(5, hub.Threshold);
            Assert.Equal(TimeSpan.FromSeconds(9), hub.IdleTimeout);
            Assert.True(hub.NotificationsLocalOnly);
            Assert.False(hub.TryPrivate);
            Assert.True(hub.RoundRobin);
            // mosquitto's defaults: cleansession false, keep alive 60, try_private, notifications, automatic.
            var other = c.Options.Bridges[1];
            Assert.False(other.CleanSession);
            Assert.Equal((ushort)60, other.KeepAliveSeconds);
            Assert.True(other.TryPrivate && other.Notifications && other.OutgoingRetain && other.AttemptUnsubscribe);
            Assert.Equal("other-local", other.ResolvedLocalClientId);
            Assert.Equal("mqtt://10.0.0.9:1883", other.Addresses[0].ToString());
            Assert.Contains(c.Warnings, w => w.Directive == "bridge_insecure");
        }

        [Fact]
        public void Bridge_mistakes_are_errors_at_their_line()
        {
            var errors = Errors("listener 1883", "address 10.0.0.1", "connection a", "topic x/# sideways", "bridge_certfile /x.crt", "start_type manual",
                "connection a", "connection b", "address hub:99999", "topic t", "bridge_psk 1234", "connection c", "topic t");
            Assert.Contains(errors, e => e.Line == 2 && e.Message.Contains("must follow a connection line"));
            Assert.Contains(errors, e => e.Line == 4 && e.Message.Contains("not a bridge direction"));
            Assert.Contains(errors, e => e.Line == 5 && e.Message.Contains("needs bridge_cafile or bridge_capath"));
            Assert.Contains(errors, e => e.Line == 6 && e.Message.Contains("manual is not supported"));
            Assert.Contains(errors, e => e.Line == 7 && e.Message.Contains("already defined at"));
            Assert.Contains(errors, e => e.Line == 9 && e.Message.Contains("no valid port"));
            Assert.Contains(errors, e => e.Line == 11 && e.Directive == "bridge_psk");
            Assert.Contains(errors, e => e.Line == 12 && e.Message.Contains("has no address"));
            Assert.Contains(errors, e => e.Line == 3 && e.Message.Contains("has no address"));
        }

        [Fact]
        public void Two_bridges_with_one_local_client_id_are_refused()
        {
            var e = Assert.Single(Errors("connection a", "address h1", "topic t", "local_clientid same", "connection b", "address h2", "topic t", "local_clientid same"));
            Assert.Contains("local client id 'same'", e.Message);
            Assert.Equal(5, e.Line);
        }

        [Fact]
        public void A_missing_file_or_directory_says_so()
        {
            Assert.Throws<FileNotFoundException>(() => MosquittoConfiguration.Load(Path.Combine(_dir, "none.conf")));
            var e = Assert.Single(Assert.Throws<MosquittoConfigException>(() => MosquittoConfiguration.Load(_dir)).Errors);
            Assert.Contains("is a directory", e.Message);
            Assert.Contains("does not exist", Assert.Single(Errors("include_dir missing.d")).Message);
        }
    }
}
