using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using MqttPS.Core.Broker;
using MqttPS.Core.Broker.Security;
using MqttPS.Core.Protocol;
using MqttPS.Core.Tests.Broker;
using MqttPS.Core.Tests.Infrastructure;
using Xunit;
using static MqttPS.Core.Tests.BrokerProduction.BrokerTestHelpers;

namespace MqttPS.Core.Tests.BrokerProduction
{
    /// <summary>
    /// Attacks one user can mount on another through the broker (issue 16): taking over another user's session,
    /// wills published with rights the user does not have, hoarding unreleased QoS 2 messages, protocol levels the
    /// spec does not define. Each was possible before its fix.
    /// </summary>
    public sealed class BrokerAttackTests : IDisposable
    {
        private readonly string _dir = Directory.CreateTempSubdirectory("mqttps-attack-").FullName;
        private readonly string _passwords;
        private readonly string _acl;

        public BrokerAttackTests()
        {
            var file = new PasswordFile();
            file.SetPassword("alice", "alice-pw");
            file.SetPassword("bob", "bob-pw");
            _passwords = Path.Combine(_dir, "passwd");
            file.Save(_passwords);
            _acl = Path.Combine(_dir, "acl");
            // As in the issue: anonymous clients may write anon/x, alice only alice/#, bob only bob/#.
            File.WriteAllText(_acl, string.Join("\n",
                "topic write anon/x",
                "user alice",
                "topic readwrite alice/#",
                "user bob",
                "topic readwrite bob/#"));
        }

        public void Dispose() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

        private Task<MqttBroker> Start(IMqttBrokerAuthorizer authorizer = null, Action<MqttBrokerOptions> configure = null)
        {
            var options = new MqttBrokerOptions { PasswordFile = _passwords, AllowAnonymous = true };
            if (authorizer != null) options.Authorizer = authorizer;
            else options.AclFile = _acl;
            configure?.Invoke(options);
            return StartAsync(options);
        }

        private static Action<ConnectPacket> As(string user, uint sessionExpiry = 0, MqttWillMessage will = null) => c =>
        {
            if (user != null)
            {
                c.Username = user;
                c.Password = Encoding.UTF8.GetBytes(user + "-pw");
            }
            if (sessionExpiry > 0) c.Properties.SessionExpiryInterval = sessionExpiry;
            c.Will = will;
        };

        private static PublishPacket Publish(string topic, string text, MqttQualityOfService qos, ushort packetId = 0)
            => new PublishPacket { Topic = topic, Payload = Encoding.UTF8.GetBytes(text), QoS = qos, PacketId = packetId };

        /// <summary>bob's offline session bob-phone, subscribed to bob/# at QoS 1, with bob/private queued for it.</summary>
        private static async Task PrepareBobsOfflineSession(MqttBroker broker, MqttProtocolVersion version)
        {
            var (bob, ack) = await RawMqttClient.ConnectAsync(broker.Port, "bob-phone", version, cleanStart: false, configure: As("bob", 3600));
            using (bob)
            {
                Assert.Equal(ConnectReasonCode.Success, ack.ReasonCode);
                await bob.SubscribeAsync("bob/#", MqttQualityOfService.AtLeastOnce);
                await bob.SendAsync(new DisconnectPacket());
            }
            var (sender, _) = await RawMqttClient.ConnectAsync(broker.Port, "bob-laptop", version, configure: As("bob"));
            using (sender)
            {
                await sender.SendAsync(Publish("bob/private", "for bob only", MqttQualityOfService.AtLeastOnce, 1));
                await sender.ReceiveAsync<PubAckPacket>();
            }
        }

