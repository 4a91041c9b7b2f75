using System;
using System.IO;
using System.Linq;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using MqttPS.Core.Client;
using MqttPS.Core.Messages;
using MqttPS.Core.Protocol;
using MqttPS.Core.Tests.Infrastructure;
using MqttPS.Core.Transport;
using MqttPS.Interop.Tests.Peers;
using MqttPS.MqttnetHost;
using MQTTnet.Protocol;
using Xunit;
using static MqttPS.Interop.Tests.Peers.ProtocolVersions;

namespace MqttPS.Interop.Tests
{
    /// <summary>
    /// Direction 2 of the interop matrix: MqttPS's engine client (what every cmdlet uses) against an MQTTnet 5.2 server
    /// started by the test, over MQTT 5.0 and 3.1.1. Where MQTTnet supports a feature the test asserts it works; where
    /// it refuses one, that the client reports the refusal clearly; where it does not do what the specification says
    /// (SUBACK order, will delay, message expiry), that the client still does the right thing or the test pins down
    /// what MQTTnet does, so the README's account of it stays true.
    /// </summary>
    public sealed class OurClientToMqttnetServerTests
    {
        private const int OrderedCount = 1000;

        private static Task<MqttnetServerHost> StartServerAsync(bool persistentSessions = false, Action<MqttnetServerSettings> configure = null)
        {
            var settings = new MqttnetServerSettings { PersistentSessions = persistentSessions };
            configure?.Invoke(settings);
            return MqttnetServerHost.StartAsync(settings);
        }

        [Theory]
        [InlineData(V5, MqttQualityOfService.AtMostOnce)]
        [InlineData(V5, MqttQualityOfService.AtLeastOnce)]
        [InlineData(V5, MqttQualityOfService.ExactlyOnce)]
        [InlineData(V311, MqttQualityOfService.AtMostOnce)]
        [InlineData(V311, MqttQualityOfService.AtLeastOnce)]
        [InlineData(V311, MqttQualityOfService.ExactlyOnce)]
        public async Task Thousand_messages_arrive_once_each_in_order(string version, MqttQualityOfService qos)
        {
            await using var server = await StartServerAsync();
            var sub = await OurClient.ConnectAsync(server.Port, version, "order-sub");
            var pub = await OurClient.ConnectAsync(server.Port, version, "order-pub");
            try
            {
                var granted = await sub.SubscribeAsync("order/#", qos);
                Assert.Equal((byte)qos, (byte)granted.ReasonCodes.Single());
                // As Publish-MqttMessage does: many publishes in flight at once, each awaited.
                var publishes = Enumerable.Range(0, OrderedCount).Select(i => pub.PublishAsync(new MqttMessage("order/" + (i % 3), i.ToString(), qos))).ToArray();
                foreach (var r in await Task.WhenAll(publishes)) Assert.True(r.IsSuccess, r.ToString());
                var received = await sub.ReceiveManyWithinAsync(OrderedCount);
                Assert.Equal(Enumerable.Range(0, OrderedCount).Select(i => i.ToString()), received.Select(m => m.PayloadText));
                Assert.All(received, m => Assert.Equal(qos, m.QoS));
                await sub.AssertNothingReceivedAsync(0.3);
            }
            finally { await sub.CloseAsync(); await pub.CloseAsync(); }
        }

