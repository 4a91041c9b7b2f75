using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using MqttPS.Core.Client;
using MqttPS.Core.Messages;
using MqttPS.Core.Protocol;
using MqttPS.Core.Tests.Infrastructure;
using MqttPS.Core.Transport;
using Xunit;

namespace MqttPS.Core.Tests.Client
{
    /// <summary>Wills, persistent sessions, exactly-once across connection drops, automatic reconnect.</summary>
    public class SessionTests
    {
        [Fact]
        public async Task Will_with_properties_is_published_when_the_connection_drops_without_disconnect()
        {
            using (var broker = await Mosquitto.StartAsync())
            using (var proxy = new TcpProxy(broker.Port))
            using (var watcher = await TestClients.ConnectAsync(broker.Port))
            {
                await watcher.SubscribeAsync("wills/#", MqttQualityOfService.AtLeastOnce);
                var will = new MqttWillMessage { Topic = "wills/device1", Payload = System.Text.Encoding.UTF8.GetBytes("gone"), QoS = MqttQualityOfService.AtLeastOnce };
                will.Properties.ContentType = "text/plain";
                will.Properties.ResponseTopic = "wills/reply";
                will.Properties.CorrelationData = new byte[] { 9, 8 };
                will.Properties.MessageExpiryInterval = 60;
                will.Properties.UserProperties.Add(new MqttUserProperty("reason", "test"));
                using (var device = await TestClients.ConnectAsync(proxy.Port, configure: o => o.Will = will))
                {
                    await watcher.AssertNothingReceivedAsync(0.2);
                    proxy.CutAll();
                    var received = await watcher.ReceiveAsync();
                    Assert.Equal("wills/device1", received.Topic);
                    Assert.Equal("gone", received.PayloadText);
                    Assert.Equal("text/plain", received.ContentType);
                    Assert.Equal("wills/reply", received.ResponseTopic);
                    Assert.Equal(new byte[] { 9, 8 }, received.CorrelationData);
                    Assert.Equal("reason=test", received.UserProperties.Single().ToString());
                    await Eventually.WaitUntilAsync(() => !device.IsConnected, TimeSpan.FromSeconds(5), "the client to notice the cut");
                }
            }
        }

        [Theory]
        [InlineData(DisconnectReasonCode.NormalDisconnection, false, MqttProtocolVersion.V500)]
        [InlineData(DisconnectReasonCode.DisconnectWithWillMessage, true, MqttProtocolVersion.V500)]
        [InlineData(DisconnectReasonCode.NormalDisconnection, false, MqttProtocolVersion.V311)]
        [InlineData(DisconnectReasonCode.DisconnectWithWillMessage, true, MqttProtocolVersion.V311)]
        public async Task Disconnect_reason_decides_whether_the_will_is_published(DisconnectReasonCode reason, bool willExpected, MqttProtocolVersion version)
        {
            using (var broker = await Mosquitto.StartAsync())
            using (var watcher = await TestClients.ConnectAsync(broker.Port))
            {
                await watcher.SubscribeAsync("wills/#", MqttQualityOfService.AtLeastOnce);
                var device = await TestClients.ConnectAsync(broker.Port, version, configure: o => o.Will = new MqttWillMessage { Topic = "wills/d", Payload = new byte[] { 1 } });
                await device.DisconnectAsync(reason);
                Assert.False(device.IsConnected);
                Assert.Null(await device.ReceiveAsync());
                device.Dispose();
                if (willExpected) Assert.Equal("wills/d", (await watcher.ReceiveAsync()).Topic);
                else await watcher.AssertNothingReceivedAsync(0.5);
            }
        }

        [Theory]
        [InlineData(MqttProtocolVersion.V311)]
        [InlineData(MqttProtocolVersion.V500)]
        public async Task Persistent_session_receives_qos1_messages_published_while_offline(MqttProtocolVersion version)
        {
            using (var broker = await Mosquitto.StartAsync())
            using (var publisher = await TestClients.ConnectAsync(broker.Port, version))
            {
                Action<MqttClientOptions> persistent = o => { o.CleanStart = false; o.SessionExpiryInterval = 300; };
                // 3.1.1 keeps a session only with Clean Session 0; 5.0 with a session expiry interval.
                var subscriber = await TestClients.ConnectAsync(broker.Port, version, "persistent-sub", o => { o.CleanStart = version == MqttProtocolVersion.V500; o.SessionExpiryInterval = 300; });
                await subscriber.SubscribeAsync("offline/#", MqttQualityOfService.AtLeastOnce);
                await subscriber.DisconnectAsync();
                subscriber.Dispose();

                for (var i = 0; i < 3; i++) await publisher.PublishAsync(new MqttMessage("offline/t", "m" + i, MqttQualityOfService.AtLeastOnce));

                using (var back = await TestClients.ConnectAsync(broker.Port, version, "persistent-sub", persistent))
                {
                    Assert.True(back.LastConnectResult.SessionPresent);
                    var received = await back.ReceiveManyAsync(3);
                    Assert.Equal(new[] { "m0", "m1", "m2" }, received.Select(m => m.PayloadText));
                }
            }
        }

