using System;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using MqttPS.Core.Broker;
using MqttPS.Core.Broker.Configuration;
using MqttPS.Core.Broker.Security;
using MqttPS.Core.Client;
using MqttPS.Core.Protocol;
using MqttPS.Core.Tests.Infrastructure;
using MqttPS.Core.Transport;
using Xunit;
using static MqttPS.Core.Tests.BrokerProduction.BrokerTestHelpers;

namespace MqttPS.Core.Tests.Broker.Configuration
{
    /// <summary>What a broker started from a configuration file does with its listener settings, as clients see it.</summary>
    public sealed class PerListenerSettingsTests : IDisposable
    {
        private readonly string _dir = Path.Combine(Path.GetTempPath(), "mqttps-listeners-" + Guid.NewGuid().ToString("N"));

        public PerListenerSettingsTests() => Directory.CreateDirectory(_dir);

        public void Dispose() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

        private async Task<MqttBroker> StartAsync(params string[] lines)
        {
            var path = Path.Combine(_dir, "mosquitto.conf");
            File.WriteAllLines(path, lines);
            var broker = new MqttBroker(MosquittoConfiguration.Load(path, _dir).Options);
            await broker.StartAsync();
            return broker;
        }

        private string File_(string name, params string[] lines)
        {
            var path = Path.Combine(_dir, name);
            File.WriteAllLines(path, lines);
            return path;
        }

        private static async Task<ConnectReasonCode> ConnectCode(int port, string clientId, string user = null, string password = null, MqttProtocolVersion version = MqttProtocolVersion.V311)
        {
            var (client, connAck) = await RawMqttClient.ConnectAsync(port, clientId, version, configure: c =>
            {
                c.Username = user;
                if (password != null) c.Password = System.Text.Encoding.UTF8.GetBytes(password);
            });
            client.Dispose();
            return connAck.ReasonCode;
        }

        [Fact]
        public async Task Each_listener_applies_its_own_users_and_acl()
        {
            var passwords = new PasswordFile();
            passwords.SetPassword("bob", "builder", 1000);
            var passwd = Path.Combine(_dir, "passwd");
            passwords.Save(passwd);
            var acl = File_("acl", "user bob", "topic readwrite bob/#");
            int open = FreePort.Next(), closed = FreePort.Next();
            using (var broker = await StartAsync("per_listener_settings true", "listener " + open + " 127.0.0.1", "allow_anonymous true",
                "listener " + closed + " 127.0.0.1", "password_file " + passwd, "acl_file " + acl))
            {
                Assert.Equal(ConnectReasonCode.Success, await ConnectCode(open, "anon"));
                Assert.Equal(ConnectReasonCode.NotAuthorized, await ConnectCode(closed, "anon"));
                Assert.Equal(ConnectReasonCode.Success, await ConnectCode(closed, "bob-1", "bob", "builder"));

                // The open listener has no ACL; the closed one's applies to bob: he may not read what he may not.
                var (anon, _) = await RawMqttClient.ConnectAsync(open, "watcher", MqttProtocolVersion.V311);
                var (bob, _) = await RawMqttClient.ConnectAsync(closed, "bob-2", MqttProtocolVersion.V311, configure: c => { c.Username = "bob"; c.Password = System.Text.Encoding.UTF8.GetBytes("builder"); });
                using (anon)
                using (bob)
                {
                    await anon.SubscribeAsync("#", MqttQualityOfService.AtMostOnce);
                    await bob.SubscribeAsync("bob/#", MqttQualityOfService.AtMostOnce);
                    await bob.SendAsync(new SubscribePacket { PacketId = 2, Subscriptions = { new MqttTopicSubscription("other/#", MqttQualityOfService.AtMostOnce) } });
                    Assert.Equal(SubAckReasonCode.UnspecifiedError, (await bob.ReceiveAsync<SubAckPacket>()).ReasonCodes[0]);
                    await anon.SendAsync(new PublishPacket { Topic = "bob/in", Payload = new byte[] { 1 } });
                    Assert.Equal("bob/in", (await bob.ReceiveAsync<PublishPacket>()).Topic);
                    await bob.SendAsync(new PublishPacket { Topic = "other/x", Payload = new byte[] { 1 } });
                    await bob.SendAsync(new PublishPacket { Topic = "bob/out", Payload = new byte[] { 2 } });
                    // The anonymous watcher sees bob/in (its own) and bob/out, never other/x (bob may not write it).
                    var seen = new[] { (await anon.ReceiveAsync<PublishPacket>()).Topic, (await anon.ReceiveAsync<PublishPacket>()).Topic };
                    Assert.Equal(new[] { "bob/in", "bob/out" }, seen);
                    Assert.Null(await anon.ReceiveAsync(TimeSpan.FromMilliseconds(300)));
                }
            }
        }