        [Theory]
        [InlineData(V5)]
        [InlineData(V311)]
        public async Task Retained_message_is_set_delivered_to_later_subscribers_and_cleared(string version)
        {
            await using var server = await StartServerAsync();
            var pub = await OurClient.ConnectAsync(server.Port, version, "retain-pub");
            try
            {
                await pub.PublishAsync(new MqttMessage("devices/lamp/state", "on", MqttQualityOfService.AtLeastOnce, retain: true));
                Assert.Equal("on", Encoding.UTF8.GetString((await server.Server.GetRetainedMessageAsync("devices/lamp/state")).Payload.FirstSpan));

                var sub = await OurClient.ConnectAsync(server.Port, version, "retain-sub");
                await sub.SubscribeAsync("devices/#", MqttQualityOfService.AtLeastOnce);
                var m = await sub.ReceiveWithinAsync();
                Assert.Equal(("devices/lamp/state", "on", true), (m.Topic, m.PayloadText, m.Retain));
                await sub.CloseAsync();

                await pub.PublishAsync(new MqttMessage("devices/lamp/state", "", MqttQualityOfService.AtLeastOnce, retain: true));
                Assert.Empty(await server.Server.GetRetainedMessagesAsync());
                var later = await OurClient.ConnectAsync(server.Port, version, "retain-sub2");
                await later.SubscribeAsync("devices/#", MqttQualityOfService.AtLeastOnce);
                await later.AssertNothingReceivedAsync();
                await later.CloseAsync();
            }
            finally { await pub.CloseAsync(); }
        }

        [Theory]
        [InlineData(V5)]
        [InlineData(V311)]
        public async Task Will_is_published_when_the_connection_breaks(string version)
        {
            await using var server = await StartServerAsync();
            using var link = new TcpProxy(server.Port);
            var watcher = await OurClient.ConnectAsync(server.Port, version, "will-watcher");
            var device = await OurClient.ConnectAsync(link.Port, version, "will-device",
                o => o.Will = new MqttWillMessage { Topic = "status/device", Payload = Encoding.UTF8.GetBytes("offline"), QoS = MqttQualityOfService.AtLeastOnce });
            try
            {
                await watcher.SubscribeAsync("status/#", MqttQualityOfService.AtLeastOnce);
                link.CutAll();
                var will = await watcher.ReceiveWithinAsync();
                Assert.Equal(("status/device", "offline"), (will.Topic, will.PayloadText));
            }
            finally { device.Dispose(); await watcher.CloseAsync(); }
        }

        [Fact]
        public async Task Will_delay_is_ignored_by_MQTTnet_which_publishes_the_will_at_once_5_0()
        {
            await using var server = await StartServerAsync(persistentSessions: true);
            using var link = new TcpProxy(server.Port);
            var watcher = await OurClient.ConnectAsync(server.Port, V5, "will-watcher");
            var device = await OurClient.ConnectAsync(link.Port, V5, "will-device", o =>
            {
                o.CleanStart = false;
                o.SessionExpiryInterval = 60;
                o.Will = new MqttWillMessage { Topic = "status/device", Payload = Encoding.UTF8.GetBytes("offline") };
                o.Will.Properties.WillDelayInterval = 5;
            });
            try
            {
                await watcher.SubscribeAsync("status/#", MqttQualityOfService.AtLeastOnce);
                var cut = DateTime.UtcNow;
                link.CutAll();
                var will = await watcher.ReceiveWithinAsync();
                // The client sent the Will Delay Interval (the embedded broker honours it: see the other direction);
                // MQTTnet 5.2 does not delay the will [MQTT-3.1.3-9 / 3.1.2.5].
                Assert.Equal("offline", will.PayloadText);
                Assert.True(DateTime.UtcNow - cut < TimeSpan.FromSeconds(4), "MQTTnet now delays the will: update the README's account of MQTTnet");
            }
            finally { device.Dispose(); await watcher.CloseAsync(); }
        }

