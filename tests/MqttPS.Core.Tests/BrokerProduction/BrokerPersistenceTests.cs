using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using MqttPS.Core.Broker;
using MqttPS.Core.Broker.Persistence;
using MqttPS.Core.Client;
using MqttPS.Core.Messages;
using MqttPS.Core.Protocol;
using Xunit;
using Xunit.Abstractions;
using static MqttPS.Core.Tests.BrokerProduction.BrokerTestHelpers;

namespace MqttPS.Core.Tests.BrokerProduction
{
    [Collection(MeasuringCollection.Name)]
    public sealed class BrokerPersistenceTests : IDisposable
    {
        private readonly string _dir = Directory.CreateTempSubdirectory("mqttps-persist-").FullName;
        private readonly ITestOutputHelper _output;

        public BrokerPersistenceTests(ITestOutputHelper output) { _output = output; }

        public void Dispose() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

        private static MqttClientOptions Persistent(int port, string clientId, MqttProtocolVersion version = MqttProtocolVersion.V500)
        {
            var o = ClientOptions(port, clientId, version);
            o.CleanStart = false;
            o.SessionExpiryInterval = 3600;
            return o;
        }

        /// <summary>Creates retained messages and an offline persistent session with queued QoS 1 and QoS 2 messages.</summary>
        private static async Task Populate(int port, int retained, int queued)
        {
            var subscriberOptions = Persistent(port, "offline-sub");
            subscriberOptions.CleanStart = true; // a fresh session that persists after the disconnect
            using (var subscriber = await ConnectAsync(subscriberOptions))
            {
                await subscriber.SubscribeAsync(new[] { new MqttTopicSubscription("queue/#", MqttQualityOfService.ExactlyOnce) }, subscriptionIdentifier: 77);
                await subscriber.DisconnectAsync();
            }
            using (var legacy = await ConnectAsync(Persistent(port, "offline-311", MqttProtocolVersion.V311)))
            {
                await legacy.SubscribeAsync("queue/#", MqttQualityOfService.AtLeastOnce);
                await legacy.DisconnectAsync();
            }
            using (var publisher = await ConnectAsync(ClientOptions(port, "publisher")))
            {
                for (var i = 0; i < retained; i++)
                    await publisher.PublishAsync(Message("retained/" + i, "r" + i, MqttQualityOfService.AtLeastOnce, retain: true));
                await publisher.PublishAsync(Message("retained/cleared", "x", MqttQualityOfService.AtLeastOnce, retain: true));
                await publisher.PublishAsync(new MqttMessage("retained/cleared", new byte[0], MqttQualityOfService.AtLeastOnce, true));
                for (var i = 0; i < queued; i++)
                    await publisher.PublishAsync(Message("queue/" + i, "q" + i, i % 2 == 0 ? MqttQualityOfService.AtLeastOnce : MqttQualityOfService.ExactlyOnce));
                // Every PublishAsync above completed at PUBACK/PUBCOMP: each of these messages was acknowledged.
            }
        }

        private static async Task Verify(int port, int retained, int queued)
        {
            using (var subscriber = new MqttClient(Persistent(port, "offline-sub")))
            {
                var result = await subscriber.ConnectAsync();
                Assert.True(result.SessionPresent, "the persistent session should survive");
                var payloads = new List<string>();
                for (var i = 0; i < queued; i++)
                {
                    var m = await ReceiveOrNullAsync(subscriber, TimeSpan.FromSeconds(10));
                    Assert.True(m != null, "queued message " + i + " of " + queued + " missing; got " + payloads.Count);
                    payloads.Add(m.PayloadText);
                    Assert.Equal(new uint[] { 77 }, m.SubscriptionIdentifiers.ToArray());
                }
                Assert.Equal(Enumerable.Range(0, queued).Select(i => "q" + i), payloads);
                Assert.Null(await ReceiveOrNullAsync(subscriber, TimeSpan.FromMilliseconds(300)));
                // The restored subscription keeps routing.
                using (var publisher = await ConnectAsync(ClientOptions(port, "publisher2")))
                    await publisher.PublishAsync(Message("queue/live", "live", MqttQualityOfService.AtLeastOnce));
                Assert.Equal("live", (await ReceiveOrNullAsync(subscriber, TimeSpan.FromSeconds(5)))?.PayloadText);
            }
            using (var legacy = new MqttClient(Persistent(port, "offline-311", MqttProtocolVersion.V311)))
            {
                Assert.True((await legacy.ConnectAsync()).SessionPresent);
                var count = 0;
                while (await ReceiveOrNullAsync(legacy, TimeSpan.FromMilliseconds(500)) != null) count++;
                Assert.Equal(queued + 1, count); // + the live one
            }
            using (var reader = await ConnectAsync(ClientOptions(port, "retained-reader")))
            {
                await reader.SubscribeAsync("retained/#", MqttQualityOfService.AtLeastOnce);
                var topics = new HashSet<string>();
                MqttMessage m;
                while ((m = await ReceiveOrNullAsync(reader, TimeSpan.FromMilliseconds(500))) != null)
                {
                    Assert.True(m.Retain);
                    topics.Add(m.Topic);
                }
                Assert.Equal(Enumerable.Range(0, retained).Select(i => "retained/" + i).OrderBy(t => t), topics.OrderBy(t => t));
            }
        }

