using System;
using System.Buffers;
using System.IO;
using System.Linq;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading.Tasks;
using MqttPS.Core.Broker;
using MqttPS.Core.Tests.Infrastructure;
using MqttPS.Interop.Tests.Peers;
using MQTTnet;
using MQTTnet.Packets;
using MQTTnet.Protocol;
using Xunit;
using static MqttPS.Interop.Tests.Peers.ProtocolVersions;

namespace MqttPS.Interop.Tests
{
    /// <summary>
    /// Direction 1 of the interop matrix: MQTTnet 5.2's client, used as its users write it, against the embedded
    /// broker with the module's defaults, over MQTT 5.0 and 3.1.1. Each test is one scenario; the 5.0-only features
    /// run on 5.0 only.
    /// </summary>
    public sealed class MqttnetClientToEmbeddedBrokerTests
    {
        private const int OrderedCount = 1000;

        [Theory]
        [InlineData(V5, MqttQualityOfServiceLevel.AtMostOnce)]
        [InlineData(V5, MqttQualityOfServiceLevel.AtLeastOnce)]
        [InlineData(V5, MqttQualityOfServiceLevel.ExactlyOnce)]
        [InlineData(V311, MqttQualityOfServiceLevel.AtMostOnce)]
        [InlineData(V311, MqttQualityOfServiceLevel.AtLeastOnce)]
        [InlineData(V311, MqttQualityOfServiceLevel.ExactlyOnce)]
        public async Task Thousand_messages_arrive_once_each_in_order(string version, MqttQualityOfServiceLevel qos)
        {
            var broker = await EmbeddedBroker.StartAsync();
            try
            {
                await using var sub = await MqttnetPeer.ConnectAsync(broker.Port, version, "order-sub");
                await using var pub = await MqttnetPeer.ConnectAsync(broker.Port, version, "order-pub");
                var granted = await sub.SubscribeAsync("order/#", qos);
                Assert.Equal((int)qos, (int)granted.Items.Single().ResultCode);
                for (var i = 0; i < OrderedCount; i++)
                {
                    var result = await pub.PublishAsync("order/" + (i % 3), i.ToString(), qos);
                    Assert.True(result.IsSuccess, "publish " + i + ": " + result.ReasonCode);
                }
                var received = await sub.ReceiveManyAsync(OrderedCount);
                Assert.Equal(Enumerable.Range(0, OrderedCount).Select(i => i.ToString()), received.Select(MqttnetPeer.Text));
                Assert.All(received, m => Assert.Equal(qos, m.QualityOfServiceLevel));
                await sub.AssertNothingReceivedAsync(0.3);
            }
            finally { await EmbeddedBroker.StopAsync(broker); }
        }

        [Theory]
        [InlineData(V5)]
        [InlineData(V311)]
        public async Task Retained_message_is_set_delivered_to_later_subscribers_and_cleared(string version)
        {
            var broker = await EmbeddedBroker.StartAsync();
            try
            {
                await using (var pub = await MqttnetPeer.ConnectAsync(broker.Port, version, "retain-pub"))
                    await pub.PublishAsync("devices/lamp/state", "on", MqttQualityOfServiceLevel.AtLeastOnce, retain: true);
                Assert.Equal("on", broker.Retained.Get("devices/lamp/state")?.PayloadText);

                await using (var sub = await MqttnetPeer.ConnectAsync(broker.Port, version, "retain-sub"))
                {
                    await sub.SubscribeAsync("devices/#");
                    var m = await sub.ReceiveAsync();
                    Assert.Equal("devices/lamp/state", m.Topic);
                    Assert.Equal("on", MqttnetPeer.Text(m));
                    Assert.True(m.Retain, "a retained message sent on subscribe has RETAIN set [MQTT-3.3.1-8]");
                }

                await using (var pub = await MqttnetPeer.ConnectAsync(broker.Port, version, "retain-clear"))
                    await pub.PublishAsync("devices/lamp/state", "", MqttQualityOfServiceLevel.AtLeastOnce, retain: true);
                Assert.Equal(0, broker.Retained.Count);
                await using (var sub = await MqttnetPeer.ConnectAsync(broker.Port, version, "retain-sub2"))
                {
                    await sub.SubscribeAsync("devices/#");
                    await sub.AssertNothingReceivedAsync();
                }
            }
            finally { await EmbeddedBroker.StopAsync(broker); }
        }