        [Theory]
        [InlineData(V5)]
        [InlineData(V311)]
        public async Task Persistent_session_keeps_subscriptions_and_queued_messages_when_MQTTnet_has_persistent_sessions_on(string version)
        {
            await using var server = await StartServerAsync(persistentSessions: true);
            void Persistent(MqttClientOptions o) { o.CleanStart = false; if (version == V5) o.SessionExpiryInterval = 300; }
            var sub = await OurClient.ConnectAsync(server.Port, version, "persistent-sub", Persistent);
            await sub.SubscribeAsync("queued/#", MqttQualityOfService.ExactlyOnce);
            await sub.CloseAsync();
            var pub = await OurClient.ConnectAsync(server.Port, version, "persistent-pub");
            for (var i = 0; i < 10; i++) await pub.PublishAsync(new MqttMessage("queued/" + i, "m" + i, i % 2 == 0 ? MqttQualityOfService.AtLeastOnce : MqttQualityOfService.ExactlyOnce));
            await pub.CloseAsync();

            var back = await OurClient.ConnectAsync(server.Port, version, "persistent-sub", Persistent);
            try
            {
                Assert.True(back.LastConnectResult.SessionPresent);
                Assert.Equal(Enumerable.Range(0, 10).Select(i => "m" + i), (await back.ReceiveManyWithinAsync(10)).Select(m => m.PayloadText));
            }
            finally { await back.CloseAsync(); }
        }

        [Theory]
        [InlineData(V5)]
        [InlineData(V311)]
        public async Task With_MQTTnet_defaults_a_persistent_session_is_dropped_and_the_client_says_so_and_subscribes_again(string version)
        {
            await using var server = await StartServerAsync(persistentSessions: false);
            using var link = new TcpProxy(server.Port);
            var sub = await OurClient.ConnectAsync(link.Port, version, "dropped-sub", o =>
            {
                o.CleanStart = false;
                if (version == V5) o.SessionExpiryInterval = 300;
                o.AutoReconnect = true;
                o.ReconnectMinDelay = TimeSpan.FromMilliseconds(100);
                o.ReconnectMaxDelay = TimeSpan.FromMilliseconds(500);
            });
            var pub = await OurClient.ConnectAsync(server.Port, version, "dropped-pub");
            try
            {
                await sub.SubscribeAsync("dropped/#", MqttQualityOfService.AtLeastOnce);
                var reconnected = new TaskCompletionSource<MqttConnectionStateChangedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
                sub.ConnectionStateChanged += (_, e) => { if (e.State == MqttConnectionState.Reconnected) reconnected.TrySetResult(e); };
                link.CutAll();
                var again = await reconnected.Task.WaitAsync(TimeSpan.FromSeconds(15));
                // MQTTnet ended the session with the connection although the client asked to keep it: the CONNACK
                // says so (Session Present 0), the client reports it with the reconnect, and makes its subscriptions
                // again on its own.
                Assert.False(again.SessionPresent);
                Assert.False(sub.LastConnectResult.SessionPresent);
                var deadline = DateTime.UtcNow.AddSeconds(10);
                MqttMessage m = null;
                while (m == null && DateTime.UtcNow < deadline)
                {
                    await pub.PublishAsync(new MqttMessage("dropped/x", "after", MqttQualityOfService.AtLeastOnce));
                    try { m = await sub.ReceiveWithinAsync(0.5); } catch (Xunit.Sdk.XunitException) { }
                }
                Assert.NotNull(m);
                Assert.Equal("after", m.PayloadText);
            }
            finally { await sub.CloseAsync(); await pub.CloseAsync(); }
        }

        [Fact]
        public async Task Session_expires_after_its_interval_5_0()
        {
            await using var server = await StartServerAsync(persistentSessions: true);
            var sub = await OurClient.ConnectAsync(server.Port, V5, "expiring", o => { o.CleanStart = false; o.SessionExpiryInterval = 1; });
            await sub.SubscribeAsync("expiring/#", MqttQualityOfService.AtLeastOnce);
            await sub.CloseAsync();
            await Task.Delay(2000);
            var back = await OurClient.ConnectAsync(server.Port, V5, "expiring", o => { o.CleanStart = false; o.SessionExpiryInterval = 1; });
            try { Assert.False(back.LastConnectResult.SessionPresent); }
            finally { await back.CloseAsync(); }
        }

