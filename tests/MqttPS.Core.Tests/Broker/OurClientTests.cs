using System;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using MqttPS.Core.Client;
using MqttPS.Core.Messages;
using MqttPS.Core.Protocol;
using Xunit;

namespace MqttPS.Core.Tests.Broker
{
    /// <summary>Our own client against our broker, for the 5.0 features the command-line tools do not reach.</summary>
    public sealed class OurClientTests
    {
        private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

        /// <summary>A 5.0 client of the host (also used by <see cref="SocketEngineTests"/>).</summary>
        internal static async Task<MqttClient> ConnectAsync(BrokerTestHost host, string clientId, Action<MqttClientOptions> configure = null)
        {
            var options = new MqttClientOptions("127.0.0.1", host.Port) { ClientId = clientId, ProtocolVersion = MqttProtocolVersion.V500 };
            configure?.Invoke(options);
            var client = new MqttClient(options);
            await client.ConnectAsync();
            return client;
        }

        /// <summary>The next message, or null after the timeout (5 s by default).</summary>
        internal static async Task<MqttMessage> ReceiveAsync(MqttClient client, TimeSpan? timeout = null)
        {
            using var cts = new CancellationTokenSource(timeout ?? Wait);
            try { return await client.ReceiveAsync(cts.Token); }
            catch (OperationCanceledException) { return null; }
        }

        [Fact]
        public async Task Topic_aliases_both_ways_deliver_the_right_topics()
        {
            await using var host = await BrokerTestHost.StartAsync();
            using var sub = await ConnectAsync(host, "alias-sub", o => o.TopicAliasMaximum = 4);
            using var pub = await ConnectAsync(host, "alias-pub", o => o.UseTopicAliases = true);
            await sub.SubscribeAsync("factory/+/line/#", MqttQualityOfService.AtLeastOnce);
            var topics = new[] { "factory/a/line/1/temperature", "factory/b/line/2/pressure" };
            for (var i = 0; i < 10; i++)
                await pub.PublishAsync(new MqttMessage(topics[i % 2], "v" + i, MqttQualityOfService.AtLeastOnce));
            for (var i = 0; i < 10; i++)
            {
                var m = await ReceiveAsync(sub);
                Assert.NotNull(m);
                Assert.Equal(topics[i % 2], m.Topic);
                Assert.Equal("v" + i, m.PayloadText);
            }
        }

        [Fact]
        public async Task Message_expiry_is_forwarded_as_remaining_lifetime_and_expired_messages_are_not_delivered()
        {
            await using var host = await BrokerTestHost.StartAsync();
            using var pub = await ConnectAsync(host, "exp-pub");
            using (var sub = await ConnectAsync(host, "exp-sub", o => { o.CleanStart = false; o.SessionExpiryInterval = 300; }))
            {
                await sub.SubscribeAsync("exp/#", MqttQualityOfService.AtLeastOnce);
                await pub.PublishAsync(new MqttMessage("exp/live", "x", MqttQualityOfService.AtLeastOnce) { MessageExpiryInterval = 60 });
                var live = await ReceiveAsync(sub);
                Assert.InRange(live.MessageExpiryInterval.Value, 58u, 60u);
                await sub.DisconnectAsync();
            }
            await host.WaitForDisconnectAsync("exp-sub");
            await pub.PublishAsync(new MqttMessage("exp/short", "gone", MqttQualityOfService.AtLeastOnce) { MessageExpiryInterval = 1 });
            await pub.PublishAsync(new MqttMessage("exp/long", "kept", MqttQualityOfService.AtLeastOnce) { MessageExpiryInterval = 120 });
            await Task.Delay(1600);
            using var back = await ConnectAsync(host, "exp-sub", o => { o.CleanStart = false; o.SessionExpiryInterval = 300; });
            var m = await ReceiveAsync(back);
            Assert.Equal("exp/long", m.Topic);
            Assert.Null(await ReceiveAsync(back, TimeSpan.FromMilliseconds(400)));
        }

        [Fact]
        public async Task Subscription_identifiers_come_back_with_each_matching_subscription()
        {
            await using var host = await BrokerTestHost.StartAsync();
            using var client = await ConnectAsync(host, "subid");
            await client.SubscribeAsync(new[] { new MqttTopicSubscription("ids/+", MqttQualityOfService.AtMostOnce) }, 7);
            await client.SubscribeAsync(new[] { new MqttTopicSubscription("ids/#", MqttQualityOfService.AtMostOnce) }, 9);
            await client.PublishAsync(new MqttMessage("ids/x", "1"));
            var a = await ReceiveAsync(client);
            var b = await ReceiveAsync(client);
            Assert.Equal(new uint[] { 7, 9 }, a.SubscriptionIdentifiers.Concat(b.SubscriptionIdentifiers).OrderBy(x => x));
        }

        [Fact]
        public async Task No_local_suppresses_only_the_publishers_own_messages()
        {
            await using var host = await BrokerTestHost.StartAsync();
            using var me = await ConnectAsync(host, "me");
            using var other = await ConnectAsync(host, "other");
            await me.SubscribeAsync(new[] { new MqttTopicSubscription("chat/room", MqttQualityOfService.AtLeastOnce) { NoLocal = true } });
            await me.PublishAsync(new MqttMessage("chat/room", "mine", MqttQualityOfService.AtLeastOnce));
            await other.PublishAsync(new MqttMessage("chat/room", "theirs", MqttQualityOfService.AtLeastOnce));
            var m = await ReceiveAsync(me);
            Assert.Equal("theirs", m.PayloadText);
            Assert.Null(await ReceiveAsync(me, TimeSpan.FromMilliseconds(300)));
        }