        [Fact]
        public async Task A_listener_limits_its_own_connections_and_topic_aliases()
        {
            int limited = FreePort.Next(), other = FreePort.Next();
            using (var broker = await StartAsync("listener " + limited + " 127.0.0.1", "max_connections 1", "max_topic_alias 3",
                "listener " + other + " 127.0.0.1", "allow_anonymous true"))
            {
                var (first, firstAck) = await RawMqttClient.ConnectAsync(limited, "first");
                using (first)
                {
                    Assert.Equal((ushort)3, firstAck.Properties.TopicAliasMaximum);
                    var (second, secondAck) = await RawMqttClient.ConnectAsync(limited, "second");
                    second.Dispose();
                    Assert.Equal(ConnectReasonCode.ServerBusy, secondAck.ReasonCode);
                    // The other listener has its own (no) limit and the broker's default aliases.
                    var (third, thirdAck) = await RawMqttClient.ConnectAsync(other, "third");
                    third.Dispose();
                    Assert.Equal(ConnectReasonCode.Success, thirdAck.ReasonCode);
                    Assert.Equal((ushort)10, thirdAck.Properties.TopicAliasMaximum);
                }
                // Once the first has gone, the listener takes a client again.
                await Eventually.WaitUntilAsync(() => broker.GetClients().Count == 0, TimeSpan.FromSeconds(5), "the clients to leave");
                Assert.Equal(ConnectReasonCode.Success, await ConnectCode(limited, "again", version: MqttProtocolVersion.V500));
            }
        }

        [Fact]
        public async Task Use_username_as_clientid_makes_the_user_name_the_client_id()
        {
            var passwords = new PasswordFile();
            passwords.SetPassword("pump7", "secret", 1000);
            var passwd = Path.Combine(_dir, "passwd");
            passwords.Save(passwd);
            int port = FreePort.Next();
            using (var broker = await StartAsync("listener " + port + " 127.0.0.1", "use_username_as_clientid true", "password_file " + passwd, "allow_anonymous true"))
            {
                var (client, ack) = await RawMqttClient.ConnectAsync(port, "spoofed-id", MqttProtocolVersion.V311, configure: c => { c.Username = "pump7"; c.Password = System.Text.Encoding.UTF8.GetBytes("secret"); });
                using (client)
                {
                    Assert.Equal(ConnectReasonCode.Success, ack.ReasonCode);
                    await Eventually.WaitUntilAsync(() => broker.GetClients().Count == 1, TimeSpan.FromSeconds(5), "the client to be listed");
                    Assert.Equal("pump7", broker.GetClients().Single().ClientId);
                }
                Assert.Equal(ConnectReasonCode.NotAuthorized, await ConnectCode(port, "anonymous"));
            }
        }

        [Fact]
        public async Task Capath_trusts_the_client_certificates_of_every_ca_in_the_directory()
        {
            var pki = await TestCertificates.GetAsync();
            var cas = Directory.CreateDirectory(Path.Combine(_dir, "cas")).FullName;
            File.Copy(pki.CaCert, Path.Combine(cas, "a1b2c3d4.0"));
            File.WriteAllText(Path.Combine(cas, "README"), "not a certificate");
            int port = FreePort.Next();
            using (var broker = await StartAsync("listener " + port + " 127.0.0.1", "certfile " + pki.ServerCert, "keyfile " + pki.ServerKey,
                "capath " + cas, "require_certificate true", "use_identity_as_username true"))
            {
                var o = ClientOptions(port, "with-cert", kind: MqttTransportKind.Tls);
                o.Tls = new MqttTlsOptions { CaFile = pki.CaCert, ServerName = "localhost", ClientCertificatePath = pki.AliceCert, ClientCertificateKeyPath = pki.AliceKey };
                using (var client = await ConnectAsync(o)) Assert.Equal("alice", broker.GetClients().Single().Username);
                var untrusted = ClientOptions(port, "mallory", kind: MqttTransportKind.Tls);
                untrusted.Tls = new MqttTlsOptions { CaFile = pki.CaCert, ServerName = "localhost", ClientCertificatePath = pki.UntrustedClientPfx, ClientCertificatePassword = TestCertificates.PfxPassword };
                untrusted.ConnectTimeout = TimeSpan.FromSeconds(5);
                using (var client = new MqttClient(untrusted)) await Assert.ThrowsAnyAsync<Exception>(() => client.ConnectAsync());
            }
        }
    }
}