        [Theory]
        [InlineData(V5)]
        [InlineData(V311)]
        public async Task Will_is_published_when_the_connection_breaks(string version)
        {
            var broker = await EmbeddedBroker.StartAsync();
            try
            {
                using var link = new TcpProxy(broker.Port);
                await using var watcher = await MqttnetPeer.ConnectAsync(broker.Port, version, "will-watcher");
                await watcher.SubscribeAsync("status/#");
                await using var device = await MqttnetPeer.ConnectAsync(link.Port, version, "will-device", o => o
                    .WithWillTopic("status/device").WithWillPayload("offline").WithWillQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce));
                await watcher.AssertNothingReceivedAsync(0.3);
                link.CutAll();
                var will = await watcher.ReceiveAsync();
                Assert.Equal("status/device", will.Topic);
                Assert.Equal("offline", MqttnetPeer.Text(will));
            }
            finally { await EmbeddedBroker.StopAsync(broker); }
        }

        [Fact]
        public async Task Will_is_published_on_a_disconnect_with_will_message_5_0()
        {
            var broker = await EmbeddedBroker.StartAsync();
            try
            {
                await using var watcher = await MqttnetPeer.ConnectAsync(broker.Port, V5, "will-watcher");
                await watcher.SubscribeAsync("status/#");
                var device = await MqttnetPeer.ConnectAsync(broker.Port, V5, "will-device", o => o.WithWillTopic("status/device").WithWillPayload("bye"));
                await device.DisconnectAsync(MqttClientDisconnectOptionsReason.DisconnectWithWillMessage);
                Assert.Equal("bye", MqttnetPeer.Text(await watcher.ReceiveAsync()));
                await device.DisposeAsync();
            }
            finally { await EmbeddedBroker.StopAsync(broker); }
        }

        [Fact]
        public async Task Will_delay_holds_the_will_back_and_a_reconnect_within_it_cancels_it_5_0()
        {
            var broker = await EmbeddedBroker.StartAsync();
            try
            {
                using var link = new TcpProxy(broker.Port);
                await using var watcher = await MqttnetPeer.ConnectAsync(broker.Port, V5, "will-watcher");
                await watcher.SubscribeAsync("status/#");
                void Will(MqttClientOptionsBuilder o, string payload) => o.WithWillTopic("status/" + payload).WithWillPayload(payload)
                    .WithWillDelayInterval(2).WithSessionExpiryInterval(60).WithCleanStart(false);

                // Reconnecting within the delay: no will [MQTT-3.1.3-9].
                await using (var returning = await MqttnetPeer.ConnectAsync(link.Port, V5, "returning", o => Will(o, "returning")))
                {
                    link.CutAll();
                    await Task.Delay(300);
                    await using var again = await MqttnetPeer.ConnectAsync(broker.Port, V5, "returning", o => Will(o, "returning"));
                    Assert.True(again.ConnectResult.IsSessionPresent);
                    // Gone for good: the will comes, but only after its delay.
                    await using var leaving = await MqttnetPeer.ConnectAsync(link.Port, V5, "leaving", o => Will(o, "leaving"));
                    var cut = DateTime.UtcNow;
                    link.CutAll();
                    var will = await watcher.ReceiveAsync(10);
                    Assert.Equal("status/leaving", will.Topic);
                    Assert.True(DateTime.UtcNow - cut >= TimeSpan.FromSeconds(1.8), "the will came " + (DateTime.UtcNow - cut).TotalSeconds + " s after the break, before its 2 s delay");
                    await watcher.AssertNothingReceivedAsync(0.5);
                }
            }
            finally { await EmbeddedBroker.StopAsync(broker); }
        }