        [Fact]
        public async Task Topic_aliases_from_the_client_are_resolved_and_MQTTnet_sends_full_topics_5_0()
        {
            await using var server = await StartServerAsync();
            var sub = await OurClient.ConnectAsync(server.Port, V5, "alias-sub", o => o.TopicAliasMaximum = 10);
            var pub = await OurClient.ConnectAsync(server.Port, V5, "alias-pub", o => o.UseTopicAliases = true);
            var sent = new System.Collections.Concurrent.ConcurrentQueue<string>();
            pub.Trace = line => sent.Enqueue(line);
            try
            {
                Assert.True(pub.LastConnectResult.TopicAliasMaximum > 0, "MQTTnet announces a Topic Alias Maximum");
                await sub.SubscribeAsync("alias/#", MqttQualityOfService.AtLeastOnce);
                for (var i = 0; i < 5; i++) await pub.PublishAsync(new MqttMessage("alias/sensor/temperature", i.ToString(), MqttQualityOfService.AtLeastOnce));
                var received = await sub.ReceiveManyWithinAsync(5);
                Assert.All(received, m => Assert.Equal("alias/sensor/temperature", m.Topic));
                Assert.Equal(new[] { "0", "1", "2", "3", "4" }, received.Select(m => m.PayloadText));
                Assert.Contains(sent, line => line.Contains("alias", StringComparison.OrdinalIgnoreCase));
            }
            finally { await sub.CloseAsync(); await pub.CloseAsync(); }
        }

        [Fact]
        public async Task Message_expiry_is_not_enforced_by_MQTTnet_5_0()
        {
            await using var server = await StartServerAsync(persistentSessions: true);
            void Persistent(MqttClientOptions o) { o.CleanStart = false; o.SessionExpiryInterval = 300; }
            var sub = await OurClient.ConnectAsync(server.Port, V5, "expiry-sub", Persistent);
            await sub.SubscribeAsync("expiry/#", MqttQualityOfService.AtLeastOnce);
            await sub.CloseAsync();
            var pub = await OurClient.ConnectAsync(server.Port, V5, "expiry-pub");
            await pub.PublishAsync(new MqttMessage("expiry/short", "short", MqttQualityOfService.AtLeastOnce) { MessageExpiryInterval = 1 });
            await pub.CloseAsync();
            await Task.Delay(2200);
            var back = await OurClient.ConnectAsync(server.Port, V5, "expiry-sub", Persistent);
            try
            {
                // [MQTT-3.3.2-5] says an expired message must not be delivered; MQTTnet 5.2 delivers it with its
                // original interval. The client passes the interval on as it came.
                var m = await back.ReceiveWithinAsync();
                Assert.Equal(("short", 1u), (m.PayloadText, m.MessageExpiryInterval ?? 0));
            }
            finally { await back.CloseAsync(); }
        }

        [Fact]
        public async Task Subscription_identifiers_come_back_with_matching_messages_5_0()
        {
            await using var server = await StartServerAsync();
            var sub = await OurClient.ConnectAsync(server.Port, V5, "ids-sub");
            var pub = await OurClient.ConnectAsync(server.Port, V5, "ids-pub");
            try
            {
                await sub.SubscribeAsync(new[] { new MqttTopicSubscription("ids/+/temp", MqttQualityOfService.AtLeastOnce) }, 7);
                await sub.SubscribeAsync(new[] { new MqttTopicSubscription("ids/kitchen/#", MqttQualityOfService.AtLeastOnce) }, 42);
                await pub.PublishAsync(new MqttMessage("ids/hall/temp", "a", MqttQualityOfService.AtLeastOnce));
                await pub.PublishAsync(new MqttMessage("ids/kitchen/temp", "b", MqttQualityOfService.AtLeastOnce));
                Assert.Equal(new uint[] { 7 }, (await sub.ReceiveWithinAsync()).SubscriptionIdentifiers);
                var kitchen = await sub.ReceiveWithinAsync();
                Assert.Equal(new uint[] { 7, 42 }, kitchen.SubscriptionIdentifiers.OrderBy(x => x));
            }
            finally { await sub.CloseAsync(); await pub.CloseAsync(); }
        }

