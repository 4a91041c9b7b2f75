using System;
using System.Linq;
using System.Threading.Tasks;
using MqttPS.Core.Broker;
using MqttPS.Core.Messages;
using MqttPS.Core.Protocol;
using Xunit;

namespace MqttPS.Core.Tests.Broker
{
    public sealed class RetainedStoreTests
    {
        [Fact]
        public async Task Set_get_list_delete_and_count()
        {
            await using var host = await BrokerTestHost.StartAsync();
            var store = host.Broker.Retained;
            store.Set(new MqttMessage("home/kitchen/temp", "21", MqttQualityOfService.AtLeastOnce, true));
            store.Set(new MqttMessage("home/hall/temp", "19"));
            store.Set(new MqttMessage("office/temp", "23"));
            store.Set(new MqttMessage("$SYS/x", "internal"));
            Assert.Equal(4, store.Count);
            Assert.Equal("21", store.Get("home/kitchen/temp").PayloadText);
            Assert.True(store.Get("home/kitchen/temp").Retain);
            Assert.Null(store.Get("home/none"));

            Assert.Equal(new[] { "home/hall/temp", "home/kitchen/temp" }, store.List("home/+/temp").Select(m => m.Topic));
            // '#' does not reach $-topics [MQTT-4.7.2-1]; asking for them explicitly does.
            Assert.DoesNotContain(store.List("#"), m => m.Topic.StartsWith("$"));
            Assert.Single(store.List("$SYS/#"));

            store.Set(new MqttMessage("office/temp", "24"));
            Assert.Equal("24", store.Get("office/temp").PayloadText);
            Assert.Equal(4, store.Count);

            Assert.True(store.Delete("office/temp"));
            Assert.False(store.Delete("office/temp"));
            store.Set(new MqttMessage("home/hall/temp", new byte[0])); // empty payload clears [MQTT-3.3.1-6]
            Assert.Null(store.Get("home/hall/temp"));
            Assert.Equal(2, store.Count);
            Assert.Equal(2, host.Broker.GetStatistics().RetainedMessages);
        }

        [Fact]
        public async Task Invalid_topic_is_refused_with_the_rule()
        {
            await using var host = await BrokerTestHost.StartAsync();
            var e = Assert.Throws<MqttProtocolException>(() => host.Broker.Retained.Set(new MqttMessage("a/+/b", "x")));
            Assert.Equal(MqttReasonCode.TopicNameInvalid, e.ReasonCode);
        }

        [Fact]
        public async Task Retained_set_through_the_API_reaches_a_new_subscriber_and_a_client_publish_updates_the_store()
        {
            await using var host = await BrokerTestHost.StartAsync();
            host.Broker.Retained.Set(new MqttMessage("api/t", "from-api", MqttQualityOfService.AtLeastOnce));
            var (client, _) = await RawMqttClient.ConnectAsync(host.Port, "retained-sub");
            using (client)
            {
                await client.SubscribeAsync("api/#", MqttQualityOfService.AtLeastOnce);
                var publish = await client.ReceiveAsync<PublishPacket>();
                Assert.Equal("api/t", publish.Topic);
                Assert.True(publish.Retain);
                Assert.Equal(MqttQualityOfService.AtLeastOnce, publish.QoS);
                await client.SendAsync(new PubAckPacket { PacketId = publish.PacketId });

                await client.SendAsync(new PublishPacket { Topic = "api/u", Payload = new byte[] { 1, 2 }, Retain = true });
                await host.WaitUntilAsync(() => host.Broker.Retained.Get("api/u") != null, "retained api/u");
                Assert.Equal(new byte[] { 1, 2 }, host.Broker.Retained.Get("api/u").PayloadBytes);
            }
        }

        [Fact]
        public async Task Expired_retained_message_is_neither_listed_nor_delivered()
        {
            await using var host = await BrokerTestHost.StartAsync();
            host.Broker.Retained.Set(new MqttMessage("exp/t", "short") { MessageExpiryInterval = 1 });
            Assert.NotNull(host.Broker.Retained.Get("exp/t"));
            await Task.Delay(1200);
            Assert.Null(host.Broker.Retained.Get("exp/t"));
            Assert.Empty(host.Broker.Retained.List("exp/#"));
            var (client, _) = await RawMqttClient.ConnectAsync(host.Port, "exp-sub");
            using (client)
            {
                await client.SubscribeAsync("exp/#", MqttQualityOfService.AtMostOnce);
                Assert.Null(await client.ReceiveAsync(TimeSpan.FromMilliseconds(300)));
            }
        }
    }
}