        [Theory]
        [InlineData(MqttProtocolVersion.V311)]
        [InlineData(MqttProtocolVersion.V500)]
        public async Task Another_user_cannot_take_over_a_persistent_session_nor_read_its_queued_messages(MqttProtocolVersion version)
        {
            using (var broker = await Start())
            {
                await PrepareBobsOfflineSession(broker, version);

                // alice with bob's client id: resuming is refused (0x87 / 3.1.1 return code 5), and so is a clean start,
                // which would have discarded bob's session.
                foreach (var clean in new[] { false, true })
                {
                    var (alice, ack) = await RawMqttClient.ConnectAsync(broker.Port, "bob-phone", version, cleanStart: clean, configure: As("alice", 3600));
                    using (alice)
                    {
                        Assert.Equal(ConnectReasonCode.NotAuthorized, ack.ReasonCode);
                        Assert.False(ack.SessionPresent);
                        Assert.Null(await alice.ReceiveAsync(TimeSpan.FromMilliseconds(300)));
                        Assert.True(await alice.WaitForCloseAsync(TimeSpan.FromSeconds(5)));
                    }
                }
                // An anonymous client is another identity too.
                var (anonymous, anonymousAck) = await RawMqttClient.ConnectAsync(broker.Port, "bob-phone", version, cleanStart: false, configure: As(null, 3600));
                using (anonymous) Assert.Equal(ConnectReasonCode.NotAuthorized, anonymousAck.ReasonCode);

                // bob's session is intact: he gets it back with the queued message.
                var (bob, bobAck) = await RawMqttClient.ConnectAsync(broker.Port, "bob-phone", version, cleanStart: false, configure: As("bob", 3600));
                using (bob)
                {
                    Assert.Equal(ConnectReasonCode.Success, bobAck.ReasonCode);
                    Assert.True(bobAck.SessionPresent);
                    var message = await bob.ReceiveAsync<PublishPacket>();
                    Assert.Equal("bob/private", message.Topic);
                }
            }
        }

        [Fact]
        public async Task An_online_session_is_not_taken_over_by_another_user()
        {
            using (var broker = await Start())
            {
                var (bob, _) = await RawMqttClient.ConnectAsync(broker.Port, "bob-phone", configure: As("bob"));
                using (bob)
                {
                    var (alice, ack) = await RawMqttClient.ConnectAsync(broker.Port, "bob-phone", configure: As("alice"));
                    using (alice) Assert.Equal(ConnectReasonCode.NotAuthorized, ack.ReasonCode);
                    // bob was not kicked off: he still gets answers.
                    await bob.SendAsync(new PingReqPacket());
                    Assert.IsType<PingRespPacket>(await bob.ReceiveAsync(TimeSpan.FromSeconds(5)));
                    // bob himself takes his session over as before [MQTT-3.1.4-3].
                    var (again, againAck) = await RawMqttClient.ConnectAsync(broker.Port, "bob-phone", configure: As("bob"));
                    using (again) Assert.Equal(ConnectReasonCode.Success, againAck.ReasonCode);
                    Assert.IsType<DisconnectPacket>(await bob.ReceiveAsync(TimeSpan.FromSeconds(5)));
                }
            }
        }

        /// <summary>Rules that can change while the broker runs (a custom authorizer over a user directory).</summary>
        private sealed class RevocableAuthorizer : IMqttBrokerAuthorizer
        {
            public readonly ConcurrentDictionary<string, bool> Revoked = new ConcurrentDictionary<string, bool>();
            private bool Allowed(MqttClientIdentity c, string topic) =>
                c.Username != null && topic.StartsWith(c.Username + "/", StringComparison.Ordinal) && !Revoked.ContainsKey(c.Username + ":" + topic);
            public bool CanPublish(MqttClientIdentity client, string topic) => Allowed(client, topic);
            public bool CanSubscribe(MqttClientIdentity client, string topicFilter) => client.Username != null && topicFilter.StartsWith(client.Username + "/", StringComparison.Ordinal);
            public bool CanReceive(MqttClientIdentity client, string topic) => Allowed(client, topic);
        }

