using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using MqttPS.Core.Broker;
using MqttPS.Core.Messages;
using MqttPS.Core.Protocol;
using Xunit;

namespace MqttPS.Core.Tests.Broker
{
    /// <summary>Routing features checked at the packet level: shared subscriptions, 5.0 options, wills, aliases, expiry.</summary>
    public sealed class RoutingTests
    {
        private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(300);

        [Fact]
        public async Task Shared_subscription_spreads_round_robin_over_the_group()
        {
            await using var host = await BrokerTestHost.StartAsync();
            var members = new List<RawMqttClient>();
            try
            {
                for (var i = 0; i < 3; i++)
                {
                    var (c, _) = await RawMqttClient.ConnectAsync(host.Port, "member" + i);
                    members.Add(c);
                    await c.SubscribeAsync("$share/workers/jobs/+", MqttQualityOfService.AtMostOnce);
                }
                var (plain, _) = await RawMqttClient.ConnectAsync(host.Port, "observer");
                members.Add(plain);
                await plain.SubscribeAsync("jobs/+", MqttQualityOfService.AtMostOnce);
                for (var i = 0; i < 30; i++) await host.Broker.PublishAsync(new MqttMessage("jobs/" + i, "j" + i));
                var counts = new int[3];
                var seen = new HashSet<string>();
                for (var m = 0; m < 3; m++)
                {
                    while (await members[m].ReceiveAsync(Short) is PublishPacket p) { counts[m]++; Assert.True(seen.Add(p.Topic), "duplicate " + p.Topic); }
                }
                Assert.Equal(30, seen.Count);
                Assert.Equal(new[] { 10, 10, 10 }, counts);
                var observed = 0;
                while (await plain.ReceiveAsync(Short) is PublishPacket) observed++;
                Assert.Equal(30, observed); // a normal subscription still gets every message
            }
            finally { foreach (var c in members) c.Dispose(); }
        }

        [Fact]
        public async Task No_local_retain_as_published_and_subscription_identifier()
        {
            await using var host = await BrokerTestHost.StartAsync();
            var (client, _) = await RawMqttClient.ConnectAsync(host.Port, "opts");
            using (client)
            {
                await client.SubscribeAsync("nl/t", MqttQualityOfService.AtMostOnce, 1, s => s.NoLocal = true);
                var sub = new SubscribePacket { PacketId = 2 };
                sub.Subscriptions.Add(new MqttTopicSubscription("rap/t", MqttQualityOfService.AtMostOnce) { RetainAsPublished = true });
                sub.Properties.SubscriptionIdentifiers.Add(42);
                await client.SendAsync(sub);
                await client.ReceiveAsync<SubAckPacket>();

                await client.SendAsync(new PublishPacket { Topic = "nl/t", Payload = new byte[] { 1 } });
                Assert.Null(await client.ReceiveAsync(Short)); // No Local [MQTT-3.8.3-3]

                await client.SendAsync(new PublishPacket { Topic = "rap/t", Payload = new byte[] { 2 }, Retain = true });
                var p = await client.ReceiveAsync<PublishPacket>();
                Assert.True(p.Retain); // Retain As Published
                Assert.Equal(new uint[] { 42 }, p.Properties.SubscriptionIdentifiers);
            }
        }

        [Fact]
        public async Task Retain_handling_controls_retained_delivery_on_subscribe()
        {
            await using var host = await BrokerTestHost.StartAsync();
            host.Broker.Retained.Set(new MqttMessage("rh/t", "kept"));
            var (client, _) = await RawMqttClient.ConnectAsync(host.Port, "rh");
            using (client)
            {
                await client.SubscribeAsync("rh/t", MqttQualityOfService.AtMostOnce, 1, s => s.RetainHandling = RetainHandling.DoNotSend);
                Assert.Null(await client.ReceiveAsync(Short));
                await client.SubscribeAsync("rh/+", MqttQualityOfService.AtMostOnce, 2, s => s.RetainHandling = RetainHandling.SendAtSubscribeIfNew);
                Assert.IsType<PublishPacket>(await client.ReceiveAsync(TimeSpan.FromSeconds(2)));
                await client.SubscribeAsync("rh/+", MqttQualityOfService.AtMostOnce, 3, s => s.RetainHandling = RetainHandling.SendAtSubscribeIfNew);
                Assert.Null(await client.ReceiveAsync(Short)); // not new any more
                await client.SubscribeAsync("rh/+", MqttQualityOfService.AtMostOnce, 4);
                Assert.IsType<PublishPacket>(await client.ReceiveAsync(TimeSpan.FromSeconds(2))); // 0: every time
            }
        }

