using System;
using System.IO;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using MqttPS.Core.Broker;
using MqttPS.Core.Broker.Security;
using MqttPS.Core.Client;
using MqttPS.Core.Protocol;
using MqttPS.Core.Tests.Infrastructure;
using Xunit;
using static MqttPS.Core.Tests.BrokerProduction.BrokerTestHelpers;

namespace MqttPS.Core.Tests.BrokerProduction
{
    public sealed class BrokerAuthAclTests : IDisposable
    {
        private readonly string _dir = Directory.CreateTempSubdirectory("mqttps-auth-").FullName;
        private readonly string _passwords;
        private readonly string _acl;

        public BrokerAuthAclTests()
        {
            var file = new PasswordFile();
            file.SetPassword("alice", "alice-pw");
            file.SetPassword("bob", "bob-pw");
            _passwords = Path.Combine(_dir, "passwd");
            file.Save(_passwords);
            _acl = Path.Combine(_dir, "acl");
            File.WriteAllText(_acl, string.Join("\n",
                "topic read public/#",
                "user alice",
                "topic readwrite alice/#",
                "topic read shared/#",
                "topic deny alice/private/#",
                "user bob",
                "topic write shared/news",
                "topic read bob/#",
                "pattern readwrite users/%u/#",
                "pattern write devices/%c/status",
                "pattern read devices/+/status"));
        }

        public void Dispose() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

        /// <summary>The acknowledgement's reason code; our client reports a refusal (>= 0x80) as MqttPublishException.</summary>
        private static async Task<PubAckReasonCode> PublishCode(MqttClient client, string topic, string text, MqttQualityOfService qos = MqttQualityOfService.AtLeastOnce)
        {
            try { return (await client.PublishAsync(Message(topic, text, qos))).ReasonCode; }
            catch (MqttPublishException e) { return e.Result.ReasonCode; }
        }

        private MqttBroker _broker;

        private Task<MqttBroker> Start(bool allowAnonymous = false) =>
            StartAsync(new MqttBrokerOptions { PasswordFile = _passwords, AclFile = _acl, AllowAnonymous = allowAnonymous });

        private static MqttClientOptions As(MqttBroker broker, string clientId, string user, string password, MqttProtocolVersion version = MqttProtocolVersion.V500)
        {
            var o = ClientOptions(broker.Port, clientId, version);
            o.Username = user;
            o.Password = password == null ? null : Encoding.UTF8.GetBytes(password);
            return o;
        }

        [Theory]
        [InlineData(MqttProtocolVersion.V311)]
        [InlineData(MqttProtocolVersion.V500)]
        public async Task Wrong_password_is_refused_with_bad_username_or_password(MqttProtocolVersion version)
        {
            using (var broker = await Start())
            {
                using (var client = new MqttClient(As(broker, "c", "alice", "wrong", version)))
                {
                    var e = await Assert.ThrowsAsync<MqttConnectException>(() => client.ConnectAsync());
                    Assert.Equal(ConnectReasonCode.BadUserNameOrPassword, e.ReasonCode); // 0x86; 3.1.1 return code 4
                }
                using (var client = new MqttClient(As(broker, "c", "nobody", "alice-pw", version)))
                    Assert.Equal(ConnectReasonCode.BadUserNameOrPassword, (await Assert.ThrowsAsync<MqttConnectException>(() => client.ConnectAsync())).ReasonCode);
                using (var client = new MqttClient(As(broker, "c", null, null, version)))
                    Assert.Equal(ConnectReasonCode.NotAuthorized, (await Assert.ThrowsAsync<MqttConnectException>(() => client.ConnectAsync())).ReasonCode); // 0x87; rc 5
                using (var client = await ConnectAsync(As(broker, "c", "alice", "alice-pw", version)))
                    Assert.True(client.IsConnected);
            }
        }