        [Fact]
        public async Task Retained_messages_and_persistent_sessions_survive_a_graceful_restart()
        {
            var options = new MqttBrokerOptions { PersistencePath = _dir };
            int port;
            using (var broker = await StartAsync(options))
            {
                port = broker.Port;
                await Populate(broker.Port, 20, 30);
                await broker.StopAsync();
            }
            using (var broker = await StartAsync(new MqttBrokerOptions { PersistencePath = _dir }))
            {
                Assert.True(broker.PersistenceRecovery.IsClean, broker.PersistenceRecovery.ToString());
                Assert.Equal(2, broker.PersistenceRecovery.Sessions);
                await Verify(broker.Port, 20, 30);
            }
        }

        [Theory]
        [InlineData("PerMessage")]
        [InlineData("Batched")]
        [InlineData("None")]
        public async Task Everything_acknowledged_survives_SIGKILL(string durability)
        {
            const int retained = 50, queued = 100;
            using (var host = await BrokerHostProcess.StartAsync("--persistence", _dir, "--durability", durability))
            {
                await Populate(host.Port, retained, queued);
                await host.KillAsync();
            }
            using (var host = await BrokerHostProcess.StartAsync("--persistence", _dir, "--durability", durability))
            {
                _output.WriteLine(host.Log);
                await Verify(host.Port, retained, queued);
            }
        }

        [Fact]
        public async Task A_torn_log_after_SIGKILL_is_reported_and_recovered_up_to_the_last_good_record()
        {
            using (var host = await BrokerHostProcess.StartAsync("--persistence", _dir))
            {
                await Populate(host.Port, 10, 10);
                await host.KillAsync();
            }
            // The crash left half a record behind: a length header announcing more than was written.
            var log = Directory.GetFiles(_dir, "log-*.dat").OrderBy(f => f).Last();
            using (var f = new FileStream(log, FileMode.Append)) f.Write(new byte[] { 200, 0, 0, 0, 1, 2, 3, 4, 9, 9 }, 0, 10);
            using (var host = await BrokerHostProcess.StartAsync("--persistence", _dir))
            {
                Assert.Contains("cut short", host.Log);
                Assert.Contains("10 byte(s)", host.Log);
                await Verify(host.Port, 10, 10);
            }
        }
    
        [Fact]
        public async Task A_QoS2_flow_interrupted_by_SIGKILL_completes_exactly_once()
        {
            using (var host = await BrokerHostProcess.StartAsync("--persistence", _dir))
            {
                using (var sub = await ConnectAsync(Persistent(host.Port, "q2-sub", MqttProtocolVersion.V311)))
                {
                    await sub.SubscribeAsync("q2/#", MqttQualityOfService.ExactlyOnce);
                    await sub.DisconnectAsync();
                }
                using (var raw = await RawMqttConnection.OpenAsync(host.Port))
                {
                    await raw.ConnectAsync("q2-pub", cleanSession: false);
                    await raw.SendAsync(new PublishPacket { Topic = "q2/x", Payload = System.Text.Encoding.UTF8.GetBytes("once"), QoS = MqttQualityOfService.ExactlyOnce, PacketId = 5 });
                    var rec = await raw.ReceiveAsync(TimeSpan.FromSeconds(10)) as PubRecPacket;
                    Assert.Equal((ushort)5, rec?.PacketId);
                    // PUBREC means the broker owns the message now. It dies before the PUBREL arrives.
                    await host.KillAsync();
                }
            }
            using (var host = await BrokerHostProcess.StartAsync("--persistence", _dir))
            {
                using (var raw = await RawMqttConnection.OpenAsync(host.Port))
                {
                    await raw.ConnectAsync("q2-pub", cleanSession: false);
                    await raw.SendAsync(new PubRelPacket { PacketId = 5 });
                    var comp = await raw.ReceiveAsync(TimeSpan.FromSeconds(10)) as PubCompPacket;
                    Assert.Equal((ushort)5, comp?.PacketId);
                    await raw.SendAsync(new PubRelPacket { PacketId = 5 }); // a repeated PUBREL must not deliver it again
                    Assert.IsType<PubCompPacket>(await raw.ReceiveAsync(TimeSpan.FromSeconds(10)));
                }
                using (var sub = new MqttClient(Persistent(host.Port, "q2-sub", MqttProtocolVersion.V311)))
                {
                    Assert.True((await sub.ConnectAsync()).SessionPresent);
                    Assert.Equal("once", (await ReceiveOrNullAsync(sub, TimeSpan.FromSeconds(10)))?.PayloadText);
                    Assert.Null(await ReceiveOrNullAsync(sub, TimeSpan.FromMilliseconds(500)));
                }
            }
        }
    
