using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading.Tasks;
using MqttPS.Core.Broker;
using MqttPS.Core.Broker.Listeners;
using MqttPS.Core.Client;
using MqttPS.Core.Protocol;
using MqttPS.Core.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;
using static MqttPS.Core.Tests.BrokerProduction.BrokerTestHelpers;
using static MqttPS.Core.Tests.Infrastructure.Eventually;

namespace MqttPS.Core.Tests.BrokerProduction
{
    [Collection(MeasuringCollection.Name)]
    public sealed class BrokerRobustnessTests
    {
        private readonly ITestOutputHelper _output;

        public BrokerRobustnessTests(ITestOutputHelper output) { _output = output; }

        private void Report(string line)
        {
            _output.WriteLine(line);
            Console.WriteLine(line);
        }

        [Fact]
        public async Task Clients_sending_random_bytes_are_closed_and_nobody_else_notices()
        {
            using (var broker = await StartAsync(new MqttBrokerOptions { ConnectTimeout = TimeSpan.FromSeconds(2) }))
            using (var good = await ConnectAsync(ClientOptions(broker.Port, "good")))
            {
                await good.SubscribeAsync("alive", MqttQualityOfService.AtLeastOnce);
                var random = new Random(4711);
                var closed = 0;
                for (var i = 0; i < 30; i++)
                {
                    using (var raw = await RawMqttConnection.OpenAsync(broker.Port))
                    {
                        var garbage = new byte[random.Next(1, 4096)];
                        random.NextBytes(garbage);
                        if (i % 3 == 1)
                        {
                            // A valid CONNECT first, then garbage on an established session.
                            await raw.ConnectAsync("fuzz-" + i);
                        }
                        try { await raw.SendAsync(garbage); } catch (System.Net.Sockets.SocketException) { }
                        if (await raw.WaitForCloseAsync(TimeSpan.FromSeconds(5))) closed++;
                    }
                }
                Assert.Equal(30, closed);
                Assert.Equal(0, broker.InternalErrors);
                await good.PublishAsync(Message("alive", "still here", MqttQualityOfService.AtLeastOnce));
                Assert.Equal("still here", (await ReceiveOrNullAsync(good, TimeSpan.FromSeconds(5)))?.PayloadText);
                Assert.Single(broker.GetClients());
            }
        }

        [Fact]
        public async Task A_connection_that_never_sends_CONNECT_is_closed_after_the_connect_timeout()
        {
            using (var broker = await StartAsync(new MqttBrokerOptions { ConnectTimeout = TimeSpan.FromSeconds(1) }))
            using (var silent = await RawMqttConnection.OpenAsync(broker.Port))
            {
                var watch = Stopwatch.StartNew();
                Assert.True(await silent.WaitForCloseAsync(TimeSpan.FromSeconds(10)), "the silent connection was not closed");
                Assert.InRange(watch.Elapsed.TotalSeconds, 0.8, 5);
            }
        }

        [Fact]
        public async Task Connections_beyond_the_per_address_limit_are_refused_at_once()
        {
            using (var broker = await StartAsync(new MqttBrokerOptions { MaxConnectionsPerAddress = 3 }))
            {
                var held = new List<RawMqttConnection>();
                for (var i = 0; i < 3; i++)
                {
                    var c = await RawMqttConnection.OpenAsync(broker.Port);
                    await c.ConnectAsync("held-" + i);
                    held.Add(c);
                }
                using (var fourth = await RawMqttConnection.OpenAsync(broker.Port))
                    Assert.True(await fourth.WaitForCloseAsync(TimeSpan.FromSeconds(5)));
                held[0].Dispose();
                await WaitUntilAsync(() => broker.GetClients().Count == 2, TimeSpan.FromSeconds(5), "the first connection to go");
                using (var again = await RawMqttConnection.OpenAsync(broker.Port))
                    await again.ConnectAsync("again");
                foreach (var c in held) c.Dispose();
            }
        }