        [Fact]
        public async Task No_local_retain_as_published_and_retain_handling_are_honoured_5_0()
        {
            await using var server = await StartServerAsync();
            var other = await OurClient.ConnectAsync(server.Port, V5, "opts-other");
            var me = await OurClient.ConnectAsync(server.Port, V5, "opts-me");
            var plain = await OurClient.ConnectAsync(server.Port, V5, "opts-plain");
            var rap = await OurClient.ConnectAsync(server.Port, V5, "opts-rap");
            try
            {
                await other.PublishAsync(new MqttMessage("opts/retained", "kept", MqttQualityOfService.AtLeastOnce, retain: true));
                MqttTopicSubscription Sub(string f, Action<MqttTopicSubscription> set = null) { var s = new MqttTopicSubscription(f, MqttQualityOfService.AtLeastOnce); set?.Invoke(s); return s; }

                await me.SubscribeAsync(new[] { Sub("opts/chat", s => s.NoLocal = true) });
                await me.PublishAsync(new MqttMessage("opts/chat", "mine", MqttQualityOfService.AtLeastOnce));
                await other.PublishAsync(new MqttMessage("opts/chat", "theirs", MqttQualityOfService.AtLeastOnce));
                Assert.Equal("theirs", (await me.ReceiveWithinAsync()).PayloadText);

                await me.SubscribeAsync(new[] { Sub("opts/retained", s => s.RetainHandling = RetainHandling.DoNotSend) });
                await me.AssertNothingReceivedAsync(0.3);
                await me.UnsubscribeAsync(new[] { "opts/retained" });
                await me.SubscribeAsync(new[] { Sub("opts/retained", s => s.RetainHandling = RetainHandling.SendAtSubscribeIfNew) });
                Assert.Equal("kept", (await me.ReceiveWithinAsync()).PayloadText);
                await me.SubscribeAsync(new[] { Sub("opts/retained", s => s.RetainHandling = RetainHandling.SendAtSubscribeIfNew) });
                await me.AssertNothingReceivedAsync(0.3);
                await me.SubscribeAsync(new[] { Sub("opts/retained") });
                Assert.Equal("kept", (await me.ReceiveWithinAsync()).PayloadText);

                await plain.SubscribeAsync(new[] { Sub("opts/live") });
                await rap.SubscribeAsync(new[] { Sub("opts/live", s => s.RetainAsPublished = true) });
                await other.PublishAsync(new MqttMessage("opts/live", "flagged", MqttQualityOfService.AtLeastOnce, retain: true));
                Assert.False((await plain.ReceiveWithinAsync()).Retain);
                Assert.True((await rap.ReceiveWithinAsync()).Retain);
            }
            finally { await other.CloseAsync(); await me.CloseAsync(); await plain.CloseAsync(); await rap.CloseAsync(); }
        }

        [Theory]
        [InlineData(V5, SubAckReasonCode.SharedSubscriptionsNotSupported)]
        [InlineData(V311, SubAckReasonCode.UnspecifiedError)]
        public async Task Shared_subscription_is_refused_by_MQTTnet_and_the_refusal_is_reported_for_that_filter_only(string version, SubAckReasonCode expected)
        {
            await using var server = await StartServerAsync();
            var client = await OurClient.ConnectAsync(server.Port, version, "shared");
            try
            {
                if (version == V5) Assert.False(client.LastConnectResult.SharedSubscriptionAvailable, "MQTTnet's CONNACK says shared subscriptions are not available");
                var result = await client.SubscribeAsync(new[]
                {
                    new MqttTopicSubscription("plain/#", MqttQualityOfService.AtMostOnce),
                    new MqttTopicSubscription("$share/workers/jobs/#", MqttQualityOfService.AtLeastOnce),
                });
                // 0x9E on 5.0; 3.1.1 has only 0x80 for a refusal. The plain filter next to it is granted.
                Assert.Equal(new[] { SubAckReasonCode.GrantedQoS0, expected }, result.ReasonCodes);
                Assert.False(result.AllGranted);
                Assert.True(client.IsConnected, "a refused filter does not end the connection");
            }
            finally { await client.CloseAsync(); }
        }