        [Fact]
        public async Task Messages_in_flight_to_a_subscriber_at_SIGKILL_are_sent_again_with_their_packet_ids_and_DUP()
        {
            ushort qos1Id, qos2Id;
            using (var host = await BrokerHostProcess.StartAsync("--persistence", _dir))
            {
                using (var sub = await RawMqttConnection.OpenAsync(host.Port))
                {
                    await sub.ConnectAsync("inflight-sub", cleanSession: false);
                    await sub.SubscribeAsync("inflight/#", MqttQualityOfService.ExactlyOnce);
                    using (var publisher = await ConnectAsync(ClientOptions(host.Port, "inflight-pub")))
                    {
                        // Acknowledged to the publisher means stored, including that it went out to the subscriber.
                        await publisher.PublishAsync(Message("inflight/1", "one", MqttQualityOfService.AtLeastOnce));
                        await publisher.PublishAsync(Message("inflight/2", "two", MqttQualityOfService.ExactlyOnce));
                    }
                    // The subscriber receives both and acknowledges neither before the broker dies.
                    var first = Assert.IsType<PublishPacket>(await sub.ReceiveAsync(TimeSpan.FromSeconds(10)));
                    var second = Assert.IsType<PublishPacket>(await sub.ReceiveAsync(TimeSpan.FromSeconds(10)));
                    Assert.False(first.Dup);
                    qos1Id = first.PacketId;
                    qos2Id = second.PacketId;
                    await host.KillAsync();
                }
            }
            using (var host = await BrokerHostProcess.StartAsync("--persistence", _dir))
            using (var sub = await RawMqttConnection.OpenAsync(host.Port))
            {
                await sub.ConnectAsync("inflight-sub", cleanSession: false);
                // [MQTT-4.4.0-1]: unacknowledged PUBLISH packets again, in order, with their original packet ids and DUP.
                var first = Assert.IsType<PublishPacket>(await sub.ReceiveAsync(TimeSpan.FromSeconds(10)));
                var second = Assert.IsType<PublishPacket>(await sub.ReceiveAsync(TimeSpan.FromSeconds(10)));
                Assert.Equal(("inflight/1", "one", qos1Id, true, MqttQualityOfService.AtLeastOnce),
                    (first.Topic, System.Text.Encoding.UTF8.GetString(first.Payload), first.PacketId, first.Dup, first.QoS));
                Assert.Equal(("inflight/2", "two", qos2Id, true, MqttQualityOfService.ExactlyOnce),
                    (second.Topic, System.Text.Encoding.UTF8.GetString(second.Payload), second.PacketId, second.Dup, second.QoS));
                // The flows complete under those ids; nothing else is left.
                await sub.SendAsync(new PubAckPacket { PacketId = qos1Id });
                await sub.SendAsync(new PubRecPacket { PacketId = qos2Id });
                Assert.Equal(qos2Id, Assert.IsType<PubRelPacket>(await sub.ReceiveAsync(TimeSpan.FromSeconds(10))).PacketId);
                await sub.SendAsync(new PubCompPacket { PacketId = qos2Id });
                await Assert.ThrowsAsync<TimeoutException>(() => sub.ReceiveAsync(TimeSpan.FromMilliseconds(500)));
            }
        }