        [Theory]
        [InlineData(V5)]
        [InlineData(V311)]
        public async Task Persistent_session_keeps_subscriptions_and_queued_messages(string version)
        {
            var broker = await EmbeddedBroker.StartAsync();
            try
            {
                void Persistent(MqttClientOptionsBuilder o)
                {
                    if (version == V5) o.WithCleanStart(false).WithSessionExpiryInterval(300);
                    else o.WithCleanSession(false);
                }
                var sub = await MqttnetPeer.ConnectAsync(broker.Port, version, "persistent-sub", Persistent);
                await sub.SubscribeAsync("queued/#", MqttQualityOfServiceLevel.ExactlyOnce);
                await sub.DisposeAsync();

                await using (var pub = await MqttnetPeer.ConnectAsync(broker.Port, version, "persistent-pub"))
                {
                    for (var i = 0; i < 10; i++) await pub.PublishAsync("queued/" + i, "m" + i, i % 2 == 0 ? MqttQualityOfServiceLevel.AtLeastOnce : MqttQualityOfServiceLevel.ExactlyOnce);
                }

                await using var back = await MqttnetPeer.ConnectAsync(broker.Port, version, "persistent-sub", Persistent);
                Assert.True(back.ConnectResult.IsSessionPresent, "the broker should report the session it kept");
                var queued = await back.ReceiveManyAsync(10);
                Assert.Equal(Enumerable.Range(0, 10).Select(i => "m" + i), queued.Select(MqttnetPeer.Text));
                await back.AssertNothingReceivedAsync(0.3);
            }
            finally { await EmbeddedBroker.StopAsync(broker); }
        }

        [Fact]
        public async Task Session_expires_after_its_interval_5_0()
        {
            var broker = await EmbeddedBroker.StartAsync();
            try
            {
                var sub = await MqttnetPeer.ConnectAsync(broker.Port, V5, "expiring", o => o.WithCleanStart(false).WithSessionExpiryInterval(1));
                await sub.SubscribeAsync("expiring/#");
                await sub.DisposeAsync();
                await Task.Delay(1500);
                await using (var pub = await MqttnetPeer.ConnectAsync(broker.Port, V5, "expiring-pub"))
                    await pub.PublishAsync("expiring/x", "too late");
                await using var back = await MqttnetPeer.ConnectAsync(broker.Port, V5, "expiring", o => o.WithCleanStart(false).WithSessionExpiryInterval(1));
                Assert.False(back.ConnectResult.IsSessionPresent, "the session should have expired after 1 s");
                await back.AssertNothingReceivedAsync();
            }
            finally { await EmbeddedBroker.StopAsync(broker); }
        }