        [Theory]
        [InlineData(true)]   // cut when our PUBREC goes out: the broker resends the PUBLISH with DUP
        [InlineData(false)]  // cut when the broker's PUBREL comes in: the broker resends the PUBREL
        public async Task QoS2_message_is_delivered_exactly_once_across_a_connection_drop_mid_flow(bool cutOnPubRec)
        {
            using (var broker = await Mosquitto.StartAsync())
            using (var proxy = new TcpProxy(broker.Port))
            using (var publisher = await TestClients.ConnectAsync(broker.Port))
            {
                var cuts = 0;
                var subscriber = await TestClients.ConnectAsync(proxy.Port, clientId: "exactly-once", configure: o =>
                {
                    o.CleanStart = true;
                    o.SessionExpiryInterval = 300;
                    o.AutoReconnect = true;
                    o.ReconnectMinDelay = TimeSpan.FromMilliseconds(50);
                    o.ReconnectMaxDelay = TimeSpan.FromMilliseconds(200);
                });
                using (subscriber)
                {
                    var trace = new ConcurrentQueue<string>();
                    subscriber.Trace = trace.Enqueue;
                    var reconnected = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                    subscriber.ConnectionStateChanged += (_, e) => { if (e.State == MqttConnectionState.Reconnected) reconnected.TrySetResult(e.SessionPresent); };
                    await subscriber.SubscribeAsync("once/t", MqttQualityOfService.ExactlyOnce);

                    // PUBREC is 0x50, PUBREL 0x62 (first byte of the packet, in its own TCP chunk on an idle loopback).
                    Func<byte[], int, bool> cutFirst(byte firstByte) => (data, n) =>
                    {
                        if (data[0] == firstByte && Interlocked.CompareExchange(ref cuts, 1, 0) == 0) return false;
                        return true;
                    };
                    if (cutOnPubRec) proxy.ClientToServerFilter = cutFirst(0x50);
                    else proxy.ServerToClientFilter = cutFirst(0x62);

                    for (var i = 0; i < 5; i++) await publisher.PublishAsync(new MqttMessage("once/t", "m" + i, MqttQualityOfService.ExactlyOnce));

                    Assert.True(await reconnected.Task.WaitAsync(TimeSpan.FromSeconds(10)), "the session must be resumed");
                    Assert.Equal(1, cuts);
                    var received = await subscriber.ReceiveManyAsync(5, 10);
                    Assert.Equal(new[] { "m0", "m1", "m2", "m3", "m4" }, received.Select(m => m.PayloadText));
                    await subscriber.AssertNothingReceivedAsync(0.5);
                    if (cutOnPubRec) Assert.Contains(trace, l => l.Contains("not delivered again"));
                }
            }
        }

        [Fact]
        public async Task Reconnects_after_broker_restart_resubscribes_and_sends_queued_publishes()
        {
            using (var broker = await Mosquitto.StartAsync())
            {
                var states = new ConcurrentQueue<MqttConnectionStateChangedEventArgs>();
                using (var client = await TestClients.ConnectAsync(broker.Port, clientId: "survivor", configure: o =>
                {
                    o.AutoReconnect = true;
                    o.ReconnectMinDelay = TimeSpan.FromMilliseconds(100);
                    o.ReconnectMaxDelay = TimeSpan.FromMilliseconds(500);
                    o.KeepAliveSeconds = 5;
                }))
                {
                    client.ConnectionStateChanged += (_, e) => states.Enqueue(e);
                    await client.SubscribeAsync("live/#", MqttQualityOfService.AtLeastOnce);
                    await client.PublishAsync(new MqttMessage("live/before", "before", MqttQualityOfService.AtLeastOnce));
                    Assert.Equal("before", (await client.ReceiveAsync()).PayloadText);

                    broker.Kill();
                    await Eventually.WaitUntilAsync(() => !client.IsConnected, TimeSpan.FromSeconds(5), "the client to notice the broker is gone");
                    Assert.Equal(MqttConnectionState.Reconnecting, client.State);

                    // Publishes while the broker is down are queued, not lost.
                    var queued = Enumerable.Range(0, 3).Select(i => client.PublishAsync(new MqttMessage("live/queued", "q" + i, MqttQualityOfService.AtLeastOnce))).ToList();
                    Assert.Equal(3, client.PendingPublishes);
                    await Task.Delay(300);
                    await broker.RestartAsync();

                    await Task.WhenAll(queued).WaitAsync(TimeSpan.FromSeconds(10));
                    // The restarted broker had no session (persistence off): the subscription was made again,
                    // before the queued publishes, so they come back to us.
                    var received = await client.ReceiveManyAsync(3);
                    Assert.Equal(new[] { "q0", "q1", "q2" }, received.Select(m => m.PayloadText));
                    using (var other = await TestClients.ConnectAsync(broker.Port))
                    {
                        await other.PublishAsync(new MqttMessage("live/after", "after", MqttQualityOfService.AtLeastOnce));
                    }
                    Assert.Equal("after", (await client.ReceiveAsync()).PayloadText);

                    var kinds = states.Select(s => s.State).ToList();
                    Assert.Equal(MqttConnectionState.Disconnected, kinds.First());
                    Assert.Contains(MqttConnectionState.Reconnecting, kinds);
                    var reconnected = states.Last(s => s.State == MqttConnectionState.Reconnected);
                    Assert.False(reconnected.SessionPresent);
                    Assert.True(client.IsConnected);
                }
            }
        }

