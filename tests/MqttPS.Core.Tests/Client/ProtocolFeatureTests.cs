using System;
using System.Collections.Concurrent;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using MqttPS.Core.Client;
using MqttPS.Core.Messages;
using MqttPS.Core.Protocol;
using MqttPS.Core.Tests.Infrastructure;
using Xunit;

namespace MqttPS.Core.Tests.Client
{
    /// <summary>5.0 features and broker limits: server DISCONNECT, Maximum QoS, Retain Available, enhanced
    /// authentication, topic aliases from the broker, cancellation, clean shutdown.</summary>
    public class ProtocolFeatureTests
    {
        [Fact]
        public async Task Session_takeover_ends_the_first_connection_and_its_receive_stream()
        {
            using (var broker = await Mosquitto.StartAsync())
            using (var first = await TestClients.ConnectAsync(broker.Port, clientId: "twin"))
            {
                var disconnected = new TaskCompletionSource<MqttConnectionStateChangedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
                first.ConnectionStateChanged += (_, e) => { if (e.State == MqttConnectionState.Disconnected) disconnected.TrySetResult(e); };
                var pendingReceive = first.ReceiveAsync();
                using (var second = await TestClients.ConnectAsync(broker.Port, clientId: "twin"))
                {
                    // mosquitto 2.0.11 closes the old connection without a DISCONNECT (checked with mosquitto_sub -d).
                    var e = await disconnected.Task.WaitAsync(TimeSpan.FromSeconds(5));
                    Assert.False(e.ClientInitiated);
                    Assert.False(first.IsConnected);
                    Assert.True(second.IsConnected);
                    // No auto-reconnect: the receive stream ends.
                    Assert.Null(await pendingReceive.WaitAsync(TimeSpan.FromSeconds(5)));
                }
            }
        }

        [Fact]
        public async Task Server_disconnect_with_reason_code_and_string_is_reported()
        {
            using (var server = new FakeMqttServer())
            using (var client = new MqttClient(TestClients.Options(server.Port)))
            {
                var disconnected = new TaskCompletionSource<MqttConnectionStateChangedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
                client.ConnectionStateChanged += (_, e) => { if (e.State == MqttConnectionState.Disconnected) disconnected.TrySetResult(e); };
                var accept = server.AcceptAsync();
                var connecting = client.ConnectAsync();
                await accept;
                Assert.IsType<ConnectPacket>(await server.ReadAsync());
                await server.SendAsync(new ConnAckPacket { ReasonCode = ConnectReasonCode.Success });
                await connecting;
                var disconnect = new DisconnectPacket { ReasonCode = DisconnectReasonCode.ServerShuttingDown };
                disconnect.Properties.ReasonString = "maintenance";
                await server.SendAsync(disconnect);
                var e = await disconnected.Task.WaitAsync(TimeSpan.FromSeconds(5));
                Assert.Equal(DisconnectReasonCode.ServerShuttingDown, e.ReasonCode);
                Assert.Equal("maintenance", e.Reason);
                Assert.False(client.IsConnected);
            }
        }

        [Fact]
        public async Task Topic_alias_from_the_server_is_resolved_and_an_unknown_one_closes_with_0x94()
        {
            using (var server = new FakeMqttServer())
            using (var client = new MqttClient(TestClients.Options(server.Port)))
            {
                client.Options.TopicAliasMaximum = 5;
                var accept = server.AcceptAsync();
                var connecting = client.ConnectAsync();
                await accept;
                var connect = (ConnectPacket)await server.ReadAsync();
                Assert.Equal((ushort)5, connect.Properties.TopicAliasMaximum);
                await server.SendAsync(new ConnAckPacket { ReasonCode = ConnectReasonCode.Success });
                await connecting;

                var first = new PublishPacket { Topic = "long/topic/name", Payload = new byte[] { 1 } };
                first.Properties.TopicAlias = 3;
                var second = new PublishPacket { Topic = "", Payload = new byte[] { 2 } };
                second.Properties.TopicAlias = 3;
                await server.SendAsync(first);
                await server.SendAsync(second);
                var a = await client.ReceiveAsync();
                var b = await client.ReceiveAsync();
                Assert.Equal("long/topic/name", a.Topic);
                Assert.Equal("long/topic/name", b.Topic);
                Assert.Equal(new byte[] { 2 }, b.PayloadBytes);

                var bad = new PublishPacket { Topic = "x", Payload = new byte[0] };
                bad.Properties.TopicAlias = 6;
                await server.SendAsync(bad);
                var reply = await server.ReadAsync();
                var goodbye = Assert.IsType<DisconnectPacket>(reply);
                Assert.Equal(DisconnectReasonCode.TopicAliasInvalid, goodbye.ReasonCode);
                await Eventually.WaitUntilAsync(() => !client.IsConnected, TimeSpan.FromSeconds(5), "the client to close");
            }
        }

