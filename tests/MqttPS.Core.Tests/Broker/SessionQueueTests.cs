using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using MqttPS.Core.Broker;
using MqttPS.Core.Messages;
using MqttPS.Core.Protocol;
using Xunit;

namespace MqttPS.Core.Tests.Broker
{
    /// <summary>The per-session queue bound and its overflow policies, and in-flight windows.</summary>
    public sealed class SessionQueueTests
    {
        private static async Task<List<string>> QueueEightAndReconnect(BrokerTestHost host, ConcurrentQueue<MqttBrokerEvent> drops)
        {
            host.Broker.EventRaised += (_, e) => { if (e.Kind == MqttBrokerEventKind.MessageDropped) drops.Enqueue(e); };
            var (client, _) = await RawMqttClient.ConnectAsync(host.Port, "queued", cleanStart: false,
                configure: c => c.Properties.SessionExpiryInterval = 300);
            using (client) await client.SubscribeAsync("q/t", MqttQualityOfService.AtLeastOnce);
            await host.WaitForDisconnectAsync("queued");
            for (var i = 0; i < 8; i++)
                await host.Broker.PublishAsync(new MqttMessage("q/t", "m" + i, MqttQualityOfService.AtLeastOnce));

            var (again, connAck) = await RawMqttClient.ConnectAsync(host.Port, "queued", cleanStart: false,
                configure: c => c.Properties.SessionExpiryInterval = 300);
            using (again)
            {
                Assert.True(connAck.SessionPresent);
                var got = new List<string>();
                while (true)
                {
                    var p = await again.ReceiveAsync(TimeSpan.FromMilliseconds(500));
                    if (!(p is PublishPacket publish)) break;
                    got.Add(System.Text.Encoding.UTF8.GetString(publish.Payload));
                    await again.SendAsync(new PubAckPacket { PacketId = publish.PacketId });
                }
                return got;
            }
        }

        [Fact]
        public async Task Full_queue_drops_the_newest_message_by_default_and_reports_it()
        {
            await using var host = await BrokerTestHost.StartAsync(o => o.MaxQueuedMessagesPerSession = 5);
            var drops = new ConcurrentQueue<MqttBrokerEvent>();
            var got = await QueueEightAndReconnect(host, drops);
            Assert.Equal(new[] { "m0", "m1", "m2", "m3", "m4" }, got);
            Assert.Equal(3, drops.Count);
            Assert.All(drops, d => Assert.Contains("queue full", d.Reason));
            Assert.Equal(3, host.Broker.GetStatistics().PublishDropped);
        }

        [Fact]
        public async Task DropOldest_policy_keeps_the_freshest_messages()
        {
            await using var host = await BrokerTestHost.StartAsync(o => { o.MaxQueuedMessagesPerSession = 5; o.QueueOverflowPolicy = QueueOverflowPolicy.DropOldest; });
            var drops = new ConcurrentQueue<MqttBrokerEvent>();
            var got = await QueueEightAndReconnect(host, drops);
            Assert.Equal(new[] { "m3", "m4", "m5", "m6", "m7" }, got);
            Assert.Equal(3, drops.Count);
        }

        [Fact]
        public async Task Broker_respects_the_clients_receive_maximum()
        {
            await using var host = await BrokerTestHost.StartAsync();
            var (client, _) = await RawMqttClient.ConnectAsync(host.Port, "small-window", configure: c => c.Properties.ReceiveMaximum = 2);
            using (client)
            {
                await client.SubscribeAsync("win/t", MqttQualityOfService.AtLeastOnce);
                for (var i = 0; i < 5; i++) await host.Broker.PublishAsync(new MqttMessage("win/t", "m" + i, MqttQualityOfService.AtLeastOnce));
                var first = await client.ReceiveAsync<PublishPacket>();
                var second = await client.ReceiveAsync<PublishPacket>();
                Assert.Null(await client.ReceiveAsync(TimeSpan.FromMilliseconds(300))); // window full [MQTT-3.3.4-9]
                Assert.Equal(2, host.Broker.GetClients().Single().InFlightMessages);
                Assert.Equal(3, host.Broker.GetClients().Single().QueuedMessages);
                await client.SendAsync(new PubAckPacket { PacketId = first.PacketId });
                var third = await client.ReceiveAsync<PublishPacket>();
                Assert.Equal("m2", System.Text.Encoding.UTF8.GetString(third.Payload));
                Assert.NotEqual(second.PacketId, third.PacketId);
            }
        }

        [Fact]
        public async Task Unacknowledged_message_is_sent_again_with_DUP_after_reconnect()
        {
            await using var host = await BrokerTestHost.StartAsync();
            Action<ConnectPacket> persistent = c => c.Properties.SessionExpiryInterval = 300;
            var (client, _) = await RawMqttClient.ConnectAsync(host.Port, "dup-client", cleanStart: false, configure: persistent);
            ushort id;
            using (client)
            {
                await client.SubscribeAsync("dup/t", MqttQualityOfService.ExactlyOnce);
                await host.Broker.PublishAsync(new MqttMessage("dup/t", "once", MqttQualityOfService.ExactlyOnce));
                var p = await client.ReceiveAsync<PublishPacket>();
                Assert.False(p.Dup);
                id = p.PacketId;
            } // dropped without PUBREC
            await host.WaitForDisconnectAsync("dup-client");
            var (again, connAck) = await RawMqttClient.ConnectAsync(host.Port, "dup-client", cleanStart: false, configure: persistent);
            using (again)
            {
                Assert.True(connAck.SessionPresent);
                var resent = await again.ReceiveAsync<PublishPacket>();
                Assert.True(resent.Dup);
                Assert.Equal(id, resent.PacketId);
                await again.SendAsync(new PubRecPacket { PacketId = id });
                Assert.Equal(id, (await again.ReceiveAsync<PubRelPacket>()).PacketId);
                await again.SendAsync(new PubCompPacket { PacketId = id });
                Assert.Null(await again.ReceiveAsync(TimeSpan.FromMilliseconds(300))); // exactly once
            }
        }
    }
}