        [Fact]
        public async Task A_thousand_concurrent_connections_subscribe_and_all_receive()
        {
            const int count = 1000;
            using (var broker = await StartAsync(new MqttBrokerOptions { ConnectTimeout = TimeSpan.FromSeconds(30) }))
            {
                GC.Collect();
                var heapBefore = GC.GetTotalMemory(true);
                var watch = Stopwatch.StartNew();
                var connections = new RawMqttConnection[count];
                for (var batch = 0; batch < count; batch += 100)
                {
                    await Task.WhenAll(Enumerable.Range(batch, 100).Select(async i =>
                    {
                        connections[i] = await RawMqttConnection.OpenAsync(broker.Port);
                        await connections[i].ConnectAsync("many-" + i);
                        await connections[i].SubscribeAsync(i % 2 == 0 ? "fan/all" : "fan/+", MqttQualityOfService.AtLeastOnce);
                    }));
                }
                var connectTime = watch.Elapsed;
                Assert.Equal(count, broker.GetClients().Count);
                GC.Collect();
                var heapHeld = GC.GetTotalMemory(true);

                using (var publisher = await ConnectAsync(ClientOptions(broker.Port, "fan-publisher")))
                {
                    for (var k = 0; k < 3; k++) await publisher.PublishAsync(Message("fan/all", "m" + k, MqttQualityOfService.AtLeastOnce));
                }
                watch.Restart();
                var received = await Task.WhenAll(connections.Select(async c =>
                {
                    var payloads = new List<string>();
                    while (payloads.Count < 3)
                    {
                        var p = await c.ReceiveAsync(TimeSpan.FromSeconds(30)) as PublishPacket;
                        if (p == null) break;
                        payloads.Add(System.Text.Encoding.UTF8.GetString(p.Payload));
                        await c.SendAsync(new PubAckPacket { PacketId = p.PacketId });
                    }
                    return payloads;
                }));
                var deliverTime = watch.Elapsed;
                Assert.All(received, r => Assert.Equal(new[] { "m0", "m1", "m2" }, r));
                Report(string.Format("ROBUSTNESS {0} connections held: connect+subscribe {1:N0} ms, 3 QoS 1 messages to all in {2:N0} ms, managed heap {3:N1} KiB per connection (both ends of the loopback in this process)",
                    count, connectTime.TotalMilliseconds, deliverTime.TotalMilliseconds, (heapHeld - heapBefore) / 1024.0 / count));
                foreach (var c in connections) c.Dispose();
                await WaitUntilAsync(() => broker.GetClients().Count == 0, TimeSpan.FromSeconds(20), "all connections to close");
            }
        }

        /// <summary>Publishes <paramref name="count"/> QoS 0 messages and returns how long the fast subscriber took to get them all.</summary>
        private static async Task<TimeSpan> Flood(MqttBroker broker, MqttClient fast, int count, byte[] payload)
        {
            using (var publisher = await ConnectAsync(ClientOptions(broker.Port, "flood-publisher-" + Guid.NewGuid().ToString("N").Substring(0, 6))))
            {
                var watch = Stopwatch.StartNew();
                var receiving = Task.Run(async () =>
                {
                    for (var i = 0; i < count; i++)
                    {
                        var m = await ReceiveOrNullAsync(fast, TimeSpan.FromSeconds(30));
                        if (m == null) throw new TimeoutException("the fast subscriber stalled after " + i + " of " + count + " messages");
                    }
                });
                for (var i = 0; i < count; i++)
                {
                    // QoS 1 from the publisher paces it to what the broker has routed (closed loop, window of the client).
                    var message = new Messages.MqttMessage("flood/data", payload, MqttQualityOfService.AtLeastOnce);
                    await publisher.PublishAsync(message);
                }
                await receiving;
                return watch.Elapsed;
            }
        }