        [Fact]
        public async Task Maximum_qos_and_retain_available_from_connack_are_honoured()
        {
            using (var broker = await Mosquitto.StartAsync(new[] { "max_qos 1", "retain_available false" }))
            using (var client = await TestClients.ConnectAsync(broker.Port))
            {
                Assert.Equal(MqttQualityOfService.AtLeastOnce, client.LastConnectResult.MaximumQoS);
                Assert.False(client.LastConnectResult.RetainAvailable);
                var qos = await Assert.ThrowsAsync<MqttProtocolException>(() => client.PublishAsync(new MqttMessage("t", "x", MqttQualityOfService.ExactlyOnce)));
                Assert.Equal(MqttReasonCode.QoSNotSupported, qos.ReasonCode);
                var retain = await Assert.ThrowsAsync<MqttProtocolException>(() => client.PublishAsync(new MqttMessage("t", "x", MqttQualityOfService.AtLeastOnce, retain: true)));
                Assert.Equal(MqttReasonCode.RetainNotSupported, retain.ReasonCode);
                Assert.True((await client.PublishAsync(new MqttMessage("t", "x", MqttQualityOfService.AtLeastOnce))).IsSuccess);
            }
        }

        [Fact]
        public async Task Publish_waiting_for_a_window_slot_can_be_cancelled_and_disconnect_fails_the_in_flight_one()
        {
            using (var broker = await Mosquitto.StartAsync(new[] { "max_inflight_messages 1" }))
            using (var proxy = new TcpProxy(broker.Port))
            using (var client = await TestClients.ConnectAsync(proxy.Port))
            {
                Assert.Equal(1, client.LastConnectResult.ReceiveMaximum);
                proxy.HoldServerToClient = true; // no PUBACK comes back
                var inFlight = client.PublishAsync(new MqttMessage("t", "1", MqttQualityOfService.AtLeastOnce));
                using (var cts = new CancellationTokenSource())
                {
                    var waiting = client.PublishAsync(new MqttMessage("t", "2", MqttQualityOfService.AtLeastOnce), cts.Token);
                    await Task.Delay(100);
                    Assert.False(waiting.IsCompleted);
                    Assert.Equal(2, client.PendingPublishes);
                    cts.Cancel();
                    await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
                }
                Assert.Equal(1, client.PendingPublishes);
                await client.DisconnectAsync();
                await Assert.ThrowsAsync<MqttConnectionLostException>(() => inFlight);
                Assert.Equal(0, client.PendingPublishes);
            }
        }

        [Fact]
        public async Task Disconnect_ends_the_network_tasks_and_closes_the_socket()
        {
            using (var broker = await Mosquitto.StartAsync())
            using (var proxy = new TcpProxy(broker.Port))
            {
                var client = await TestClients.ConnectAsync(proxy.Port, configure: o => o.KeepAliveSeconds = 5);
                var tasks = client.BackgroundTasks;
                Assert.All(tasks, t => Assert.False(t.IsCompleted));
                await client.DisconnectAsync();
                Assert.All(tasks, t => Assert.True(t.IsCompleted));
                await Eventually.WaitUntilAsync(() => proxy.ConnectionCount == 0 || !client.IsConnected, TimeSpan.FromSeconds(5), "the socket to close");
                client.Dispose();

                // Dispose without DisconnectAsync: the tasks end too.
                var abrupt = await TestClients.ConnectAsync(proxy.Port, configure: o => o.KeepAliveSeconds = 5);
                tasks = abrupt.BackgroundTasks;
                abrupt.Dispose();
                await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(5));
            }
        }