        [Theory]
        [InlineData(V5)]
        [InlineData(V311)]
        public async Task Suback_codes_are_matched_to_their_filters_although_MQTTnet_sorts_them_by_QoS(string version)
        {
            await using var server = await StartServerAsync();
            var client = await OurClient.ConnectAsync(server.Port, version, "suback-order");
            var pub = await OurClient.ConnectAsync(server.Port, version, "suback-pub");
            try
            {
                var result = await client.SubscribeAsync(new[]
                {
                    new MqttTopicSubscription("low/#", MqttQualityOfService.AtMostOnce),
                    new MqttTopicSubscription("mid/#", MqttQualityOfService.AtLeastOnce),
                    new MqttTopicSubscription("high/#", MqttQualityOfService.ExactlyOnce),
                });
                Assert.Equal(new[] { SubAckReasonCode.GrantedQoS0, SubAckReasonCode.GrantedQoS1, SubAckReasonCode.GrantedQoS2 }, result.ReasonCodes);
                Assert.Equal(new[] { "low/#", "mid/#", "high/#" }, result.Subscriptions.Select(s => s.TopicFilter));
                // And the broker really granted what each code says.
                foreach (var (topic, qos) in new[] { ("low/x", MqttQualityOfService.AtMostOnce), ("mid/x", MqttQualityOfService.AtLeastOnce), ("high/x", MqttQualityOfService.ExactlyOnce) })
                {
                    await pub.PublishAsync(new MqttMessage(topic, "t", MqttQualityOfService.ExactlyOnce));
                    var m = await client.ReceiveWithinAsync();
                    Assert.Equal((topic, qos), (m.Topic, m.QoS));
                }
            }
            finally { await client.CloseAsync(); await pub.CloseAsync(); }
        }

        [Fact]
        public async Task Request_response_with_the_client_helper_5_0()
        {
            await using var server = await StartServerAsync();
            var responder = await OurClient.ConnectAsync(server.Port, V5, "rr-responder");
            var requester = await OurClient.ConnectAsync(server.Port, V5, "rr-requester", o => o.RequestResponseInformation = true);
            try
            {
                await responder.SubscribeAsync("rr/requests", MqttQualityOfService.AtLeastOnce);
                var answering = Task.Run(async () =>
                {
                    var request = await responder.ReceiveWithinAsync();
                    await responder.PublishAsync(new MqttMessage(request.ResponseTopic, "noon: " + request.PayloadText, MqttQualityOfService.AtLeastOnce) { CorrelationData = request.CorrelationData });
                });
                var response = await requester.RequestAsync(new MqttMessage("rr/requests", "what time is it", MqttQualityOfService.AtLeastOnce), TimeSpan.FromSeconds(10));
                await answering;
                Assert.Equal("noon: what time is it", response.PayloadText);
            }
            finally { await responder.CloseAsync(); await requester.CloseAsync(); }
        }