        [Fact]
        public async Task Topic_aliases_work_both_ways_5_0()
        {
            var broker = await EmbeddedBroker.StartAsync();
            try
            {
                // Towards the client: MQTTnet announces a Topic Alias Maximum and hands aliased messages to the
                // application with an empty topic, which resolves them itself.
                await using var sub = await MqttnetPeer.ConnectAsync(broker.Port, V5, "alias-sub", o => o.WithTopicAliasMaximum(5));
                await sub.SubscribeAsync("alias/#");
                await using var pub = await MqttnetPeer.ConnectAsync(broker.Port, V5, "alias-pub");
                Assert.True(pub.ConnectResult.TopicAliasMaximum > 0, "the broker announces a Topic Alias Maximum");

                // Towards the broker: the first message sets alias 1, the next ones send only the alias.
                var first = new MqttApplicationMessageBuilder().WithTopic("alias/sensor/temperature").WithPayload("0").WithTopicAlias(1)
                    .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();
                Assert.True((await pub.Client.PublishAsync(first)).IsSuccess);
                for (var i = 1; i < 5; i++)
                {
                    var aliased = new MqttApplicationMessage
                    {
                        Topic = "", TopicAlias = 1, QualityOfServiceLevel = MqttQualityOfServiceLevel.AtLeastOnce,
                        PayloadSegment = new ArraySegment<byte>(Encoding.UTF8.GetBytes(i.ToString())),
                    };
                    var result = await pub.Client.PublishAsync(aliased);
                    Assert.True(result.IsSuccess, "aliased publish " + i + ": " + result.ReasonCode);
                }

                var received = await sub.ReceiveManyAsync(5);
                var aliases = new System.Collections.Generic.Dictionary<ushort, string>();
                var topics = received.Select(m =>
                {
                    if (m.TopicAlias != 0 && !string.IsNullOrEmpty(m.Topic)) aliases[m.TopicAlias] = m.Topic;
                    return string.IsNullOrEmpty(m.Topic) ? aliases[m.TopicAlias] : m.Topic;
                }).ToList();
                Assert.All(topics, t => Assert.Equal("alias/sensor/temperature", t));
                Assert.Equal(new[] { "0", "1", "2", "3", "4" }, received.Select(MqttnetPeer.Text));
                Assert.True(received.Skip(1).All(m => m.TopicAlias != 0 && string.IsNullOrEmpty(m.Topic)),
                    "after the first message the broker should send only the alias");
            }
            finally { await EmbeddedBroker.StopAsync(broker); }
        }

        [Fact]
        public async Task Expired_messages_are_not_delivered_and_the_rest_carry_the_remaining_interval_5_0()
        {
            var broker = await EmbeddedBroker.StartAsync();
            try
            {
                var sub = await MqttnetPeer.ConnectAsync(broker.Port, V5, "expiry-sub", o => o.WithCleanStart(false).WithSessionExpiryInterval(300));
                await sub.SubscribeAsync("expiry/#");
                await sub.DisposeAsync();
                await using (var pub = await MqttnetPeer.ConnectAsync(broker.Port, V5, "expiry-pub"))
                {
                    await pub.PublishAsync("expiry/short", "short", configure: m => m.WithMessageExpiryInterval(1));
                    await pub.PublishAsync("expiry/long", "long", configure: m => m.WithMessageExpiryInterval(60));
                }
                await Task.Delay(2200);
                await using var back = await MqttnetPeer.ConnectAsync(broker.Port, V5, "expiry-sub", o => o.WithCleanStart(false).WithSessionExpiryInterval(300));
                var m = await back.ReceiveAsync();
                Assert.Equal("long", MqttnetPeer.Text(m));
                Assert.InRange(m.MessageExpiryInterval, 1u, 58u);
                await back.AssertNothingReceivedAsync();
            }
            finally { await EmbeddedBroker.StopAsync(broker); }
        }

        [Fact]
        public async Task Subscription_identifiers_come_back_with_matching_messages_5_0()
        {
            var broker = await EmbeddedBroker.StartAsync();
            try
            {
                await using var sub = await MqttnetPeer.ConnectAsync(broker.Port, V5, "ids-sub");
                await sub.SubscribeAsync("ids/+/temp", subscriptionIdentifier: 7);
                await sub.SubscribeAsync("ids/kitchen/#", subscriptionIdentifier: 42);
                await using var pub = await MqttnetPeer.ConnectAsync(broker.Port, V5, "ids-pub");
                await pub.PublishAsync("ids/hall/temp", "a");
                await pub.PublishAsync("ids/kitchen/temp", "b");
                var hall = await sub.ReceiveAsync();
                Assert.Equal(new uint[] { 7 }, hall.SubscriptionIdentifiers);
                // Both filters match: the broker may send one copy with both identifiers [MQTT-3.3.4-4] or one copy per
                // subscription, each with its own identifier [MQTT-3.3.4-5] (as mosquitto and the embedded broker do).
                var kitchen = await sub.ReceiveAsync();
                var ids = kitchen.SubscriptionIdentifiers.ToList();
                if (ids.Count == 1)
                {
                    var second = await sub.ReceiveAsync();
                    Assert.Equal("ids/kitchen/temp", second.Topic);
                    Assert.Single(second.SubscriptionIdentifiers);
                    ids.AddRange(second.SubscriptionIdentifiers);
                }
                Assert.Equal(new uint[] { 7, 42 }, ids.OrderBy(x => x));
                await sub.AssertNothingReceivedAsync(0.3);
            }
            finally { await EmbeddedBroker.StopAsync(broker); }
        }