        [Fact]
        public async Task Queued_and_in_flight_messages_are_checked_against_the_receiver_when_they_are_sent()
        {
            var rules = new RevocableAuthorizer();
            using (var broker = await Start(rules))
            {
                var (bob, _) = await RawMqttClient.ConnectAsync(broker.Port, "bob-phone", cleanStart: false, configure: As("bob", 3600));
                using (bob)
                {
                    await bob.SubscribeAsync("bob/#", MqttQualityOfService.AtLeastOnce);
                    var (sender, _) = await RawMqttClient.ConnectAsync(broker.Port, "bob-laptop", configure: As("bob"));
                    using (sender)
                    {
                        // In flight: sent to bob, who does not acknowledge it before he drops.
                        await sender.SendAsync(Publish("bob/inflight", "1", MqttQualityOfService.AtLeastOnce, 1));
                        await sender.ReceiveAsync<PubAckPacket>();
                        Assert.Equal("bob/inflight", (await bob.ReceiveAsync<PublishPacket>()).Topic);
                        bob.Dispose();
                        await Eventually.WaitUntilAsync(() => broker.GetClients().All(c => c.ClientId != "bob-phone"), TimeSpan.FromSeconds(10), "bob's connection to end");
                        // Queued while bob is away, and allowed when queued.
                        await sender.SendAsync(Publish("bob/queued", "2", MqttQualityOfService.AtLeastOnce, 2));
                        await sender.ReceiveAsync<PubAckPacket>();
                        await sender.SendAsync(Publish("bob/kept", "3", MqttQualityOfService.AtLeastOnce, 3));
                        await sender.ReceiveAsync<PubAckPacket>();
                    }
                }
                // bob loses the right to read two of them while he is away.
                rules.Revoked["bob:bob/inflight"] = true;
                rules.Revoked["bob:bob/queued"] = true;
                var dropped = new ConcurrentQueue<MqttBrokerEvent>();
                broker.EventRaised += (_, e) => { if (e.Kind == MqttBrokerEventKind.MessageDropped) dropped.Enqueue(e); };
                var (back, ack) = await RawMqttClient.ConnectAsync(broker.Port, "bob-phone", cleanStart: false, configure: As("bob", 3600));
                using (back)
                {
                    Assert.True(ack.SessionPresent);
                    var first = await back.ReceiveAsync<PublishPacket>();
                    Assert.Equal("bob/kept", first.Topic);
                    Assert.Null(await back.ReceiveAsync(TimeSpan.FromMilliseconds(500)));
                }
                Assert.Contains(dropped, e => e.Topic == "bob/inflight" && e.Reason.Contains("not authorized to receive"));
                Assert.Contains(dropped, e => e.Topic == "bob/queued" && e.Reason.Contains("not authorized to receive"));
            }
        }

        [Theory]
        [InlineData(MqttProtocolVersion.V311)]
        [InlineData(MqttProtocolVersion.V500)]
        public async Task A_will_is_authorized_as_the_user_who_set_it(MqttProtocolVersion version)
        {
            using (var broker = await Start())
            {
                var (watcher, _) = await RawMqttClient.ConnectAsync(broker.Port, "watcher", version, configure: As("alice"));
                using (watcher)
                {
                    await watcher.SubscribeAsync("alice/#", MqttQualityOfService.AtMostOnce);
                    // alice's will to alice/status, which her ACL allows, is published when she drops.
                    var will = new MqttWillMessage { Topic = "alice/status", Payload = Encoding.UTF8.GetBytes("offline") };
                    var (alice, ack) = await RawMqttClient.ConnectAsync(broker.Port, "alice-1", version, configure: As("alice", will: will));
                    Assert.Equal(ConnectReasonCode.Success, ack.ReasonCode);
                    alice.Dispose();
                    var published = await watcher.ReceiveAsync<PublishPacket>(TimeSpan.FromSeconds(10));
                    Assert.Equal("alice/status", published.Topic);
                    Assert.Equal("offline", Encoding.UTF8.GetString(published.Payload));
                }

                // Her will to anon/x, which only anonymous clients may write, is refused at CONNECT (0x87 / return code 5).
                var published2 = new ConcurrentQueue<string>();
                broker.EventRaised += (_, e) => { if (e.Kind == MqttBrokerEventKind.MessagePublished) published2.Enqueue(e.Topic); };
                var bypass = new MqttWillMessage { Topic = "anon/x", Payload = Encoding.UTF8.GetBytes("forged") };
                var (forger, refused) = await RawMqttClient.ConnectAsync(broker.Port, "alice-2", version, configure: As("alice", will: bypass));
                using (forger)
                {
                    Assert.Equal(ConnectReasonCode.NotAuthorized, refused.ReasonCode);
                    Assert.True(await forger.WaitForCloseAsync(TimeSpan.FromSeconds(5)));
                }
                await Task.Delay(300);
                Assert.DoesNotContain("anon/x", published2);
            }
        }