        [Fact]
        public void Incoming_topic_aliases_are_defined_used_and_checked()
        {
            var aliases = new IncomingTopicAliases(2);
            var define = new PublishPacket { Topic = "a/b" };
            define.Properties.TopicAlias = 1;
            Assert.Equal("a/b", aliases.Resolve(define));
            var use = new PublishPacket { Topic = "" };
            use.Properties.TopicAlias = 1;
            Assert.Equal("a/b", aliases.Resolve(use));
            var unknown = new PublishPacket { Topic = "" };
            unknown.Properties.TopicAlias = 2;
            Assert.Equal(MqttReasonCode.ProtocolError, Assert.Throws<MqttProtocolException>(() => aliases.Resolve(unknown)).ReasonCode);
            var tooBig = new PublishPacket { Topic = "x" };
            tooBig.Properties.TopicAlias = 3;
            Assert.Equal(MqttReasonCode.TopicAliasInvalid, Assert.Throws<MqttProtocolException>(() => aliases.Resolve(tooBig)).ReasonCode);
        }

        private sealed class ChallengeAuthenticator : IMqttEnhancedAuthenticator
        {
            public string AuthenticationMethod => "TEST-CHALLENGE";
            public byte[] ServerFinalData;
            public byte[] GetInitialData() => Encoding.ASCII.GetBytes("hello");
            public Task<byte[]> RespondAsync(byte[] challengeData, CancellationToken cancellationToken)
                => Task.FromResult(Encoding.ASCII.GetBytes("response:" + Encoding.ASCII.GetString(challengeData)));
            public void OnAuthenticated(byte[] serverData) { ServerFinalData = serverData; }
        }

        [Fact]
        public async Task Enhanced_authentication_answers_the_server_challenge()
        {
            // A minimal 5.0 server made with the codec: CONNECT -> AUTH challenge -> AUTH response -> CONNACK.
            using (var fake = new FakeMqttServer())
            {
                var seen = new ConcurrentQueue<string>();
                var server = Task.Run(async () =>
                {
                    await fake.AcceptAsync();
                    var connect = (ConnectPacket)await fake.ReadAsync();
                    seen.Enqueue(connect.Properties.AuthenticationMethod + ":" + Encoding.ASCII.GetString(connect.Properties.AuthenticationData));
                    var challenge = new AuthPacket { ReasonCode = AuthReasonCode.ContinueAuthentication };
                    challenge.Properties.AuthenticationMethod = "TEST-CHALLENGE";
                    challenge.Properties.AuthenticationData = Encoding.ASCII.GetBytes("nonce42");
                    await fake.SendAsync(challenge);
                    var answer = (AuthPacket)await fake.ReadAsync();
                    seen.Enqueue(answer.ReasonCode + ":" + Encoding.ASCII.GetString(answer.Properties.AuthenticationData));
                    var connAck = new ConnAckPacket { ReasonCode = ConnectReasonCode.Success };
                    connAck.Properties.AuthenticationMethod = "TEST-CHALLENGE";
                    connAck.Properties.AuthenticationData = Encoding.ASCII.GetBytes("welcome");
                    await fake.SendAsync(connAck);
                    var last = await fake.ReadAsync();
                    seen.Enqueue(last?.PacketType.ToString() ?? "closed");
                });
                var authenticator = new ChallengeAuthenticator();
                var options = TestClients.Options(fake.Port);
                options.Authenticator = authenticator;
                using (var client = new MqttClient(options))
                {
                    await client.ConnectAsync();
                    Assert.Equal("welcome", Encoding.ASCII.GetString(authenticator.ServerFinalData));
                    await client.DisconnectAsync();
                }
                await server.WaitAsync(TimeSpan.FromSeconds(5));
                Assert.Equal(new[] { "TEST-CHALLENGE:hello", "ContinueAuthentication:response:nonce42", "Disconnect" }, seen);
            }
        }
    }
}