        [Fact]
        public async Task No_local_retain_as_published_and_retain_handling_are_honoured_5_0()
        {
            var broker = await EmbeddedBroker.StartAsync();
            try
            {
                await using var other = await MqttnetPeer.ConnectAsync(broker.Port, V5, "opts-other");
                await other.PublishAsync("opts/retained", "kept", retain: true);

                await using var me = await MqttnetPeer.ConnectAsync(broker.Port, V5, "opts-me");
                // No local: my own messages do not come back, others' do.
                await me.SubscribeAsync("opts/chat", configure: f => f.WithNoLocal());
                await me.PublishAsync("opts/chat", "mine");
                await other.PublishAsync("opts/chat", "theirs");
                Assert.Equal("theirs", MqttnetPeer.Text(await me.ReceiveAsync()));

                // Retain handling 2: no retained message on subscribe; 1: only for a new subscription; 0: always.
                await me.SubscribeAsync("opts/retained", configure: f => f.WithRetainHandling(MqttRetainHandling.DoNotSendOnSubscribe));
                await me.AssertNothingReceivedAsync(0.3);
                await me.Client.UnsubscribeAsync("opts/retained");
                await me.SubscribeAsync("opts/retained", configure: f => f.WithRetainHandling(MqttRetainHandling.SendAtSubscribeIfNewSubscriptionOnly));
                Assert.Equal("kept", MqttnetPeer.Text(await me.ReceiveAsync()));
                await me.SubscribeAsync("opts/retained", configure: f => f.WithRetainHandling(MqttRetainHandling.SendAtSubscribeIfNewSubscriptionOnly));
                await me.AssertNothingReceivedAsync(0.3);
                await me.SubscribeAsync("opts/retained", configure: f => f.WithRetainHandling(MqttRetainHandling.SendAtSubscribe));
                Assert.Equal("kept", MqttnetPeer.Text(await me.ReceiveAsync()));

                // Retain as published: a live retained publish keeps RETAIN only for subscriptions that ask for it.
                await using var plain = await MqttnetPeer.ConnectAsync(broker.Port, V5, "opts-plain");
                await plain.SubscribeAsync("opts/live", configure: f => f.WithRetainAsPublished(false));
                await using var rap = await MqttnetPeer.ConnectAsync(broker.Port, V5, "opts-rap");
                await rap.SubscribeAsync("opts/live", configure: f => f.WithRetainAsPublished());
                await other.PublishAsync("opts/live", "flagged", retain: true);
                Assert.False((await plain.ReceiveAsync()).Retain);
                Assert.True((await rap.ReceiveAsync()).Retain);
            }
            finally { await EmbeddedBroker.StopAsync(broker); }
        }

        [Theory]
        [InlineData(V5)]
        [InlineData(V311)]
        public async Task Shared_subscription_splits_messages_between_the_group(string version)
        {
            var broker = await EmbeddedBroker.StartAsync();
            try
            {
                await using var a = await MqttnetPeer.ConnectAsync(broker.Port, version, "shared-a");
                await using var b = await MqttnetPeer.ConnectAsync(broker.Port, version, "shared-b");
                Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1, (await a.SubscribeAsync("$share/workers/jobs/#")).Items.Single().ResultCode);
                Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1, (await b.SubscribeAsync("$share/workers/jobs/#")).Items.Single().ResultCode);
                await using var pub = await MqttnetPeer.ConnectAsync(broker.Port, version, "shared-pub");
                for (var i = 0; i < 100; i++) await pub.PublishAsync("jobs/" + i, i.ToString());