        [Fact]
        public async Task A_subscriber_that_stops_reading_neither_slows_the_others_nor_grows_memory_without_bound()
        {
            const int count = 20_000;
            var payload = new byte[1024];
            var options = new MqttBrokerOptions { MaxQueuedMessagesPerSession = 1000, MaxPendingBytesPerConnection = 4 * 1024 * 1024 };
            using (var broker = await StartAsync(options))
            {
                var fastOptions = ClientOptions(broker.Port, "fast");
                fastOptions.ReceiveQueueCapacity = count + 10;
                using (var fast = await ConnectAsync(fastOptions))
                {
                    await fast.SubscribeAsync("flood/#", MqttQualityOfService.AtMostOnce);
                    var baseline = await Flood(broker, fast, count, payload);

                    // Two stuck subscribers: one at QoS 0, one at QoS 1; tiny socket buffers, and they never read again.
                    using (var stuck0 = await RawMqttConnection.OpenAsync(broker.Port, receiveBufferSize: 4096))
                    using (var stuck1 = await RawMqttConnection.OpenAsync(broker.Port, receiveBufferSize: 4096))
                    {
                        await stuck0.ConnectAsync("stuck-qos0");
                        await stuck0.SubscribeAsync("flood/#", MqttQualityOfService.AtMostOnce);
                        await stuck1.ConnectAsync("stuck-qos1");
                        await stuck1.SubscribeAsync("flood/#", MqttQualityOfService.AtLeastOnce);
                        GC.Collect();
                        var heapBefore = GC.GetTotalMemory(true);
                        var droppedBefore = broker.GetStatistics().PublishDropped;
                        var withStuck = await Flood(broker, fast, count, payload);
                        GC.Collect();
                        var heapAfter = GC.GetTotalMemory(true);
                        var growthMiB = (heapAfter - heapBefore) / 1048576.0;
                        var dropped = broker.GetStatistics().PublishDropped - droppedBefore;
                        var stuckInfo = broker.GetClients().Single(c => c.ClientId == "stuck-qos1");
                        Report(string.Format("ROBUSTNESS stuck subscriber: fast subscriber got {0:N0} x 1 KiB in {1:N0} ms alone, {2:N0} ms with two stuck subscribers (ratio {3:N2}); managed heap growth {4:N1} MiB (bound asserted: 32 MiB); {5:N0} messages dropped for the stuck ones; stuck QoS 1 session: {6} queued, {7} in flight",
                            count, baseline.TotalMilliseconds, withStuck.TotalMilliseconds, withStuck.TotalMilliseconds / baseline.TotalMilliseconds, growthMiB, dropped, stuckInfo.QueuedMessages, stuckInfo.InFlightMessages));
                        // The bound: 4 MiB of pending bytes per stuck connection + 1,000 queued 1 KiB messages + slack.
                        Assert.True(growthMiB < 32, "broker memory grew by " + growthMiB.ToString("N1") + " MiB with stuck subscribers");
                        Assert.True(dropped > 0, "messages for the stuck subscribers should have been dropped, not buffered");
                        Assert.True(stuckInfo.QueuedMessages <= 1000);
                    }
                }
            }
        }

        [Fact]
        public async Task A_TLS_client_that_never_handshakes_is_dropped_and_counted()
        {
            var pki = await TestCertificates.GetAsync();
            var listener = new MqttTransportListener(new MqttListenerOptions
            {
                Kind = MqttListenerKind.Tls, BindAddress = System.Net.IPAddress.Loopback, Port = 0,
                CertificatePath = pki.ServerPfx, CertificatePassword = TestCertificates.PfxPassword, HandshakeTimeout = TimeSpan.FromMilliseconds(500),
            });
            var options = new MqttBrokerOptions();
            options.CustomListeners.Add(listener);
            using (var broker = await StartAsync(options))
            using (var silent = await RawMqttConnection.OpenAsync(listener.LocalEndPoint.Port))
            {
                Assert.True(await silent.WaitForCloseAsync(TimeSpan.FromSeconds(10)));
                // The socket closes as the handshake is abandoned; the failure is counted right after.
                await WaitUntilAsync(() => listener.HandshakeFailures == 1, TimeSpan.FromSeconds(5), "the handshake failure to be counted");
                Assert.Contains("did not complete", listener.LastHandshakeFailure);
            }
        }
    
        [Theory]
        [InlineData(QueueOverflowPolicy.DropNewest, "q0")]
        [InlineData(QueueOverflowPolicy.DropOldest, "q40")]
        public async Task An_offline_session_queue_is_bounded_in_bytes(QueueOverflowPolicy policy, string firstExpected)
        {
            var options = new MqttBrokerOptions { MaxQueuedBytesPerSession = 10 * 1024, QueueOverflowPolicy = policy };
            using (var broker = await StartAsync(options))
            {
                var subOptions = ClientOptions(broker.Port, "bounded", MqttProtocolVersion.V311);
                subOptions.CleanStart = false;
                using (var sub = await ConnectAsync(subOptions))
                {
                    await sub.SubscribeAsync("big/#", MqttQualityOfService.AtLeastOnce);
                    await sub.DisconnectAsync();
                }
                var payload = new byte[1000];
                using (var pub = await ConnectAsync(ClientOptions(broker.Port, "pub")))
                {
                    for (var i = 0; i < 50; i++)
                        await pub.PublishAsync(new Messages.MqttMessage("big/q", System.Text.Encoding.ASCII.GetBytes("q" + i).Concat(payload).ToArray(), MqttQualityOfService.AtLeastOnce));
                    // One message larger than the whole limit is never queued.
                    await pub.PublishAsync(new Messages.MqttMessage("big/huge", new byte[20 * 1024], MqttQualityOfService.AtLeastOnce));
                }
                Assert.Equal(41, broker.GetStatistics().PublishDropped); // 10 messages of ~1 KiB fit in 10 KiB
                using (var sub = await ConnectAsync(subOptions))
                {
                    var got = new List<string>();
                    Messages.MqttMessage m;
                    while ((m = await ReceiveOrNullAsync(sub, TimeSpan.FromMilliseconds(500))) != null)
                        got.Add(System.Text.Encoding.ASCII.GetString(m.PayloadBytes, 0, m.PayloadBytes.Length - 1000));
                    Assert.Equal(10, got.Count);
                    Assert.Equal(firstExpected, got[0]);
                }
            }
        }
    