        [Fact]
        public async Task Mosquitto_clients_see_the_3_1_1_return_codes()
        {
            using (var broker = await Start())
            {
                using (var p = await ExternalProcess.RunAsync("mosquitto_pub", new[] { "-p", broker.Port.ToString(), "-V", "mqttv311", "-u", "alice", "-P", "wrong", "-t", "t", "-m", "x" }, TimeSpan.FromSeconds(20)))
                    Assert.Contains("bad user name or password", p.StandardError, StringComparison.OrdinalIgnoreCase);
                using (var p = await ExternalProcess.RunAsync("mosquitto_pub", new[] { "-p", broker.Port.ToString(), "-V", "mqttv311", "-t", "t", "-m", "x" }, TimeSpan.FromSeconds(20)))
                    Assert.Contains("not authori", p.StandardError, StringComparison.OrdinalIgnoreCase);
                using (var p = await ExternalProcess.RunAsync("mosquitto_pub", new[] { "-p", broker.Port.ToString(), "-V", "mqttv311", "-u", "alice", "-P", "alice-pw", "-t", "alice/x", "-m", "x" }, TimeSpan.FromSeconds(20)))
                    Assert.Equal(0, p.ExitCode);
            }
        }

        [Fact]
        public async Task A_refused_publish_gets_0x87_and_never_reaches_a_subscriber()
        {
            using (var broker = await Start())
            using (var alice = await ConnectAsync(As(broker, "a1", "alice", "alice-pw")))
            using (var bob = await ConnectAsync(As(broker, "b1", "bob", "bob-pw")))
            using (var bob311 = await ConnectAsync(As(broker, "b2", "bob", "bob-pw", MqttProtocolVersion.V311)))
            {
                Assert.True((await alice.SubscribeAsync("shared/#", MqttQualityOfService.AtLeastOnce)).AllGranted);
                // bob may write shared/news but not shared/other.
                Assert.Equal(PubAckReasonCode.NotAuthorized, await PublishCode(bob, "shared/other", "no"));
                Assert.Equal(PubAckReasonCode.NotAuthorized, await PublishCode(bob, "shared/other", "no", MqttQualityOfService.ExactlyOnce));
                await bob311.PublishAsync(Message("shared/other", "no (3.1.1)", MqttQualityOfService.AtLeastOnce)); // acknowledged, dropped
                Assert.Equal(PubAckReasonCode.NotAuthorized, await PublishCode(bob, "$SYS/broker/fake", "no"));
                var allowed = await bob.PublishAsync(Message("shared/news", "yes", MqttQualityOfService.AtLeastOnce));
                Assert.Equal(PubAckReasonCode.Success, allowed.ReasonCode);
                Assert.Equal("yes", (await ReceiveOrNullAsync(alice, TimeSpan.FromSeconds(5)))?.PayloadText);
                Assert.Null(await ReceiveOrNullAsync(alice, TimeSpan.FromMilliseconds(300)));
            }
        }

        [Theory]
        [InlineData(MqttProtocolVersion.V311, SubAckReasonCode.UnspecifiedError)] // 3.1.1 knows only 0x80
        [InlineData(MqttProtocolVersion.V500, SubAckReasonCode.NotAuthorized)]
        public async Task A_refused_subscription_gets_its_failure_code(MqttProtocolVersion version, SubAckReasonCode expected)
        {
            using (var broker = await Start())
            using (var alice = await ConnectAsync(As(broker, "a1", "alice", "alice-pw", version)))
            {
                _broker = broker;
                var result = await alice.SubscribeAsync(new[]
                {
                    new MqttTopicSubscription("alice/+/x", MqttQualityOfService.AtLeastOnce),
                    new MqttTopicSubscription("#", MqttQualityOfService.AtLeastOnce),
                    new MqttTopicSubscription("alice/private/#", MqttQualityOfService.AtMostOnce),
                    new MqttTopicSubscription("bob/#", MqttQualityOfService.AtMostOnce),
                });
                Assert.Equal(new[] { SubAckReasonCode.GrantedQoS1, SubAckReasonCode.GrantedQoS1, expected, expected }, result.ReasonCodes);
                // "#" was granted, but delivers only what alice may read.
                await _broker.PublishAsync(Message("bob/x", "not for alice"));
                await _broker.PublishAsync(Message("alice/private/y", "denied"));
                await _broker.PublishAsync(Message("alice/z", "for alice"));
                Assert.Equal("for alice", (await ReceiveOrNullAsync(alice, TimeSpan.FromSeconds(5)))?.PayloadText);
                Assert.Null(await ReceiveOrNullAsync(alice, TimeSpan.FromMilliseconds(300)));
            }
        }