        [Fact]
        public async Task A_will_is_authorized_again_when_it_is_published()
        {
            var rules = new RevocableAuthorizer();
            using (var broker = await Start(rules))
            {
                var events = new ConcurrentQueue<MqttBrokerEvent>();
                broker.EventRaised += (_, e) => events.Enqueue(e);
                var will = new MqttWillMessage { Topic = "alice/status", Payload = Encoding.UTF8.GetBytes("offline") };
                var (alice, ack) = await RawMqttClient.ConnectAsync(broker.Port, "alice-1", configure: As("alice", will: will));
                Assert.Equal(ConnectReasonCode.Success, ack.ReasonCode);
                rules.Revoked["alice:alice/status"] = true;
                alice.Dispose();
                await Eventually.WaitUntilAsync(() => events.Any(e => e.Kind == MqttBrokerEventKind.MessageDropped && e.Topic == "alice/status"), TimeSpan.FromSeconds(10), "the will to be dropped");
                Assert.DoesNotContain(events, e => e.Kind == MqttBrokerEventKind.MessagePublished && e.Topic == "alice/status");
                Assert.Contains(events, e => e.Kind == MqttBrokerEventKind.MessageDropped && e.Reason.Contains("user 'alice'"));
            }
        }

        [Fact]
        public async Task A_3_1_1_client_that_never_releases_QoS_2_messages_is_disconnected_at_the_limit()
        {
            using (var broker = await StartAsync(new MqttBrokerOptions { MaxUnreleasedQoS2Messages = 50 }))
            {
                var events = new ConcurrentQueue<MqttBrokerEvent>();
                broker.EventRaised += (_, e) => events.Enqueue(e);
                var (hoarder, _) = await RawMqttClient.ConnectAsync(broker.Port, "hoarder", MqttProtocolVersion.V311);
                using (hoarder)
                {
                    for (ushort id = 1; id <= 50; id++)
                    {
                        await hoarder.SendAsync(Publish("hoard", new string('x', 1000), MqttQualityOfService.ExactlyOnce, id));
                        Assert.Equal(id, (await hoarder.ReceiveAsync<PubRecPacket>()).PacketId);
                    }
                    // Re-sending one it holds is still fine (a lost PUBREC); a 51st new one is not.
                    await hoarder.SendAsync(Publish("hoard", new string('x', 1000), MqttQualityOfService.ExactlyOnce, 50));
                    Assert.Equal(50, (await hoarder.ReceiveAsync<PubRecPacket>()).PacketId);
                    await hoarder.SendAsync(Publish("hoard", "one more", MqttQualityOfService.ExactlyOnce, 51));
                    Assert.True(await hoarder.WaitForCloseAsync(TimeSpan.FromSeconds(5)), "the hoarding client was not disconnected");
                }
                await Eventually.WaitUntilAsync(() => events.Any(e => e.Kind == MqttBrokerEventKind.ClientDisconnected && e.ClientId == "hoarder"), TimeSpan.FromSeconds(5), "the hoarder's disconnect event");
                Assert.Contains(events, e => e.Kind == MqttBrokerEventKind.ClientDisconnected && e.Reason.Contains("more than 50 QoS 2 messages left unreleased"));

                // A client that releases what it sends is never limited.
                var (fine, _) = await RawMqttClient.ConnectAsync(broker.Port, "fine", MqttProtocolVersion.V311);
                using (fine)
                {
                    for (ushort id = 1; id <= 200; id++)
                    {
                        await fine.SendAsync(Publish("fine", "x", MqttQualityOfService.ExactlyOnce, id));
                        await fine.ReceiveAsync<PubRecPacket>();
                        await fine.SendAsync(new PubRelPacket { PacketId = id });
                        await fine.ReceiveAsync<PubCompPacket>();
                    }
                }
            }
        }

