using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using MqttPS.Core.Broker.Persistence;
using MqttPS.Core.Broker.Security;
using MqttPS.Core.Messages;
using MqttPS.Core.Protocol;
using MqttPS.Core.Shell;
using MqttPS.Core.Tests.Infrastructure;
using MqttPS.Module.Tests.Fakes;
using Xunit;

namespace MqttPS.Module.Tests.Shell
{
    /// <summary>
    /// Start-MqttBroker -PasswordFile / -Credential / -AclPath / -SysIntervalSeconds through the Shell layer: one
    /// authenticator (the broker's password-file one, fed from the file and from credentials) and one ACL parser.
    /// </summary>
    public sealed class BrokerSecurityWiringTests : IDisposable
    {
        private readonly RecordingHost _host = new RecordingHost();
        private readonly MqttShellSession _session = new MqttShellSession(new MqttClientAdapterFactory());
        private readonly string _directory = Directory.CreateTempSubdirectory("mqttps-wiring-security-").FullName;

        public void Dispose()
        {
            _session.CloseAll(_host);
            try { Directory.Delete(_directory, true); } catch (IOException) { }
        }

        private string WriteFile(string name, params string[] lines)
        {
            var path = Path.Combine(_directory, name);
            File.WriteAllLines(path, lines);
            return path;
        }

        /// <summary>A password file made by mosquitto's own tool, so the format is the real one.</summary>
        private async Task<string> MosquittoPasswd(params (string User, string Password)[] users)
        {
            var path = Path.Combine(_directory, "passwd");
            var create = true;
            foreach (var (user, password) in users)
            {
                var args = create ? new[] { "-c", "-b", path, user, password } : new[] { "-b", path, user, password };
                using (var p = await ExternalProcess.RunAsync("mosquitto_passwd", args, TimeSpan.FromSeconds(20)))
                    Assert.True(p.ExitCode == 0, "mosquitto_passwd failed: " + p.StandardError);
                create = false;
            }
            return path;
        }

        private MqttShellException ConnectFails(MqttEmbeddedBroker broker, string user, string password) =>
            Assert.Throws<MqttShellException>(() => _session.Connect(new MqttConnectionSettings { Broker = broker.Uri, Username = user, Password = password }, _host));

        private List<PublishCompletion> Publish(MqttConnection c, params string[] topics)
        {
            var done = new List<PublishCompletion>();
            var window = new PublishWindow(c.PublishAsync, 10, TimeSpan.FromSeconds(10));
            foreach (var t in topics) window.Submit(new MqttMessage(t, "x", MqttQualityOfService.AtLeastOnce), t, _host, null, done);
            window.Flush(_host, null, done);
            return done;
        }

        private MqttSubscription Subscribe(MqttConnection c, string filter) =>
            _session.Subscribe(c, new SubscriptionRequest { TopicFilters = new[] { filter } }, SubscriptionMode.Stream, PayloadFormat.Auto, null, _host, null);

        [Fact]
        public async Task Password_file_and_credential_users_log_in_and_the_acl_decides_what_each_may_do()
        {
            var passwd = await MosquittoPasswd(("alice", "wonderland"), ("bob", "builder"));
            var acl = WriteFile("acl",
                "topic read public/#",
                "user alice",
                "topic readwrite alice/#",
                "topic read public/#",
                "user carol",
                "topic write carol/out",
                "pattern readwrite clients/%c/#");
            var settings = new MqttBrokerSettings { Port = 0, Name = "guarded", PasswordFilePath = passwd, AclPath = acl };
            settings.Users.Add(new KeyValuePair<string, string>("carol", "c4rol"));   // -Credential, in memory only
            var passwdBefore = File.ReadAllText(passwd);
            var broker = _session.StartBroker(settings, _host);

            var wrong = ConnectFails(broker, "alice", "looking-glass");
            Assert.Equal("ConnectFailed", wrong.ErrorId);
            Assert.Equal(ShellErrorCategory.AuthenticationError, wrong.Category);
            Assert.Equal(ShellErrorCategory.AuthenticationError, ConnectFails(broker, "mallory", "x").Category);
            Assert.Equal(ShellErrorCategory.AuthenticationError, ConnectFails(broker, null, null).Category);

            var alice = _session.Connect(new MqttConnectionSettings { Broker = broker.Uri, ClientId = "a1", Username = "alice", Password = "wonderland" }, _host);
            var done = Publish(alice, "alice/notes", "clients/a1/state", "carol/out", "$SYS/broker/fake");
            Assert.True(done[0].Succeeded, done[0].Error?.Message);
            Assert.True(done[1].Succeeded, done[1].Error?.Message);   // pattern with %c
            Assert.Equal("PublishRejected", done[2].Error.ErrorId);
            Assert.Equal(ShellErrorCategory.PermissionDenied, done[2].Error.Category);
            Assert.Contains("'carol/out'", done[2].Error.Message);
            Assert.Equal("PublishRejected", done[3].Error.ErrorId);    // no client publishes into $SYS, whatever the file says
            Subscribe(alice, "public/#");
            Assert.Equal("SubscribeRejected", Assert.Throws<MqttShellException>(() => Subscribe(alice, "carol/#")).ErrorId);

            var carol = _session.Connect(new MqttConnectionSettings { Broker = broker.Uri, ClientId = "c1", Username = "carol", Password = "c4rol" }, _host);
            Assert.True(Publish(carol, "carol/out").Single().Succeeded);
            Assert.Equal("SubscribeRejected", Assert.Throws<MqttShellException>(() => Subscribe(carol, "alice/#")).ErrorId);
            Assert.True(_session.Connect(new MqttConnectionSettings { Broker = broker.Uri, ClientId = "b1", Username = "bob", Password = "builder" }, _host).IsConnected);

            Assert.Equal(passwdBefore, File.ReadAllText(passwd));
        }