        [Fact]
        public async Task Deny_rules_withhold_messages_inside_a_granted_subscription()
        {
            using (var broker = await Start())
            using (var alice = await ConnectAsync(As(broker, "a1", "alice", "alice-pw")))
            using (var alice2 = await ConnectAsync(As(broker, "a2", "alice", "alice-pw")))
            {
                await alice.SubscribeAsync("alice/#", MqttQualityOfService.AtLeastOnce);
                await broker.PublishAsync(Message("alice/private/diary", "secret", MqttQualityOfService.AtLeastOnce));
                await alice2.PublishAsync(Message("alice/open", "hello", MqttQualityOfService.AtLeastOnce));
                Assert.Equal("alice/open", (await ReceiveOrNullAsync(alice, TimeSpan.FromSeconds(5)))?.Topic);
                Assert.Null(await ReceiveOrNullAsync(alice, TimeSpan.FromMilliseconds(300)));
            }
        }

        [Fact]
        public async Task Username_and_client_id_patterns_apply_per_client()
        {
            using (var broker = await Start())
            using (var bob = await ConnectAsync(As(broker, "sensor-7", "bob", "bob-pw")))
            using (var alice = await ConnectAsync(As(broker, "console", "alice", "alice-pw")))
            {
                // %u: each user owns users/<name>/#.
                Assert.True((await bob.SubscribeAsync("users/bob/#", MqttQualityOfService.AtLeastOnce)).AllGranted);
                Assert.Equal(SubAckReasonCode.NotAuthorized, (await bob.SubscribeAsync("users/alice/#", MqttQualityOfService.AtLeastOnce)).ReasonCodes[0]);
                Assert.Equal(PubAckReasonCode.NoMatchingSubscribers, await PublishCode(alice, "users/alice/inbox", "self"));
                Assert.Equal(PubAckReasonCode.NotAuthorized, await PublishCode(alice, "users/bob/inbox", "intrusion"));
                await bob.PublishAsync(Message("users/bob/inbox", "note to self", MqttQualityOfService.AtLeastOnce));
                Assert.Equal("note to self", (await ReceiveOrNullAsync(bob, TimeSpan.FromSeconds(5)))?.PayloadText);

                // %c: a device writes only its own status topic; everyone may read all status topics.
                Assert.True((await alice.SubscribeAsync("devices/+/status", MqttQualityOfService.AtLeastOnce)).AllGranted);
                Assert.Equal(PubAckReasonCode.Success, await PublishCode(bob, "devices/sensor-7/status", "ok"));
                Assert.Equal(PubAckReasonCode.NotAuthorized, await PublishCode(bob, "devices/sensor-8/status", "spoof"));
                var received = await ReceiveOrNullAsync(alice, TimeSpan.FromSeconds(5));
                Assert.Equal("devices/sensor-7/status", received?.Topic);
                Assert.Null(await ReceiveOrNullAsync(alice, TimeSpan.FromMilliseconds(300)));
            }
        }

        [Fact]
        public async Task Anonymous_clients_get_the_anonymous_section_when_allowed()
        {
            using (var broker = await Start(allowAnonymous: true))
            using (var anonymous = await ConnectAsync(As(broker, "anon", null, null)))
            {
                var r = await anonymous.SubscribeAsync(new[] { new MqttTopicSubscription("public/#", MqttQualityOfService.AtMostOnce), new MqttTopicSubscription("alice/#", MqttQualityOfService.AtMostOnce) });
                Assert.Equal(new[] { SubAckReasonCode.GrantedQoS0, SubAckReasonCode.NotAuthorized }, r.ReasonCodes);
                Assert.Equal(PubAckReasonCode.NotAuthorized, await PublishCode(anonymous, "public/x", "no write"));
            }
        }