                var all = new System.Collections.Generic.List<string>();
                var perMember = new[] { 0, 0 };
                var deadline = DateTime.UtcNow.AddSeconds(15);
                while (all.Count < 100 && DateTime.UtcNow < deadline)
                {
                    for (var k = 0; k < 2; k++)
                    {
                        try { all.Add(MqttnetPeer.Text(await (k == 0 ? a : b).ReceiveAsync(0.05))); perMember[k]++; }
                        catch (Xunit.Sdk.XunitException) { }
                    }
                }
                Assert.Equal(Enumerable.Range(0, 100).Select(i => i.ToString()).OrderBy(x => x), all.OrderBy(x => x));
                Assert.True(perMember[0] > 0 && perMember[1] > 0, "both members of the group should get messages: " + perMember[0] + " / " + perMember[1]);
            }
            finally { await EmbeddedBroker.StopAsync(broker); }
        }

        [Fact]
        public async Task Request_response_with_response_topic_and_correlation_data_5_0()
        {
            var broker = await EmbeddedBroker.StartAsync();
            try
            {
                await using var responder = await MqttnetPeer.ConnectAsync(broker.Port, V5, "rr-responder");
                await responder.SubscribeAsync("rr/requests");
                await using var requester = await MqttnetPeer.ConnectAsync(broker.Port, V5, "rr-requester", o => o.WithRequestResponseInformation());
                var responseTopic = "rr/responses/" + Guid.NewGuid().ToString("N");
                await requester.SubscribeAsync(responseTopic);
                var correlation = new byte[] { 1, 2, 3, 250 };
                await requester.PublishAsync("rr/requests", "what time is it", configure: m => m.WithResponseTopic(responseTopic).WithCorrelationData(correlation));

                var request = await responder.ReceiveAsync();
                Assert.Equal(responseTopic, request.ResponseTopic);
                Assert.Equal(correlation, request.CorrelationData);
                await responder.PublishAsync(request.ResponseTopic, "noon", configure: m => m.WithCorrelationData(request.CorrelationData));

                var response = await requester.ReceiveAsync();
                Assert.Equal("noon", MqttnetPeer.Text(response));
                Assert.Equal(correlation, response.CorrelationData);
            }
            finally { await EmbeddedBroker.StopAsync(broker); }
        }

        [Fact]
        public async Task User_properties_content_type_and_payload_format_pass_through_in_order_5_0()
        {
            var broker = await EmbeddedBroker.StartAsync();
            try
            {
                await using var sub = await MqttnetPeer.ConnectAsync(broker.Port, V5, "props-sub");
                await sub.SubscribeAsync("props/#");
                await using var pub = await MqttnetPeer.ConnectAsync(broker.Port, V5, "props-pub");
                await pub.PublishAsync("props/x", "{\"t\":21}", configure: m => m
                    .WithUserProperty("site", Utf8("lab")).WithUserProperty("tag", Utf8("a")).WithUserProperty("tag", Utf8("b")).WithUserProperty("ünï", Utf8("cødé"))
                    .WithContentType("application/json").WithPayloadFormatIndicator(MqttPayloadFormatIndicator.CharacterData));
                var m = await sub.ReceiveAsync();
                Assert.Equal(new[] { "site=lab", "tag=a", "tag=b", "ünï=cødé" }, m.UserProperties.Select(p => p.Name + "=" + p.ReadValueAsString()));
                Assert.Equal("application/json", m.ContentType);
                Assert.Equal(MqttPayloadFormatIndicator.CharacterData, m.PayloadFormatIndicator);
            }
            finally { await EmbeddedBroker.StopAsync(broker); }
        }

        [Fact]
        public async Task Enhanced_authentication_is_refused_with_bad_authentication_method_5_0()
        {
            var broker = await EmbeddedBroker.StartAsync();
            try
            {
                using var client = new MqttClientFactory().CreateMqttClient();
                var options = MqttnetPeer.OptionsFor(broker.Port, V5, "scram").WithEnhancedAuthentication("SCRAM-SHA-256", Encoding.UTF8.GetBytes("n,,n=user,r=abc")).Build();
                var result = await client.ConnectAsync(options).WaitAsync(TimeSpan.FromSeconds(15));
                Assert.Equal(MqttClientConnectResultCode.BadAuthenticationMethod, result.ResultCode);
                Assert.False(client.IsConnected);
                Assert.Empty(broker.GetClients());
            }
            finally { await EmbeddedBroker.StopAsync(broker); }
        }

        [Theory]
        [InlineData(V5)]
        [InlineData(V311)]
        public async Task Large_payloads_arrive_intact(string version)
        {
            var broker = await EmbeddedBroker.StartAsync();
            try
            {
                await using var sub = await MqttnetPeer.ConnectAsync(broker.Port, version, "large-sub");
                await sub.SubscribeAsync("large/#", MqttQualityOfServiceLevel.ExactlyOnce);
                await using var pub = await MqttnetPeer.ConnectAsync(broker.Port, version, "large-pub");
                var random = new Random(14);
                foreach (var size in new[] { 128 * 1024, 3 * 1024 * 1024 })
                {
                    var payload = new byte[size];
                    random.NextBytes(payload);
                    var message = new MqttApplicationMessageBuilder().WithTopic("large/" + size).WithPayload(payload).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();
                    Assert.True((await pub.Client.PublishAsync(message)).IsSuccess);
                    var m = await sub.ReceiveAsync(20);
                    Assert.Equal("large/" + size, m.Topic);
                    Assert.True(payload.AsSpan().SequenceEqual(m.Payload.ToArray()), "the " + size + "-byte payload changed on the way");
                }
            }
            finally { await EmbeddedBroker.StopAsync(broker); }
        }

        [Theory]
        [InlineData(V5, "tls")]
        [InlineData(V5, "ws")]
        [InlineData(V5, "wss")]
        [InlineData(V311, "tls")]
        [InlineData(V311, "ws")]
        [InlineData(V311, "wss")]
        public async Task Tls_and_websocket_listeners_carry_messages(string version, string transport)
        {
            var pki = await TestCertificates.GetAsync();
            var kind = transport switch { "tls" => MqttListenerKind.Tls, "ws" => MqttListenerKind.WebSocket, _ => MqttListenerKind.SecureWebSocket };
            var broker = await EmbeddedBroker.StartAsync(o =>
            {
                // Listener 0: plain TCP for the local publisher; listener 1: the one under test.
                o.Listeners.Add(new MqttListenerOptions { Kind = MqttListenerKind.Tcp, BindAddress = System.Net.IPAddress.Loopback, Port = 0 });
                o.Listeners.Add(new MqttListenerOptions
                {
                    Kind = kind, BindAddress = System.Net.IPAddress.Loopback, Port = 0, CertificatePath = pki.ServerCert, CertificateKeyPath = pki.ServerKey,
                });
            });
            try
            {
                var port = broker.Endpoints[1].Port;
                var ca = X509CertificateLoader.LoadCertificateFromFile(pki.CaCert);
                var options = new MqttClientOptionsBuilder().WithProtocolVersion(ToMqttnet(version)).WithClientId("secure-" + transport).WithTimeout(TimeSpan.FromSeconds(10));
                if (transport == "tls") options.WithTcpServer("localhost", port);
                else options.WithWebSocketServer(w => w.WithUri((transport == "ws" ? "ws" : "wss") + "://localhost:" + port + "/mqtt"));
                if (transport != "ws")
                {
                    // Trust the test CA only (MQTTnet's handler sees the chain the system built).
                    options.WithTlsOptions(t => t.UseTls().WithTargetHost("localhost").WithCertificateValidationHandler(e => ChainsTo(e.Certificate, e.SslPolicyErrors, ca)));
                }
                await using var client = await MqttnetPeer.ConnectAsync(options.Build());
                await client.SubscribeAsync("secure/#", MqttQualityOfServiceLevel.ExactlyOnce);
                await using var local = await MqttnetPeer.ConnectAsync(broker.Port, version, "plain-pub");
                await local.PublishAsync("secure/x", "over " + transport, MqttQualityOfServiceLevel.ExactlyOnce);
                Assert.Equal("over " + transport, MqttnetPeer.Text(await client.ReceiveAsync()));
                await client.PublishAsync("secure/y", "back", MqttQualityOfServiceLevel.AtLeastOnce);
                Assert.Equal("back", MqttnetPeer.Text(await client.ReceiveAsync()));
                Assert.Contains(broker.GetClients(), c => c.ClientId == "secure-" + transport);
            }
            finally { await EmbeddedBroker.StopAsync(broker); }
        }

        private static ReadOnlyMemory<byte> Utf8(string s) => Encoding.UTF8.GetBytes(s);

        internal static bool ChainsTo(X509Certificate certificate, SslPolicyErrors errors, X509Certificate2 ca)
        {
            if ((errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0) return false;
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(ca);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return chain.Build(new X509Certificate2(certificate));
        }

        [Theory]
        [InlineData(V5)]
        [InlineData(V311)]
        public async Task Reconnects_after_a_broker_restart_with_persistence_and_gets_what_was_queued(string version)
        {
            var dir = Directory.CreateTempSubdirectory("mqttps-interop-persist-").FullName;
            try
            {
                void Options(MqttBrokerOptions o) => o.PersistencePath = dir;
                void Persistent(MqttClientOptionsBuilder o)
                {
                    if (version == V5) o.WithCleanStart(false).WithSessionExpiryInterval(3600);
                    else o.WithCleanSession(false);
                }
                var broker = await EmbeddedBroker.StartAsync(Options);
                var port = broker.Port;
                var sub = await MqttnetPeer.ConnectAsync(port, version, "restart-sub", Persistent);
                await sub.SubscribeAsync("restart/#");
                await using (var pub = await MqttnetPeer.ConnectAsync(port, version, "restart-pub"))
                    await pub.PublishAsync("restart/retained", "kept", retain: true);
                Assert.Equal("kept", MqttnetPeer.Text(await sub.ReceiveAsync()));
                // Until its PUBACK arrives the broker must send "kept" again after the restart [MQTT-4.4.0-1]; this test
                // is about what was queued while the client was away, so it waits for the acknowledgement.
                await Eventually.WaitUntilAsync(() => broker.GetClients().Any(c => c.ClientId == "restart-sub" && c.InFlightMessages == 0), TimeSpan.FromSeconds(10), "the PUBACK of \"kept\"");

                // The broker goes away under a connected client: MQTTnet reports the loss, the application reconnects.
                await EmbeddedBroker.StopAsync(broker);
                await sub.Disconnected.WaitAsync(TimeSpan.FromSeconds(10));
                await sub.DisposeAsync();
                broker = await EmbeddedBroker.StartAsync(o => { Options(o); o.Port = port; });
                try
                {
                    Assert.True(broker.PersistenceRecovery.IsClean, broker.PersistenceRecovery.ToString());
                    await using (var pub = await MqttnetPeer.ConnectAsync(port, version, "restart-pub"))
                        for (var i = 0; i < 10; i++) await pub.PublishAsync("restart/" + i, "q" + i);

                    await using var back = await MqttnetPeer.ConnectAsync(port, version, "restart-sub", Persistent);
                    Assert.True(back.ConnectResult.IsSessionPresent, "the session should survive the restart");
                    Assert.Equal(Enumerable.Range(0, 10).Select(i => "q" + i), (await back.ReceiveManyAsync(10)).Select(MqttnetPeer.Text));
                    await using var fresh = await MqttnetPeer.ConnectAsync(port, version, "restart-fresh");
                    await fresh.SubscribeAsync("restart/retained");
                    Assert.Equal("kept", MqttnetPeer.Text(await fresh.ReceiveAsync()));
                }
                finally { await EmbeddedBroker.StopAsync(broker); }
            }
            finally { Directory.Delete(dir, true); }
        }
    }
}