        [Fact]
        public async Task Retain_handling_and_retain_as_published()
        {
            await using var host = await BrokerTestHost.StartAsync();
            using var pub = await ConnectAsync(host, "rh-pub");
            await pub.PublishAsync(new MqttMessage("rh/state", "on", MqttQualityOfService.AtLeastOnce, retain: true));
            using var sub = await ConnectAsync(host, "rh-sub");
            await sub.SubscribeAsync(new[] { new MqttTopicSubscription("rh/state", MqttQualityOfService.AtLeastOnce) { RetainHandling = RetainHandling.DoNotSend } });
            Assert.Null(await ReceiveAsync(sub, TimeSpan.FromMilliseconds(300)));
            await sub.UnsubscribeAsync(new[] { "rh/state" });
            await sub.SubscribeAsync(new[] { new MqttTopicSubscription("rh/+", MqttQualityOfService.AtLeastOnce) { RetainHandling = RetainHandling.SendAtSubscribe, RetainAsPublished = true } });
            var retained = await ReceiveAsync(sub);
            Assert.True(retained.Retain);
            Assert.Equal("on", retained.PayloadText);
            await pub.PublishAsync(new MqttMessage("rh/state", "off", MqttQualityOfService.AtLeastOnce, retain: true));
            var live = await ReceiveAsync(sub);
            Assert.Equal("off", live.PayloadText);
            Assert.True(live.Retain); // Retain As Published keeps the flag on live delivery
        }

        [Fact]
        public async Task Request_response_with_response_topic_and_correlation_data()
        {
            await using var host = await BrokerTestHost.StartAsync();
            using var responder = await ConnectAsync(host, "responder");
            using var requester = await ConnectAsync(host, "requester");
            await responder.SubscribeAsync("svc/echo", MqttQualityOfService.AtLeastOnce);
            var serve = Task.Run(async () =>
            {
                var request = await ReceiveAsync(responder);
                Assert.NotNull(request.ResponseTopic);
                Assert.NotNull(request.CorrelationData);
                var reply = new MqttMessage(request.ResponseTopic, "echo:" + request.PayloadText, MqttQualityOfService.AtLeastOnce)
                {
                    CorrelationData = request.CorrelationData,
                    ContentType = "text/plain",
                };
                reply.UserProperties.Add(new MqttUserProperty("served-by", "responder"));
                await responder.PublishAsync(reply);
            });
            var response = await requester.RequestAsync(new MqttMessage("svc/echo", "hello", MqttQualityOfService.AtLeastOnce), TimeSpan.FromSeconds(5));
            await serve;
            Assert.Equal("echo:hello", response.PayloadText);
            Assert.Equal("text/plain", response.ContentType);
            Assert.Contains(response.UserProperties, p => p.Name == "served-by" && p.Value == "responder");
        }

        [Fact]
        public async Task Properties_are_forwarded_untouched()
        {
            await using var host = await BrokerTestHost.StartAsync();
            using var sub = await ConnectAsync(host, "props-sub");
            using var pub = await ConnectAsync(host, "props-pub");
            await sub.SubscribeAsync("props/t", MqttQualityOfService.AtLeastOnce);
            var m = new MqttMessage("props/t", "{\"a\":1}", MqttQualityOfService.AtLeastOnce)
            {
                ContentType = "application/json",
                PayloadFormatIndicator = 1,
                ResponseTopic = "props/reply",
                CorrelationData = new byte[] { 9, 8, 7 },
            };
            m.UserProperties.Add(new MqttUserProperty("k", "v1"));
            m.UserProperties.Add(new MqttUserProperty("k", "v2"));
            await pub.PublishAsync(m);
            var r = await ReceiveAsync(sub);
            Assert.Equal("application/json", r.ContentType);
            Assert.Equal((byte)1, r.PayloadFormatIndicator);
            Assert.Equal("props/reply", r.ResponseTopic);
            Assert.Equal(new byte[] { 9, 8, 7 }, r.CorrelationData);
            Assert.Equal(new[] { "v1", "v2" }, r.UserProperties.Select(p => p.Value)); // order kept [MQTT-3.3.2-18]
        }

        [Fact]
        public async Task Publish_to_a_topic_with_no_subscribers_reports_0x10_and_a_refused_topic_0x87()
        {
            await using var host = await BrokerTestHost.StartAsync();
            using var pub = await ConnectAsync(host, "nobody-listens");
            var r = await pub.PublishAsync(new MqttMessage("empty/room", "x", MqttQualityOfService.AtLeastOnce));
            Assert.Equal(PubAckReasonCode.NoMatchingSubscribers, r.ReasonCode);
            var refused = await Assert.ThrowsAsync<MqttPublishException>(() => pub.PublishAsync(new MqttMessage("$SYS/broker/uptime", "fake", MqttQualityOfService.AtLeastOnce)));
            Assert.Equal(PubAckReasonCode.NotAuthorized, refused.Result.ReasonCode);
        }
    }
}