        [Fact]
        public async Task Topic_alias_from_the_client_is_resolved_and_out_of_range_alias_is_refused()
        {
            await using var host = await BrokerTestHost.StartAsync();
            var (sub, _) = await RawMqttClient.ConnectAsync(host.Port, "alias-sub");
            var (pub, connAck) = await RawMqttClient.ConnectAsync(host.Port, "alias-pub");
            using (sub)
            using (pub)
            {
                Assert.Equal((ushort)10, connAck.Properties.TopicAliasMaximum);
                await sub.SubscribeAsync("alias/t", MqttQualityOfService.AtMostOnce);
                var first = new PublishPacket { Topic = "alias/t", Payload = new byte[] { 1 } };
                first.Properties.TopicAlias = 3;
                await pub.SendAsync(first);
                var second = new PublishPacket { Topic = "", Payload = new byte[] { 2 } };
                second.Properties.TopicAlias = 3;
                await pub.SendAsync(second);
                var a = await sub.ReceiveAsync<PublishPacket>();
                var b = await sub.ReceiveAsync<PublishPacket>();
                Assert.Equal("alias/t", a.Topic);
                Assert.Equal("alias/t", b.Topic);
                Assert.Null(b.HasProperties ? b.Properties.TopicAlias : null);

                var tooBig = new PublishPacket { Topic = "alias/t", Payload = new byte[] { 3 } };
                tooBig.Properties.TopicAlias = 11;
                await pub.SendAsync(tooBig);
                Assert.Equal(DisconnectReasonCode.TopicAliasInvalid, (await pub.ReceiveAsync<DisconnectPacket>()).ReasonCode);
            }
        }

        [Fact]
        public async Task Broker_uses_topic_aliases_towards_a_client_that_allows_them()
        {
            await using var host = await BrokerTestHost.StartAsync();
            var (client, _) = await RawMqttClient.ConnectAsync(host.Port, "alias-in", configure: c => c.Properties.TopicAliasMaximum = 5);
            using (client)
            {
                await client.SubscribeAsync("out/#", MqttQualityOfService.AtMostOnce);
                await host.Broker.PublishAsync(new MqttMessage("out/long/topic/name", "1"));
                await host.Broker.PublishAsync(new MqttMessage("out/long/topic/name", "2"));
                var a = await client.ReceiveAsync<PublishPacket>();
                var b = await client.ReceiveAsync<PublishPacket>();
                Assert.Equal("out/long/topic/name", a.Topic);
                Assert.NotNull(a.Properties.TopicAlias);
                Assert.Equal("", b.Topic);
                Assert.Equal(a.Properties.TopicAlias, b.Properties.TopicAlias);
            }
        }

        [Fact]
        public async Task Message_expiry_drops_expired_queued_messages_and_sends_the_remaining_lifetime()
        {
            await using var host = await BrokerTestHost.StartAsync();
            Action<ConnectPacket> persistent = c => c.Properties.SessionExpiryInterval = 300;
            var (client, _) = await RawMqttClient.ConnectAsync(host.Port, "expiry", cleanStart: false, configure: persistent);
            using (client) await client.SubscribeAsync("exp/#", MqttQualityOfService.AtLeastOnce);
            await host.WaitForDisconnectAsync("expiry");
            await host.Broker.PublishAsync(new MqttMessage("exp/short", "gone", MqttQualityOfService.AtLeastOnce) { MessageExpiryInterval = 1 });
            await host.Broker.PublishAsync(new MqttMessage("exp/long", "kept", MqttQualityOfService.AtLeastOnce) { MessageExpiryInterval = 100 });
            await Task.Delay(2100);
            var (again, _) = await RawMqttClient.ConnectAsync(host.Port, "expiry", cleanStart: false, configure: persistent);
            using (again)
            {
                var p = await again.ReceiveAsync<PublishPacket>();
                Assert.Equal("exp/long", p.Topic);
                Assert.InRange(p.Properties.MessageExpiryInterval.Value, 97u, 99u); // waited ~2 s in the broker [MQTT-3.3.2-6]
                await again.SendAsync(new PubAckPacket { PacketId = p.PacketId });
                Assert.Null(await again.ReceiveAsync(Short));
            }
        }

        [Fact]
        public async Task Will_delay_is_cancelled_by_a_reconnect_and_published_otherwise()
        {
            await using var host = await BrokerTestHost.StartAsync();
            var (watcher, _) = await RawMqttClient.ConnectAsync(host.Port, "watcher");
            using (watcher)
            {
                await watcher.SubscribeAsync("wd/#", MqttQualityOfService.AtMostOnce);
                Action<ConnectPacket> withWill = c =>
                {
                    c.Properties.SessionExpiryInterval = 60;
                    c.Will = new MqttWillMessage { Topic = "wd/dead", Payload = Encoding.UTF8.GetBytes("gone") };
                    // Long enough for the reconnect below to come back in time on a loaded machine.
                    c.Will.Properties.WillDelayInterval = 3;
                };
                var (dying, _) = await RawMqttClient.ConnectAsync(host.Port, "delayed", cleanStart: false, configure: withWill);
                dying.Dispose(); // abrupt
                await Task.Delay(300);
                var (back, _) = await RawMqttClient.ConnectAsync(host.Port, "delayed", cleanStart: false, configure: withWill);
                Assert.Null(await watcher.ReceiveAsync(TimeSpan.FromSeconds(3.5))); // came back in time [MQTT-3.1.3-9]
                back.Dispose();
                var will = await watcher.ReceiveAsync<PublishPacket>(TimeSpan.FromSeconds(8));
                Assert.Equal("wd/dead", will.Topic);
            }
        }
    }
}