        [Fact]
        public void A_bad_ACL_file_stops_the_broker_from_starting_with_the_line_number()
        {
            var bad = Path.Combine(_dir, "bad.acl");
            File.WriteAllText(bad, "user alice\ntopic readwrite a/#/b\n");
            var e = Assert.Throws<FormatException>(() => new MqttBroker(new MqttBrokerOptions { AclFile = bad }));
            Assert.Contains("line 2", e.Message);
        }
    
        /// <summary>Runs mosquitto_sub as "reader" against a broker, publishes every topic as "writer", returns the topics received.</summary>
        private static async Task<SortedSet<string>> ReceivedTopics(int port, string[] topics)
        {
            using (var sub = ExternalProcess.Start("mosquitto_sub", new[] { "-p", port.ToString(), "-u", "reader", "-P", "reader-pw", "-i", "reader-client", "-V", "mqttv311",
                "-t", "#", "-t", "b/#", "-t", "x/#", "-t", "a/+/z", "-t", "users/#", "-t", "dev/#", "-t", "$SYS/x", "-v", "-W", "4" }))
            {
                await Task.Delay(700); // subscribed
                foreach (var t in topics)
                {
                    using (var p = await ExternalProcess.RunAsync("mosquitto_pub", new[] { "-p", port.ToString(), "-u", "writer", "-P", "writer-pw", "-i", "writer-client", "-t", t, "-m", "m" }, TimeSpan.FromSeconds(20)))
                        Assert.True(p.ExitCode == 0, "mosquitto_pub to " + t + ": " + p.StandardError);
                }
                try { await sub.WaitForExitAsync(TimeSpan.FromSeconds(20)); } catch (TimeoutException) { }
                return new SortedSet<string>(sub.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')[0]), StringComparer.Ordinal);
            }
        }

        [Fact]
        public async Task The_same_password_and_ACL_files_deliver_the_same_topics_as_mosquitto()
        {
            var passwords = Path.Combine(_dir, "mosquitto-passwd");
            using (var p = await ExternalProcess.RunAsync("mosquitto_passwd", new[] { "-b", "-c", passwords, "reader", "reader-pw" }, TimeSpan.FromSeconds(20))) Assert.Equal(0, p.ExitCode);
            using (var p = await ExternalProcess.RunAsync("mosquitto_passwd", new[] { "-b", passwords, "writer", "writer-pw" }, TimeSpan.FromSeconds(20))) Assert.Equal(0, p.ExitCode);
            var acl = Path.Combine(_dir, "mosquitto-acl");
            File.WriteAllText(acl, string.Join("\n",
                "user reader", "topic read a/#", "topic read b/+/c", "topic deny a/secret", "topic read $SYS/x",
                "user writer", "topic write #", "topic write $SYS/x",
                "pattern read users/%u/#", "pattern read dev/%c/#"));
            File.SetUnixFileMode(_dir, (UnixFileMode)0x1ED);
            File.SetUnixFileMode(passwords, (UnixFileMode)0x1A4);
            File.SetUnixFileMode(acl, (UnixFileMode)0x1A4);
            var topics = new[] { "a/1", "a/secret", "a/q/z", "b/x/c", "b/x/d", "x/1", "users/reader/1", "users/writer/1", "dev/reader-client/s", "dev/other/s", "c" };

            SortedSet<string> fromMosquitto, fromOurs;
            using (var mosquitto = await Mosquitto.StartAsync(new[] { "allow_anonymous false", "password_file " + passwords, "acl_file " + acl }))
                fromMosquitto = await ReceivedTopics(mosquitto.Port, topics);
            using (var broker = await StartAsync(new MqttBrokerOptions { PasswordFile = passwords, AclFile = acl, AllowAnonymous = false }))
                fromOurs = await ReceivedTopics(broker.Port, topics);

            Assert.Equal(new[] { "a/1", "a/q/z", "b/x/c", "dev/reader-client/s", "users/reader/1" }, fromMosquitto);
            Assert.Equal(fromMosquitto, fromOurs);
        }
    }
}