        [Fact]
        public async Task User_properties_content_type_and_payload_format_pass_through_in_order_5_0()
        {
            await using var server = await StartServerAsync();
            var sub = await OurClient.ConnectAsync(server.Port, V5, "props-sub");
            var pub = await OurClient.ConnectAsync(server.Port, V5, "props-pub");
            try
            {
                await sub.SubscribeAsync("props/#", MqttQualityOfService.AtLeastOnce);
                var message = new MqttMessage("props/x", "{\"t\":21}", MqttQualityOfService.AtLeastOnce) { ContentType = "application/json", PayloadFormatIndicator = 1 };
                foreach (var (k, v) in new[] { ("site", "lab"), ("tag", "a"), ("tag", "b"), ("ünï", "cødé") }) message.UserProperties.Add(new MqttUserProperty(k, v));
                await pub.PublishAsync(message);
                var m = await sub.ReceiveWithinAsync();
                Assert.Equal(new[] { "site=lab", "tag=a", "tag=b", "ünï=cødé" }, m.UserProperties.Select(p => p.Name + "=" + p.Value));
                Assert.Equal("application/json", m.ContentType);
                Assert.Equal((byte?)1, m.PayloadFormatIndicator);
            }
            finally { await sub.CloseAsync(); await pub.CloseAsync(); }
        }

        private sealed class ScramStub : IMqttEnhancedAuthenticator
        {
            public string AuthenticationMethod => "SCRAM-SHA-256";
            public byte[] GetInitialData() => Encoding.UTF8.GetBytes("n,,n=user,r=abc");
            public Task<byte[]> RespondAsync(byte[] challengeData, CancellationToken cancellationToken) => Task.FromResult(new byte[0]);
            public void OnAuthenticated(byte[] serverData) { }
        }

        [Fact]
        public async Task Enhanced_authentication_refused_by_the_server_is_reported_with_its_reason_code_5_0()
        {
            await using var server = await StartServerAsync();
            // What an MQTTnet user writes to refuse a method the server does not know; MQTTnet's default is to accept
            // the CONNECT and echo the method without any exchange.
            server.Server.ValidatingConnectionAsync += e =>
            {
                if (e.AuthenticationMethod != null) e.ReasonCode = MqttConnectReasonCode.BadAuthenticationMethod;
                return Task.CompletedTask;
            };
            var client = new MqttClient(OurClient.Options(server.Port, V5, "scram"));
            client.Options.Authenticator = new ScramStub();
            try
            {
                var error = await Assert.ThrowsAsync<MqttConnectException>(() => client.ConnectAsync());
                Assert.Equal(ConnectReasonCode.BadAuthenticationMethod, error.ReasonCode);
                Assert.Contains("authentication method", error.Message, StringComparison.OrdinalIgnoreCase);
                Assert.False(client.IsConnected);
            }
            finally { client.Dispose(); }
        }

        [Theory]
        [InlineData(V5)]
        [InlineData(V311)]
        public async Task Large_payloads_arrive_intact(string version)
        {
            await using var server = await StartServerAsync();
            var sub = await OurClient.ConnectAsync(server.Port, version, "large-sub");
            var pub = await OurClient.ConnectAsync(server.Port, version, "large-pub");
            try
            {
                await sub.SubscribeAsync("large/#", MqttQualityOfService.ExactlyOnce);
                var random = new Random(14);
                foreach (var size in new[] { 128 * 1024, 3 * 1024 * 1024 })
                {
                    var payload = new byte[size];
                    random.NextBytes(payload);
                    Assert.True((await pub.PublishAsync(new MqttMessage("large/" + size, payload, MqttQualityOfService.AtLeastOnce))).IsSuccess);
                    var m = await sub.ReceiveWithinAsync(20);
                    Assert.Equal("large/" + size, m.Topic);
                    Assert.True(payload.AsSpan().SequenceEqual(m.PayloadBytes), "the " + size + "-byte payload changed on the way");
                }
            }
            finally { await sub.CloseAsync(); await pub.CloseAsync(); }
        }

