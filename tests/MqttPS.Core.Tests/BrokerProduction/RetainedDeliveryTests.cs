using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using MqttPS.Core.Broker;
using MqttPS.Core.Messages;
using MqttPS.Core.Protocol;
using MqttPS.Core.Tests.Broker;
using MqttPS.Core.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;
using static MqttPS.Core.Tests.BrokerProduction.BrokerTestHelpers;

namespace MqttPS.Core.Tests.BrokerProduction
{
    /// <summary>Retained messages on SUBSCRIBE are paced by the subscriber's socket (issue 16): a client that reads
    /// gets all of them; what a client that leaves does not get is counted and reported once.</summary>
    [Collection(MeasuringCollection.Name)]
    public sealed class RetainedDeliveryTests
    {
        private readonly ITestOutputHelper _output;

        public RetainedDeliveryTests(ITestOutputHelper output) { _output = output; }

        private static void Fill(MqttBroker broker, int count, int payloadSize = 10)
        {
            var payload = new byte[payloadSize];
            for (var i = 0; i < count; i++) broker.Retained.Set(new MqttMessage("ret/" + i.ToString("D7"), payload, MqttQualityOfService.AtMostOnce, true));
        }

        [Fact]
        public async Task A_subscriber_that_keeps_up_gets_all_of_1_000_000_retained_messages()
        {
            using (var broker = await StartAsync(new MqttBrokerOptions()))
            {
                Fill(broker, 1_000_000);
                var (client, _) = await RawMqttClient.ConnectAsync(broker.Port, "reader", MqttProtocolVersion.V311);
                using (client)
                {
                    var watch = Stopwatch.StartNew();
                    await client.SubscribeAsync("ret/#", MqttQualityOfService.AtMostOnce);
                    var received = 0;
                    string last = null;
                    while (received < 1_000_000 && watch.Elapsed < TimeSpan.FromSeconds(180))
                    {
                        var p = await client.ReceiveAsync(TimeSpan.FromSeconds(20));
                        if (!(p is PublishPacket publish)) break;
                        Assert.True(publish.Retain);
                        last = publish.Topic;
                        received++;
                    }
                    _output.WriteLine("RETAINED 1,000,000 x 10 B retained, subscribe ret/#: " + received + " received in " + watch.ElapsedMilliseconds + " ms");
                    // Before: 304,720 (what fitted an 8 MB send budget; the rest was dropped).
                    Assert.Equal(1_000_000, received);
                    Assert.Equal(0, broker.GetStatistics().PublishDropped);
                }
            }
        }

        [Fact]
        public async Task QoS_1_retained_messages_beyond_the_session_queue_are_all_delivered_as_the_client_acknowledges()
        {
            using (var broker = await StartAsync(new MqttBrokerOptions { MaxQueuedMessagesPerSession = 100 }))
            {
                var payload = Encoding.ASCII.GetBytes("x");
                for (var i = 0; i < 5000; i++) broker.Retained.Set(new MqttMessage("q1/" + i.ToString("D5"), payload, MqttQualityOfService.AtLeastOnce, true));
                var (client, _) = await RawMqttClient.ConnectAsync(broker.Port, "acker", MqttProtocolVersion.V311);
                using (client)
                {
                    await client.SubscribeAsync("q1/#", MqttQualityOfService.AtLeastOnce);
                    var topics = new System.Collections.Generic.HashSet<string>();
                    for (var i = 0; i < 5000; i++)
                    {
                        var publish = await client.ReceiveAsync<PublishPacket>(TimeSpan.FromSeconds(20));
                        topics.Add(publish.Topic);
                        await client.SendAsync(new PubAckPacket { PacketId = publish.PacketId });
                    }
                    Assert.Equal(5000, topics.Count);
                    Assert.Equal(0, broker.GetStatistics().PublishDropped);
                }
            }
        }

        [Fact]
        public async Task Retained_messages_a_client_leaves_without_are_counted_and_reported_once()
        {
            using (var broker = await StartAsync(new MqttBrokerOptions()))
            {
                Fill(broker, 200_000, payloadSize: 100); // 22 MB: far more than the socket buffers take
                var events = new ConcurrentQueue<MqttBrokerEvent>();
                broker.EventRaised += (_, e) => { if (e.Kind == MqttBrokerEventKind.MessageDropped) events.Enqueue(e); };
                // A subscriber with a tiny receive buffer that reads nothing after its SUBACK, then leaves.
                using (var stuck = await RawMqttConnection.OpenAsync(broker.Port, receiveBufferSize: 4096))
                {
                    await stuck.ConnectAsync("stuck");
                    await stuck.SubscribeAsync("ret/#", MqttQualityOfService.AtMostOnce);
                    await Task.Delay(500);
                }
                await Eventually.WaitUntilAsync(() => events.Any(e => e.ClientId == "stuck"), TimeSpan.FromSeconds(10), "the cut to be reported");
                await Task.Delay(300);
                var reports = events.Where(e => e.ClientId == "stuck").ToList();
                Assert.Single(reports);
                Assert.Contains("retained message(s) not delivered", reports[0].Reason);
                var cut = long.Parse(reports[0].Reason.Split(' ')[0]);
                Assert.InRange(cut, 100_000, 200_000);
                Assert.Equal(cut, broker.GetStatistics().PublishDropped);
            }
        }

        [Fact]
        public async Task A_retained_message_replaced_while_the_backlog_is_sent_arrives_in_its_new_state_only()
        {
            using (var broker = await StartAsync(new MqttBrokerOptions()))
            {
                Fill(broker, 100_000);
                var (client, _) = await RawMqttClient.ConnectAsync(broker.Port, "reader", MqttProtocolVersion.V311);
                using (client)
                {
                    await client.SubscribeAsync("ret/#", MqttQualityOfService.AtMostOnce);
                    // The last topic of the backlog changes before the client got to it.
                    await broker.PublishAsync(new MqttMessage("ret/0099999", Encoding.ASCII.GetBytes("new"), MqttQualityOfService.AtMostOnce, true));
                    var values = new System.Collections.Generic.List<string>();
                    for (var i = 0; i < 100_000; i++)
                    {
                        var p = await client.ReceiveAsync<PublishPacket>(TimeSpan.FromSeconds(20));
                        if (p.Topic == "ret/0099999") values.Add(Encoding.ASCII.GetString(p.Payload));
                    }
                    Assert.Null(await client.ReceiveAsync(TimeSpan.FromMilliseconds(300)));
                    Assert.Equal(new[] { "new" }, values);
                }
            }
        }
    }
}