        [Fact]
        public async Task Broker_start_time_with_100000_stored_retained_messages()
        {
            const int count = 100_000;
            using (var store = MqttPersistentStore.Open(_dir, new MqttPersistenceOptions { Durability = PersistenceDurability.None }))
            {
                var payload = new byte[64];
                var tasks = new Task[count];
                for (var i = 0; i < count; i++) tasks[i] = store.SetRetainedAsync(new MqttMessage("bench/" + (i / 1000) + "/" + i, payload, MqttQualityOfService.AtMostOnce, true));
                await Task.WhenAll(tasks);
            }
            GC.Collect();
            var heapBefore = GC.GetTotalMemory(true);
            var watch = System.Diagnostics.Stopwatch.StartNew();
            using (var broker = await StartAsync(new MqttBrokerOptions { PersistencePath = _dir }))
            {
                var startTime = watch.Elapsed;
                Assert.Equal(count, broker.Retained.Count);
                GC.Collect();
                var heapAfter = GC.GetTotalMemory(true);
                using (var reader = await ConnectAsync(ClientOptions(broker.Port, "reader")))
                {
                    await reader.SubscribeAsync("bench/42/#", MqttQualityOfService.AtMostOnce);
                    var got = 0;
                    while (await ReceiveOrNullAsync(reader, TimeSpan.FromMilliseconds(500)) != null) got++;
                    Assert.Equal(1000, got);
                }
                var line = string.Format("BENCHMARK broker start with {0:N0} stored retained messages: {1:N0} ms (store recovery {2:N0} ms), managed heap for store + retained tree {3:N1} MiB",
                    count, startTime.TotalMilliseconds, broker.PersistenceRecovery.Duration.TotalMilliseconds, (heapAfter - heapBefore) / 1048576.0);
                _output.WriteLine(line);
                Console.WriteLine(line);
            }
        }
    
        [Fact]
        public async Task Cost_of_durability_for_acknowledged_QoS1_publishes()
        {
            const int publishers = 8, perPublisher = 250;
            var lines = new List<string>();
            foreach (var durability in new PersistenceDurability?[] { null, PersistenceDurability.None, PersistenceDurability.Batched, PersistenceDurability.PerMessage })
            {
                var dir = Path.Combine(_dir, durability?.ToString() ?? "off");
                var options = new MqttBrokerOptions { MaxQueuedMessagesPerSession = 0 };
                if (durability.HasValue) { options.PersistencePath = dir; options.PersistenceDurability = durability.Value; }
                using (var broker = await StartAsync(options))
                {
                    // An offline persistent subscriber: every publish is queued for it, so every PUBACK waits for the store.
                    var sub = Persistent(broker.Port, "durable-sub");
                    sub.CleanStart = true;
                    using (var s = await ConnectAsync(sub)) { await s.SubscribeAsync("cost/#", MqttQualityOfService.AtLeastOnce); await s.DisconnectAsync(); }
                    var clients = new List<MqttClient>();
                    for (var i = 0; i < publishers; i++) clients.Add(await ConnectAsync(ClientOptions(broker.Port, "cost-pub-" + i)));
                    var watch = System.Diagnostics.Stopwatch.StartNew();
                    await Task.WhenAll(clients.Select(async c =>
                    {
                        for (var k = 0; k < perPublisher; k++) await c.PublishAsync(Message("cost/x", "payload-" + k, MqttQualityOfService.AtLeastOnce));
                    }));
                    var rate = publishers * perPublisher / watch.Elapsed.TotalSeconds;
                    foreach (var c in clients) c.Dispose();
                    sub.CleanStart = false;
                    sub.ReceiveQueueCapacity = publishers * perPublisher + 10;
                    using (var s = await ConnectAsync(sub))
                    {
                        var received = 0;
                        while (await ReceiveOrNullAsync(s, TimeSpan.FromMilliseconds(500)) != null) received++;
                        Assert.Equal(publishers * perPublisher, received);
                    }
                    lines.Add(string.Format("{0}: {1:N0} acknowledged QoS 1 publishes/s", durability?.ToString() ?? "persistence off", rate));
                }
            }
            var line = "BENCHMARK durability cost (" + publishers + " publishers x " + perPublisher + " closed-loop QoS 1 publishes to an offline persistent session): " + string.Join("; ", lines);
            _output.WriteLine(line);
            Console.WriteLine(line);
        }
    }
}
