using System;
using System.Collections.Generic;
using System.Linq;
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
    /// <summary>Publish and receive through a real mosquitto: every QoS in 3.1.1 and 5.0, wildcards, retained messages,
    /// 5.0 properties, pipelining and large payloads.</summary>
    public class PublishReceiveTests
    {
        [Theory]
        [InlineData(MqttProtocolVersion.V311, MqttQualityOfService.AtMostOnce)]
        [InlineData(MqttProtocolVersion.V311, MqttQualityOfService.AtLeastOnce)]
        [InlineData(MqttProtocolVersion.V311, MqttQualityOfService.ExactlyOnce)]
        [InlineData(MqttProtocolVersion.V500, MqttQualityOfService.AtMostOnce)]
        [InlineData(MqttProtocolVersion.V500, MqttQualityOfService.AtLeastOnce)]
        [InlineData(MqttProtocolVersion.V500, MqttQualityOfService.ExactlyOnce)]
        [InlineData(MqttProtocolVersion.V310, MqttQualityOfService.ExactlyOnce)]
        public async Task Publishes_and_receives_at_each_qos(MqttProtocolVersion version, MqttQualityOfService qos)
        {
            using (var broker = await Mosquitto.StartAsync())
            using (var subscriber = await TestClients.ConnectAsync(broker.Port, version))
            using (var publisher = await TestClients.ConnectAsync(broker.Port, version))
            {
                var sub = await subscriber.SubscribeAsync("test/qos", qos);
                Assert.Equal((SubAckReasonCode)(byte)qos, sub.ReasonCodes.Single());

                var results = new List<MqttPublishResult>();
                for (var i = 0; i < 5; i++)
                    results.Add(await publisher.PublishAsync(new MqttMessage("test/qos", "message " + i, qos)));

                var received = await subscriber.ReceiveManyAsync(5);
                Assert.Equal(Enumerable.Range(0, 5).Select(i => "message " + i), received.Select(m => m.PayloadText));
                Assert.All(received, m => Assert.Equal(qos, m.QoS));
                Assert.All(received, m => Assert.Equal("test/qos", m.Topic));
                Assert.All(results, r => Assert.Equal(PubAckReasonCode.Success, r.ReasonCode));
                if (qos != MqttQualityOfService.AtMostOnce) Assert.All(results, r => Assert.NotEqual(0, r.PacketId));
                Assert.Equal(0, publisher.PendingPublishes);
                await subscriber.AssertNothingReceivedAsync(0.3);
            }
        }

        [Fact]
        public async Task Wildcard_subscriptions_match_per_topic_rules()
        {
            using (var broker = await Mosquitto.StartAsync())
            using (var client = await TestClients.ConnectAsync(broker.Port))
            {
                var result = await client.SubscribeAsync(new[]
                {
                    new MqttTopicSubscription("sensors/+/temp", MqttQualityOfService.AtLeastOnce),
                    new MqttTopicSubscription("alarms/#", MqttQualityOfService.AtLeastOnce),
                });
                Assert.True(result.AllGranted);
                foreach (var topic in new[] { "sensors/a/temp", "sensors/a/humidity", "sensors/a/b/temp", "alarms", "alarms/fire/floor1", "other/alarms" })
                    await client.PublishAsync(new MqttMessage(topic, topic, MqttQualityOfService.AtLeastOnce));

                var received = await client.ReceiveManyAsync(3);
                Assert.Equal(new[] { "sensors/a/temp", "alarms", "alarms/fire/floor1" }, received.Select(m => m.Topic));
                await client.AssertNothingReceivedAsync(0.3);

                await client.UnsubscribeAsync(new[] { "alarms/#" });
                await client.PublishAsync(new MqttMessage("alarms/x", "after unsubscribe", MqttQualityOfService.AtLeastOnce));
                await client.PublishAsync(new MqttMessage("sensors/b/temp", "still subscribed", MqttQualityOfService.AtLeastOnce));
                Assert.Equal("sensors/b/temp", (await client.ReceiveAsync()).Topic);
                await client.AssertNothingReceivedAsync(0.3);
            }
        }

        [Theory]
        [InlineData(MqttProtocolVersion.V311)]
        [InlineData(MqttProtocolVersion.V500)]
        public async Task Retained_message_is_delivered_on_subscribe_and_cleared_by_empty_retained_publish(MqttProtocolVersion version)
        {
            using (var broker = await Mosquitto.StartAsync())
            using (var publisher = await TestClients.ConnectAsync(broker.Port, version))
            {
                await publisher.PublishAsync(new MqttMessage("status/door", "open", MqttQualityOfService.AtLeastOnce, retain: true));

                using (var late = await TestClients.ConnectAsync(broker.Port, version))
                {
                    await late.SubscribeAsync("status/#", MqttQualityOfService.AtLeastOnce);
                    var retained = await late.ReceiveAsync();
                    Assert.Equal("open", retained.PayloadText);
                    Assert.True(retained.Retain);

                    // A live publish is not flagged retained for an existing subscription.
                    await publisher.PublishAsync(new MqttMessage("status/door", "closed", MqttQualityOfService.AtLeastOnce, retain: true));
                    var live = await late.ReceiveAsync();
                    Assert.Equal("closed", live.PayloadText);
                    Assert.False(live.Retain);
                }

                await publisher.PublishAsync(new MqttMessage("status/door", new byte[0], MqttQualityOfService.AtLeastOnce, retain: true));
                using (var later = await TestClients.ConnectAsync(broker.Port, version))
                {
                    await later.SubscribeAsync("status/#", MqttQualityOfService.AtLeastOnce);
                    await later.AssertNothingReceivedAsync(0.5);
                }
            }
        }

        [Fact]
        public async Task Mqtt5_publish_properties_and_subscription_identifier_arrive()
        {
            using (var broker = await Mosquitto.StartAsync())
            using (var client = await TestClients.ConnectAsync(broker.Port))
            {
                await client.SubscribeAsync(new[] { new MqttTopicSubscription("props/#", MqttQualityOfService.ExactlyOnce) }, subscriptionIdentifier: 42);
                var message = new MqttMessage("props/a", "{\"x\":1}", MqttQualityOfService.ExactlyOnce)
                {
                    ContentType = "application/json",
                    PayloadFormatIndicator = 1,
                    MessageExpiryInterval = 300,
                    ResponseTopic = "props/reply",
                    CorrelationData = new byte[] { 1, 2, 3 },
                };
                message.UserProperties.Add(new MqttUserProperty("a", "1"));
                message.UserProperties.Add(new MqttUserProperty("a", "2"));
                await client.PublishAsync(message);

                var received = await client.ReceiveAsync();
                Assert.Equal("application/json", received.ContentType);
                Assert.Equal((byte)1, received.PayloadFormatIndicator);
                Assert.InRange(received.MessageExpiryInterval.Value, 290u, 300u);
                Assert.Equal("props/reply", received.ResponseTopic);
                Assert.Equal(new byte[] { 1, 2, 3 }, received.CorrelationData);
                Assert.Equal(new[] { "a=1", "a=2" }, received.UserProperties.Select(p => p.ToString()));
                Assert.Equal(new uint[] { 42 }, received.SubscriptionIdentifiers);
            }
        }

        [Fact]
        public async Task NoLocal_subscription_does_not_receive_own_publishes()
        {
            using (var broker = await Mosquitto.StartAsync())
            using (var client = await TestClients.ConnectAsync(broker.Port))
            using (var other = await TestClients.ConnectAsync(broker.Port))
            {
                await client.SubscribeAsync(new[] { new MqttTopicSubscription("nl/t", MqttQualityOfService.AtLeastOnce) { NoLocal = true } });
                await client.PublishAsync(new MqttMessage("nl/t", "own", MqttQualityOfService.AtLeastOnce));
                await other.PublishAsync(new MqttMessage("nl/t", "other", MqttQualityOfService.AtLeastOnce));
                Assert.Equal("other", (await client.ReceiveAsync()).PayloadText);
                await client.AssertNothingReceivedAsync(0.3);
            }
        }

        [Theory]
        [InlineData(MqttQualityOfService.AtLeastOnce)]
        [InlineData(MqttQualityOfService.ExactlyOnce)]
        public async Task Pipelined_publishes_respect_the_broker_receive_maximum_and_all_complete(MqttQualityOfService qos)
        {
            // mosquitto's max_inflight_messages becomes the CONNACK Receive Maximum.
            using (var broker = await Mosquitto.StartAsync(new[] { "max_inflight_messages 5", "max_queued_messages 10000" }))
            using (var subscriber = await TestClients.ConnectAsync(broker.Port))
            using (var publisher = await TestClients.ConnectAsync(broker.Port))
            {
                Assert.Equal(5, publisher.LastConnectResult.ReceiveMaximum);
                await subscriber.SubscribeAsync("pipe/t", qos);
                // In flight = PUBLISH sent, final acknowledgement not yet seen; never above the broker's Receive Maximum.
                int inFlight = 0, maxInFlight = 0;
                var done = qos == MqttQualityOfService.AtLeastOnce ? "<- PUBACK" : "<- PUBCOMP";
                publisher.Trace = line =>
                {
                    if (line.StartsWith("-> PUBLISH", StringComparison.Ordinal))
                    {
                        var now = Interlocked.Increment(ref inFlight);
                        int seen;
                        while (now > (seen = Volatile.Read(ref maxInFlight)) && Interlocked.CompareExchange(ref maxInFlight, now, seen) != seen) { }
                    }
                    else if (line.StartsWith(done, StringComparison.Ordinal)) Interlocked.Decrement(ref inFlight);
                };
                const int count = 2000;
                var tasks = new List<Task<MqttPublishResult>>();
                for (var i = 0; i < count; i++) tasks.Add(publisher.PublishAsync(new MqttMessage("pipe/t", i.ToString(), qos)));
                Assert.True(publisher.PendingPublishes <= count);
                var results = await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(30));
                Assert.All(results, r => Assert.True(r.IsSuccess));
                var received = await subscriber.ReceiveManyAsync(count, 30);
                Assert.Equal(Enumerable.Range(0, count).Select(i => i.ToString()), received.Select(m => m.PayloadText));
                Assert.Equal(0, publisher.PendingPublishes);
                Assert.InRange(maxInFlight, 2, 5); // pipelined, and bounded by the window
            }
        }

        [Fact]
        public async Task Topic_aliases_are_used_when_asked_and_messages_keep_their_topic()
        {
            using (var broker = await Mosquitto.StartAsync())
            using (var proxy = new TcpProxy(broker.Port))
            using (var subscriber = await TestClients.ConnectAsync(broker.Port, configure: o => o.TopicAliasMaximum = 10))
            using (var publisher = await TestClients.ConnectAsync(proxy.Port, configure: o => o.UseTopicAliases = true))
            {
                Assert.True(publisher.LastConnectResult.TopicAliasMaximum > 0, "mosquitto announces a topic alias maximum");
                var wire = new System.IO.MemoryStream();
                proxy.ClientToServerFilter = (data, n) => { lock (wire) wire.Write(data, 0, n); return true; };
                await subscriber.SubscribeAsync("alias/#", MqttQualityOfService.AtLeastOnce);
                for (var i = 0; i < 3; i++)
                {
                    await publisher.PublishAsync(new MqttMessage("alias/long/topic/name", "a" + i, MqttQualityOfService.AtLeastOnce));
                    await publisher.PublishAsync(new MqttMessage("alias/other", "b" + i, MqttQualityOfService.AtMostOnce));
                }
                var received = await subscriber.ReceiveManyAsync(6);
                Assert.Equal(new[] { "a0", "b0", "a1", "b1", "a2", "b2" }, received.Select(m => m.PayloadText));
                Assert.Equal(new[] { "alias/long/topic/name", "alias/other", "alias/long/topic/name", "alias/other", "alias/long/topic/name", "alias/other" }, received.Select(m => m.Topic));

                // On the wire each topic name travelled once; the later publishes carried only the alias.
                string sent;
                lock (wire) sent = Encoding.UTF8.GetString(wire.ToArray());
                Assert.Equal(1, CountOccurrences(sent, "alias/long/topic/name"));
                Assert.Equal(1, CountOccurrences(sent, "alias/other"));
            }
        }

        private static int CountOccurrences(string text, string value)
        {
            var count = 0;
            for (var i = text.IndexOf(value, StringComparison.Ordinal); i >= 0; i = text.IndexOf(value, i + 1, StringComparison.Ordinal)) count++;
            return count;
        }

        [Fact]
        public async Task Ten_megabyte_payload_arrives_intact()
        {
            using (var broker = await Mosquitto.StartAsync())
            using (var subscriber = await TestClients.ConnectAsync(broker.Port))
            using (var publisher = await TestClients.ConnectAsync(broker.Port))
            {
                await subscriber.SubscribeAsync("big", MqttQualityOfService.AtLeastOnce);
                var payload = new byte[10 * 1024 * 1024];
                new Random(7).NextBytes(payload);
                var result = await publisher.PublishAsync(new MqttMessage("big", payload, MqttQualityOfService.AtLeastOnce));
                Assert.True(result.IsSuccess);
                var received = await subscriber.ReceiveAsync(20);
                Assert.Equal(payload.Length, received.PayloadBytes.Length);
                Assert.True(payload.AsSpan().SequenceEqual(received.PayloadBytes));
            }
        }

        [Fact]
        public async Task Publish_larger_than_broker_maximum_packet_size_fails_before_sending()
        {
            using (var broker = await Mosquitto.StartAsync(new[] { "max_packet_size 1000" }))
            using (var client = await TestClients.ConnectAsync(broker.Port))
            {
                Assert.Equal(1000u, client.LastConnectResult.MaximumPacketSize);
                var e = await Assert.ThrowsAsync<MqttProtocolException>(() => client.PublishAsync(new MqttMessage("t", new byte[2000], MqttQualityOfService.AtLeastOnce)));
                Assert.True(MqttReasonCode.PacketTooLarge == e.ReasonCode, e.ToString());
                Assert.Contains("at most 1000 bytes", e.Message);
                Assert.True(client.IsConnected);
                await client.PublishAsync(new MqttMessage("t", new byte[100], MqttQualityOfService.AtLeastOnce));
            }
        }

        [Fact]
        public async Task Invalid_topics_are_refused_with_the_rule()
        {
            using (var broker = await Mosquitto.StartAsync())
            using (var client = await TestClients.ConnectAsync(broker.Port))
            {
                var e = await Assert.ThrowsAsync<MqttProtocolException>(() => client.PublishAsync(new MqttMessage("a/+/b", "x")));
                Assert.Equal(MqttReasonCode.TopicNameInvalid, e.ReasonCode);
                await Assert.ThrowsAsync<MqttProtocolException>(() => client.SubscribeAsync("a/#/b"));
                Assert.True(client.IsConnected);
            }
        }

        [Fact]
        public async Task Request_response_returns_the_matching_reply()
        {
            using (var broker = await Mosquitto.StartAsync())
            using (var responder = await TestClients.ConnectAsync(broker.Port))
            using (var requester = await TestClients.ConnectAsync(broker.Port))
            {
                await responder.SubscribeAsync("service/echo", MqttQualityOfService.AtLeastOnce);
                responder.MessageReceived += (_, e) =>
                {
                    e.Handled = true;
                    var reply = new MqttMessage(e.Message.ResponseTopic, "echo: " + e.Message.PayloadText, MqttQualityOfService.AtLeastOnce) { CorrelationData = e.Message.CorrelationData };
                    _ = responder.PublishAsync(reply);
                };
                var first = requester.RequestAsync(new MqttMessage("service/echo", "one", MqttQualityOfService.AtLeastOnce), TimeSpan.FromSeconds(5));
                var second = requester.RequestAsync(new MqttMessage("service/echo", "two", MqttQualityOfService.AtLeastOnce), TimeSpan.FromSeconds(5));
                Assert.Equal("echo: one", (await first).PayloadText);
                Assert.Equal("echo: two", (await second).PayloadText);
                await requester.AssertNothingReceivedAsync(0.2);

                var timeout = await Assert.ThrowsAsync<TimeoutException>(() => requester.RequestAsync(new MqttMessage("service/nobody", "x"), TimeSpan.FromMilliseconds(300)));
                Assert.Contains("No response", timeout.Message);
            }
        }
    }
}