        private static long RssKiB(int pid)
        {
            foreach (var line in System.IO.File.ReadAllLines("/proc/" + pid + "/status"))
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) return long.Parse(line.Substring(6).Trim().Split(' ')[0]);
            return -1;
        }

        [Fact]
        public async Task Broker_process_memory_with_1000_idle_connections_and_a_stuck_subscriber()
        {
            using (var host = await BrokerHostProcess.StartAsync(BrokerHostProcess.FixedGcBudget, "--max-queued", "1000"))
            {
                await Task.Delay(500);
                var rssStart = RssKiB(host.ProcessId);
                var idle = new RawMqttConnection[1000];
                for (var batch = 0; batch < idle.Length; batch += 100)
                    await Task.WhenAll(Enumerable.Range(batch, 100).Select(async i =>
                    {
                        idle[i] = await RawMqttConnection.OpenAsync(host.Port);
                        await idle[i].ConnectAsync("idle-" + i);
                    }));
                await Task.Delay(500);
                var rssIdle = RssKiB(host.ProcessId);

                var fastOptions = ClientOptions(host.Port, "fast");
                fastOptions.ReceiveQueueCapacity = 30_000;
                using (var fast = await ConnectAsync(fastOptions))
                using (var stuck = await RawMqttConnection.OpenAsync(host.Port, receiveBufferSize: 4096))
                {
                    await fast.SubscribeAsync("flood/#", MqttQualityOfService.AtMostOnce);
                    await stuck.ConnectAsync("stuck");
                    await stuck.SubscribeAsync("flood/#", MqttQualityOfService.AtLeastOnce);
                    using (var publisher = await ConnectAsync(ClientOptions(host.Port, "publisher")))
                    {
                        var payload = new byte[4096];
                        async Task<TimeSpan> FloodOnce()
                        {
                            var received = Task.Run(async () =>
                            {
                                for (var i = 0; i < 20_000; i++)
                                    if (await ReceiveOrNullAsync(fast, TimeSpan.FromSeconds(30)) == null) throw new TimeoutException("fast subscriber stalled at " + i);
                            });
                            var watch = Stopwatch.StartNew();
                            for (var i = 0; i < 20_000; i++) await publisher.PublishAsync(new Messages.MqttMessage("flood/x", payload, MqttQualityOfService.AtLeastOnce));
                            await received;
                            return watch.Elapsed;
                        }
                        var first = await FloodOnce();
                        await Task.Delay(500);
                        var rssFlood = RssKiB(host.ProcessId);
                        TimeSpan second = TimeSpan.Zero;
                        for (var round = 0; round < 4; round++) second = await FloodOnce();
                        await Task.Delay(500);
                        var rssFlood2 = RssKiB(host.ProcessId);
                        Report(string.Format("ROBUSTNESS broker process (BrokerHost) RSS: {0:N0} KiB at start, {1:N0} KiB with 1,000 idle connections ({2:N1} KiB per connection), {3:N0} KiB after 20,000 x 4 KiB through a stuck QoS 1 subscriber (+{4:N1} MiB), {5:N0} KiB after 80,000 more ({6:+0.0;-0.0} MiB; 400 MiB pushed in all); fast subscriber: {7:N0} ms for the first 20,000, {8:N0} ms for the last",
                            rssStart, rssIdle, (rssIdle - rssStart) / 1000.0, rssFlood, (rssFlood - rssIdle) / 1024.0, rssFlood2, (rssFlood2 - rssFlood) / 1024.0, first.TotalMilliseconds, second.TotalMilliseconds));
                        // Stated bound: what the stuck session may hold (1,000 queued x 4 KiB, each also kept encoded, + 20 in
                        // flight + up to 8 MiB of socket backlog) plus the GC's fixed 4 MiB young generation and heap
                        // fragmentation: under 48 MiB over the idle broker while 400 MiB pass the stuck subscriber (measured
                        // here: +21 MiB). Without the fixed GC budget this VM's runtime lets ~130 MiB of garbage accumulate
                        // between collections (see FixedGcBudget), and the reading was +97..100 MiB whatever the broker held.
                        Assert.True(rssFlood2 - rssIdle < 48 * 1024, "broker RSS grew by " + (rssFlood2 - rssIdle) / 1024 + " MiB with a stuck subscriber");
                    }
                }
                foreach (var c in idle) c.Dispose();
            }
        }
    }
}