        [Fact]
        public void The_default_limit_on_unreleased_QoS_2_messages_applies_to_3_1_1_clients()
        {
            Assert.Equal(100, new MqttBrokerOptions().MaxUnreleasedQoS2Messages);
        }

        [Theory]
        [InlineData(0x85, true)]   // 5.0 with the high bit: no such level
        [InlineData(0x86, true)]
        [InlineData(0xFF, true)]
        [InlineData(0x84, false)]  // mosquitto bridge marker, 3.1.1
        public async Task Protocol_levels_with_the_high_bit_other_than_the_bridge_markers_are_refused(int level, bool refused)
        {
            using (var broker = await StartAsync(new MqttBrokerOptions()))
            using (var raw = await RawMqttClient.OpenAsync(broker.Port, MqttProtocolVersion.V500))
            {
                // CONNECT "MQTT", level, clean start, keep alive 60, (5.0: no properties), client id "c"
                var body = new List<byte> { 0x00, 0x04, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', (byte)level, 0x02, 0x00, 0x3C };
                if ((level & 0x7F) == 5) body.Add(0x00);
                body.AddRange(new byte[] { 0x00, 0x01, (byte)'c' });
                var packet = new List<byte> { 0x10, (byte)body.Count };
                packet.AddRange(body);
                await raw.SendRawAsync(packet.ToArray());
                var reply = await ReadBytesAsync(raw.Socket, refused ? 5 : 4);
                if (refused)
                {
                    // CONNACK in 5.0 form with 0x84 Unsupported Protocol Version [MQTT-3.1.2-2], then the close.
                    Assert.Equal(new byte[] { 0x20, 0x03, 0x00, 0x84, 0x00 }, reply);
                    Assert.True(await raw.WaitForCloseAsync(TimeSpan.FromSeconds(5)));
                }
                else Assert.Equal(new byte[] { 0x20, 0x02, 0x00, 0x00 }, reply);
            }
        }

        /// <summary>Found by the fuzzer: a second CONNECT with an unsupported protocol level made the broker try to send
        /// DISCONNECT 0x84, which DISCONNECT cannot carry (an internal error; the client got no reason).</summary>
        [Fact]
        public async Task A_second_CONNECT_with_an_unsupported_level_gets_DISCONNECT_0x82()
        {
            using (var broker = await StartAsync(new MqttBrokerOptions()))
            {
                var (client, ack) = await RawMqttClient.ConnectAsync(broker.Port, "twice");
                using (client)
                {
                    Assert.Equal(ConnectReasonCode.Success, ack.ReasonCode);
                    await client.SendRawAsync(new byte[] { 0x10, 0x0D, 0x00, 0x04, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', 0x06, 0x02, 0x00, 0x3C, 0x00, 0x00, 0x01, (byte)'c' });
                    var disconnect = await client.ReceiveAsync<DisconnectPacket>();
                    Assert.Equal(DisconnectReasonCode.ProtocolError, disconnect.ReasonCode);
                }
                Assert.Equal(0, broker.InternalErrors);
            }
        }

        private static async Task<byte[]> ReadBytesAsync(System.Net.Sockets.Socket socket, int count)
        {
            var buffer = new byte[count];
            var read = 0;
            using (var cts = new System.Threading.CancellationTokenSource(TimeSpan.FromSeconds(5)))
            {
                while (read < count)
                {
                    var n = await socket.ReceiveAsync(new Memory<byte>(buffer, read, count - read), System.Net.Sockets.SocketFlags.None, cts.Token);
                    if (n == 0) break;
                    read += n;
                }
            }
            return buffer.Take(read).ToArray();
        }
    }
}
