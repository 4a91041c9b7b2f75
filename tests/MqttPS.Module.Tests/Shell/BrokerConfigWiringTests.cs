using System;
using System.IO;
using System.Linq;
using System.Net;
using MqttPS.Core.Broker;
using MqttPS.Core.Broker.Security;
using MqttPS.Core.Shell;
using MqttPS.Core.Tests.Infrastructure;
using MqttPS.Module.Tests.Fakes;
using Xunit;

namespace MqttPS.Module.Tests.Shell
{
    /// <summary>Start-MqttBroker -ConfigPath through the Shell layer: the file's settings, parameters that win over it,
    /// and the errors and warnings the user sees.</summary>
    public sealed class BrokerConfigWiringTests : IDisposable
    {
        private readonly string _dir = Path.Combine(Path.GetTempPath(), "mqttps-shellconf-" + Guid.NewGuid().ToString("N"));
        private readonly RecordingHost _host = new RecordingHost();
        private readonly MqttShellSession _session = new MqttShellSession(new MqttClientAdapterFactory());

        public BrokerConfigWiringTests() => Directory.CreateDirectory(_dir);

        public void Dispose()
        {
            _session.CloseAll(_host);
            try { Directory.Delete(_dir, true); } catch (IOException) { }
        }

        private MqttBrokerSettings Settings(string[] lines, params string[] given)
        {
            var path = Path.Combine(_dir, "mosquitto.conf");
            File.WriteAllLines(path, lines);
            var s = new MqttBrokerSettings { ConfigPath = path, WorkingDirectory = _dir };
            foreach (var g in given) s.GivenParameters.Add(g);
            return s;
        }

        [Fact]
        public void The_files_listeners_and_limits_are_used_and_given_parameters_win()
        {
            var port = FreePort.Next();
            var s = Settings(new[] { "listener " + port + " 127.0.0.1", "allow_anonymous true", "max_inflight_messages 7", "max_queued_messages 5" }, "MaxQueuedMessages");
            s.MaxQueuedMessages = 50;
            var o = BrokerOptionsFactory.Create("conf", s);
            Assert.Equal(port, Assert.Single(o.Listeners).Port);
            Assert.Equal((ushort)7, o.ReceiveMaximum);
            Assert.Equal(50, o.MaxQueuedMessagesPerSession);

            // A given -Port replaces the file's plain listener port; the default -Port (not given) does not.
            var moved = Settings(new[] { "listener " + port + " 127.0.0.1", "allow_anonymous true" }, "Port");
            moved.Port = 0;
            Assert.Equal(0, BrokerOptionsFactory.Create("conf", moved).Listeners.Single().Port);
            var notGiven = Settings(new[] { "listener " + port + " 127.0.0.1", "allow_anonymous true" });
            notGiven.Port = 0;
            Assert.Equal(port, BrokerOptionsFactory.Create("conf", notGiven).Listeners.Single().Port);
        }

        [Fact]
        public void A_broker_starts_from_the_file_and_the_file_warnings_reach_the_host()
        {
            var port = FreePort.Next();
            var broker = _session.StartBroker(Settings(new[] { "listener " + port + " 127.0.0.1", "allow_anonymous true", "pid_file /run/m.pid", "sys_interval 0" }), _host);
            Assert.Equal("mqtt://127.0.0.1:" + port, broker.Uri);
            Assert.Contains(_host.Warnings, w => w.Contains("mosquitto.conf:3: pid_file: ignored"));
            Assert.Equal(Path.Combine(_dir, "mosquitto.conf"), broker.ConfigPath);
            var c = _session.Connect(new MqttConnectionSettings { Broker = broker.Uri, ClientId = "conf-client", ConnectTimeout = TimeSpan.FromSeconds(10) }, _host);
            Assert.True(c.IsConnected);
        }

        [Fact]
        public void Credentials_given_are_added_to_the_files_password_file_and_acl_path_replaces_the_files_acl()
        {
            var passwords = new PasswordFile();
            passwords.SetPassword("alice", "wonderland", 1000);
            var passwd = Path.Combine(_dir, "passwd");
            passwords.Save(passwd);
            File.WriteAllLines(Path.Combine(_dir, "acl"), new[] { "user alice", "topic read a/#" });
            File.WriteAllLines(Path.Combine(_dir, "acl2"), new[] { "user alice", "topic readwrite b/#" });
            var s = Settings(new[] { "listener 1883", "password_file passwd", "acl_file acl" }, "Users", "AclPath");
            s.Users.Add(new System.Collections.Generic.KeyValuePair<string, string>("carol", "c4rol"));
            s.AclPath = Path.Combine(_dir, "acl2");
            var o = BrokerOptionsFactory.Create("conf", s);
            var authenticator = Assert.IsType<MqttPasswordFileAuthenticator>(o.Authenticator);
            Assert.True(authenticator.Passwords.Verify("alice", "wonderland"));
            Assert.True(authenticator.Passwords.Verify("carol", "c4rol"));
            Assert.False(o.AllowAnonymous);
            var acl = Assert.IsType<MqttAclAuthorizer>(o.Authorizer);
            Assert.True(acl.CanPublish(new MqttClientIdentity("x", "alice", Core.Protocol.MqttProtocolVersion.V311), "b/1"));
        }

        [Fact]
        public void A_tls_parameter_without_a_tls_listener_in_the_file_or_a_certificate_is_refused()
        {
            var s = Settings(new[] { "listener 1883", "allow_anonymous true" }, "RequireClientCertificate");
            s.RequireClientCertificate = true;
            var e = Assert.Throws<MqttShellException>(() => BrokerOptionsFactory.Create("conf", s));
            Assert.Equal("CertificateRequired", e.ErrorId);
        }

        [Fact]
        public void A_bad_file_is_one_error_listing_every_problem_and_no_broker_is_registered()
        {
            var e = Assert.Throws<MqttShellException>(() => _session.StartBroker(Settings(new[] { "listener 1883", "psk_file /etc/psk", "max_keepalive 1" }), _host));
            Assert.Equal("InvalidConfigFile", e.ErrorId);
            Assert.Equal(ShellErrorCategory.InvalidData, e.Category);
            Assert.Contains("mosquitto.conf:2: psk_file: not supported", e.Message);
            Assert.Contains("mosquitto.conf:3: max_keepalive: 1 is out of range: 10 to 65535 seconds", e.Message);
            Assert.Empty(_session.Brokers.All);

            var missing = new MqttBrokerSettings { ConfigPath = Path.Combine(_dir, "nope.conf") };
            Assert.Equal("ConfigFileNotFound", Assert.Throws<MqttShellException>(() => BrokerOptionsFactory.Create("conf", missing)).ErrorId);
        }

        [Fact]
        public void Log_type_becomes_the_event_kinds_written_in_the_foreground()
        {
            var port = FreePort.Next();
            var broker = MqttEmbeddedBroker.Start("fg", Settings(new[] { "listener " + port + " 127.0.0.1", "allow_anonymous true", "log_type subscribe", "sys_interval 0" }), _host);
            try
            {
                Assert.Equal(new[] { MqttBrokerEventKind.SubscriptionAdded }, broker.ConfiguredEventKinds);
            }
            finally
            {
                broker.Stop(null, TimeSpan.FromSeconds(5));
            }
        }
    }
}