        [Fact]
        public async Task Credentials_are_added_to_the_password_file_users_and_win_over_them_in_memory()
        {
            var passwd = await MosquittoPasswd(("alice", "wonderland"), ("bob", "builder"));
            var settings = new MqttBrokerSettings { PasswordFilePath = passwd };
            settings.Users.Add(new KeyValuePair<string, string>("alice", "new-password"));
            settings.Users.Add(new KeyValuePair<string, string>("dave", ""));
            var users = BrokerOptionsFactory.LoadUsers(settings);
            Assert.True(users.Verify("alice", "new-password"));
            Assert.False(users.Verify("alice", "wonderland"));
            Assert.True(users.Verify("bob", "builder"));
            Assert.True(users.Verify("dave", ""));
            Assert.Equal(new[] { "alice", "bob", "dave" }, users.Usernames);
        }

        [Fact]
        public void Anonymous_access_follows_the_users_unless_AllowAnonymous_says_otherwise()
        {
            var withUsers = new MqttBrokerSettings { Port = 0, Name = "users" };
            withUsers.Users.Add(new KeyValuePair<string, string>("alice", "s3cret"));
            Assert.False(BrokerOptionsFactory.Create("users", withUsers).AllowAnonymous);
            withUsers.AllowAnonymous = true;
            var lenient = _session.StartBroker(withUsers, _host);
            Assert.True(_session.Connect(new MqttConnectionSettings { Broker = lenient.Uri, ClientId = "anon" }, _host).IsConnected);
            Assert.Equal(ShellErrorCategory.AuthenticationError, ConnectFails(lenient, "alice", "wrong").Category);
            Assert.True(BrokerOptionsFactory.Create("open", new MqttBrokerSettings()).AllowAnonymous);

            var options = BrokerOptionsFactory.Create("mapped", new MqttBrokerSettings
            {
                SysIntervalSeconds = 7, MaxConnections = 3, PersistencePath = Path.Combine(_directory, "store"), Durability = PersistenceDurability.Batched,
            });
            Assert.Equal(TimeSpan.FromSeconds(7), options.SysInterval);
            Assert.Equal(3, options.MaxConnections);
            Assert.Equal(PersistenceDurability.Batched, options.PersistenceDurability);
            Assert.Null(options.Authenticator);
            Assert.Null(options.Authorizer);
        }

        [Fact]
        public void Bad_password_and_acl_files_and_settings_are_errors_naming_the_problem_and_start_nothing()
        {
            MqttShellException Refused(MqttBrokerSettings settings)
            {
                settings.Name = "refused";
                var e = Assert.Throws<MqttShellException>(() => _session.StartBroker(settings, _host));
                Assert.Empty(_session.Brokers.Find("refused"));
                return e;
            }

            var badPasswd = WriteFile("bad-passwd", "# users", "alice:$7$101$c2FsdA==$bm90LWEtaGFzaA==", "bob");
            var e1 = Refused(new MqttBrokerSettings { Port = 0, PasswordFilePath = badPasswd });
            Assert.Equal("InvalidPasswordFile", e1.ErrorId);
            Assert.Equal(ShellErrorCategory.InvalidData, e1.Category);
            Assert.Contains(badPasswd, e1.Message);
            Assert.Matches("line [23]", e1.Message);
            Assert.Equal("PasswordFileNotFound", Refused(new MqttBrokerSettings { Port = 0, PasswordFilePath = badPasswd + ".missing" }).ErrorId);

            var badAcl = WriteFile("bad-acl", "topic read ok/#", "user alice", "topic read alice/#/more");
            var e2 = Refused(new MqttBrokerSettings { Port = 0, AclPath = badAcl });
            Assert.Equal("InvalidAclFile", e2.ErrorId);
            Assert.Contains("line 3", e2.Message);

            var colon = new MqttBrokerSettings { Port = 0 };
            colon.Users.Add(new KeyValuePair<string, string>("a:b", "x"));
            var e3 = Refused(colon);
            Assert.Equal("InvalidUser", e3.ErrorId);
            Assert.Contains("':'", e3.Message);

            var clash = Refused(new MqttBrokerSettings { Port = 18831, WebSocketPort = 18831 });
            Assert.Equal("PortConflict", clash.ErrorId);
            Assert.Contains("-WebSocketPort", clash.Message);
            Assert.Equal("NoWayIn", Refused(new MqttBrokerSettings { Port = 0, AllowAnonymous = false }).ErrorId);
            Assert.Equal("PersistencePathRequired", Refused(new MqttBrokerSettings { Port = 0, Durability = PersistenceDurability.None }).ErrorId);
            Assert.Equal("InvalidSysInterval", Refused(new MqttBrokerSettings { Port = 0, SysIntervalSeconds = -1 }).ErrorId);
        }

        [Fact]
        public void SysIntervalSeconds_publishes_retained_broker_statistics()
        {
            var broker = _session.StartBroker(new MqttBrokerSettings { Port = 0, Name = "sys", SysIntervalSeconds = 1 }, _host);
            var c = _session.Connect(new MqttConnectionSettings { Broker = broker.Uri, ClientId = "sys-reader" }, _host);
            var s = Subscribe(c, "$SYS/broker/clients/connected");
            // First the retained value from before this client connected, then the next update, which counts it.
            var values = new List<string>();
            MessageStreamReader.Read(s, _host, null, 2, TimeSpan.FromSeconds(10), m => values.Add(m.PayloadText));
            Assert.Equal(new[] { "0", "1" }, values);
            Assert.NotEmpty(broker.ListRetained(new[] { "$SYS/broker/version" }));
        }
    }
}