        [Fact]
        public async Task Session_survives_a_broker_restart_with_persistence_and_the_queued_publish_arrives()
        {
            var dir = System.IO.Directory.CreateTempSubdirectory("mqttps-persist-").FullName;
            // mosquitto started as root drops to its own user, which must be able to write the database.
            System.IO.File.SetUnixFileMode(dir, (System.IO.UnixFileMode)0x1FF);
            using (var broker = await Mosquitto.StartAsync(new[] { "persistence true", "persistence_location " + dir + "/", "autosave_interval 1" }))
            using (var client = await TestClients.ConnectAsync(broker.Port, clientId: "durable", configure: o =>
            {
                o.CleanStart = false; // mosquitto 2.0 persists only sessions that were not started clean
                o.SessionExpiryInterval = 3600;
                o.AutoReconnect = true;
                o.ReconnectMinDelay = TimeSpan.FromMilliseconds(100);
                o.ReconnectMaxDelay = TimeSpan.FromMilliseconds(500);
            }))
            {
                await client.SubscribeAsync("durable/#", MqttQualityOfService.AtLeastOnce);
                await Task.Delay(1100);
                await Eventually.WaitUntilAsync(() => System.IO.File.Exists(System.IO.Path.Combine(dir, "mosquitto.db")), TimeSpan.FromSeconds(10), "mosquitto to autosave its database");
                await Task.Delay(1100); // a save that includes the subscription
                // The state change, not a poll of IsConnected: a poll can miss a short disconnected spell on a loaded
                // machine, and the clean-clone CI run once did not see it within 5 s.
                var states = new System.Collections.Concurrent.ConcurrentQueue<MqttConnectionState>();
                client.ConnectionStateChanged += (_, e) => states.Enqueue(e.State);
                broker.Kill();
                await Eventually.WaitUntilAsync(() => states.Contains(MqttConnectionState.Reconnecting), TimeSpan.FromSeconds(10), "the client to notice the broker is gone");
                var queued = client.PublishAsync(new MqttMessage("durable/x", "kept", MqttQualityOfService.AtLeastOnce));
                await broker.RestartAsync();
                await queued.WaitAsync(TimeSpan.FromSeconds(10));
                Assert.True(client.LastConnectResult.SessionPresent, broker.Log + string.Join("|", System.IO.Directory.GetFiles(dir)));
                Assert.Equal("kept", (await client.ReceiveAsync()).PayloadText);
            }
            try { System.IO.Directory.Delete(dir, true); } catch (Exception) { }
        }

        [Fact]
        public async Task Offline_queue_is_bounded_and_fails_clearly_when_full()
        {
            using (var broker = await Mosquitto.StartAsync())
            using (var client = await TestClients.ConnectAsync(broker.Port, configure: o =>
            {
                o.AutoReconnect = true;
                o.OfflineQueueCapacity = 2;
                o.ReconnectMinDelay = TimeSpan.FromSeconds(30);
                o.ReconnectMaxDelay = TimeSpan.FromSeconds(30);
            }))
            {
                broker.Kill();
                await Eventually.WaitUntilAsync(() => !client.IsConnected, TimeSpan.FromSeconds(5), "the client to notice the broker is gone");
                var a = client.PublishAsync(new MqttMessage("t", "1"));
                var b = client.PublishAsync(new MqttMessage("t", "2"));
                var e = await Assert.ThrowsAsync<InvalidOperationException>(() => client.PublishAsync(new MqttMessage("t", "3")));
                Assert.Contains("offline queue is full (2 messages)", e.Message);
                await client.DisconnectAsync();
                await Assert.ThrowsAsync<MqttConnectionLostException>(() => a);
                await Assert.ThrowsAsync<MqttConnectionLostException>(() => b);
            }
        }

        [Fact]
        public async Task Keep_alive_detects_a_dead_connection()
        {
            using (var broker = await Mosquitto.StartAsync())
            using (var proxy = new TcpProxy(broker.Port))
            using (var client = await TestClients.ConnectAsync(proxy.Port, configure: o => o.KeepAliveSeconds = 1))
            {
                var lost = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
                client.ConnectionStateChanged += (_, e) => { if (e.State == MqttConnectionState.Disconnected) lost.TrySetResult(e.Exception); };
                // Hold the broker's answers back: PINGRESP never arrives, the socket stays open.
                proxy.HoldServerToClient = true;
                var exception = await lost.Task.WaitAsync(TimeSpan.FromSeconds(10));
                Assert.IsType<TimeoutException>(exception);
                Assert.Contains("PINGRESP", exception.Message);
                Assert.False(client.IsConnected);
            }
        }
    }
}