        [Theory]
        [InlineData(V5, "tls")]
        [InlineData(V5, "ws")]
        [InlineData(V5, "wss")]
        [InlineData(V311, "tls")]
        [InlineData(V311, "ws")]
        [InlineData(V311, "wss")]
        public async Task Tls_and_websocket_endpoints_carry_messages(string version, string transport)
        {
            var pki = await TestCertificates.GetAsync();
            var certificate = X509CertificateLoader.LoadPkcs12FromFile(pki.ServerPfx, TestCertificates.PfxPassword);
            await using var server = await StartServerAsync(configure: s =>
            {
                s.TlsCertificate = certificate;
                if (transport == "tls") s.TlsPort = -1;
                else { s.WebSocketPort = -1; s.WebSocketTls = transport == "wss"; }
            });
            var kind = transport switch { "tls" => MqttTransportKind.Tls, "ws" => MqttTransportKind.WebSocket, _ => MqttTransportKind.SecureWebSocket };
            var options = OurClient.Options(transport == "tls" ? server.Settings.TlsPort : server.Settings.WebSocketPort, version, "secure-" + transport, kind, "localhost");
            if (transport != "ws") options.Tls = new MqttTlsOptions { CaFile = pki.CaCert, ServerName = "localhost" };
            var client = await OurClient.ConnectAsync(options);
            var local = await OurClient.ConnectAsync(server.Port, version, "plain-pub");
            try
            {
                await client.SubscribeAsync("secure/#", MqttQualityOfService.ExactlyOnce);
                await local.PublishAsync(new MqttMessage("secure/x", "over " + transport, MqttQualityOfService.ExactlyOnce));
                Assert.Equal("over " + transport, (await client.ReceiveWithinAsync()).PayloadText);
                await client.PublishAsync(new MqttMessage("secure/y", "back", MqttQualityOfService.AtLeastOnce));
                Assert.Equal("back", (await client.ReceiveWithinAsync()).PayloadText);
            }
            finally { await client.CloseAsync(); await local.CloseAsync(); }
        }

        [Theory]
        [InlineData(V5)]
        [InlineData(V311)]
        public async Task Reconnects_after_a_server_restart_and_subscribes_again(string version)
        {
            var server = await StartServerAsync(persistentSessions: true);
            var port = server.Port;
            var sub = await OurClient.ConnectAsync(port, version, "restart-sub", o =>
            {
                o.CleanStart = false;
                if (version == V5) o.SessionExpiryInterval = 3600;
                o.AutoReconnect = true;
                o.ReconnectMinDelay = TimeSpan.FromMilliseconds(200);
                o.ReconnectMaxDelay = TimeSpan.FromSeconds(1);
            });
            try
            {
                await sub.SubscribeAsync("restart/#", MqttQualityOfService.AtLeastOnce);
                var states = new System.Collections.Concurrent.ConcurrentQueue<MqttConnectionState>();
                sub.ConnectionStateChanged += (_, e) => states.Enqueue(e.State);
                await server.StopAsync();
                await Eventually.WaitUntilAsync(() => states.Contains(MqttConnectionState.Reconnecting), TimeSpan.FromSeconds(10), "the client to notice the restart");
                // MQTTnet keeps nothing across a restart: the session is new, and the client subscribes again itself.
                server = await StartServerAsync(persistentSessions: true, s => s.Port = port);
                await Eventually.WaitUntilAsync(() => sub.IsConnected, TimeSpan.FromSeconds(15), "the client to reconnect");
                Assert.False(sub.LastConnectResult.SessionPresent);
                var pub = await OurClient.ConnectAsync(port, version, "restart-pub");
                try
                {
                    MqttMessage m = null;
                    var deadline = DateTime.UtcNow.AddSeconds(10);
                    while (m == null && DateTime.UtcNow < deadline)
                    {
                        await pub.PublishAsync(new MqttMessage("restart/x", "after restart", MqttQualityOfService.AtLeastOnce));
                        try { m = await sub.ReceiveWithinAsync(0.5); } catch (Xunit.Sdk.XunitException) { }
                    }
                    Assert.Equal("after restart", m?.PayloadText);
                }
                finally { await pub.CloseAsync(); }
            }
            finally { await sub.CloseAsync(); await server.StopAsync(); }
        }
    }
}
