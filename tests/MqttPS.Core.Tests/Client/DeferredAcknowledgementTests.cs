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
using Xunit;

namespace MqttPS.Core.Tests.Client
{
    /// <summary>A MessageReceived handler that takes messages into a consumer of its own can defer their acceptance:
    /// QoS 1/2 acknowledgements wait (in arrival order) and the broker holds further messages back; nothing is lost.</summary>
    public class DeferredAcknowledgementTests
    {
        [Fact]
        public void Acknowledgements_go_out_in_arrival_order_whatever_order_messages_are_accepted_in()
        {
            var sent = new List<ushort>();
            var sequencer = new AcknowledgementSequencer(p => sent.Add(p.PacketId));
            var gates = Enumerable.Range(0, 4).Select(_ => new TaskCompletionSource<bool>()).ToArray();
            sequencer.Enqueue(new PublishPacket { PacketId = 1, QoS = MqttQualityOfService.AtLeastOnce }, null);
            sequencer.Enqueue(new PublishPacket { PacketId = 2, QoS = MqttQualityOfService.AtLeastOnce }, gates[0].Task);
            sequencer.Enqueue(new PublishPacket { PacketId = 3, QoS = MqttQualityOfService.ExactlyOnce }, null);
            sequencer.Enqueue(new PublishPacket { PacketId = 4, QoS = MqttQualityOfService.AtLeastOnce }, gates[1].Task);
            Assert.Equal(new ushort[] { 1 }, sent);
            Assert.Equal(3, sequencer.Count);
            var room = sequencer.WhenFewerThan(2);
            Assert.False(room.IsCompleted);
            gates[1].SetResult(true); // a later message accepted first: its acknowledgement still waits
            Assert.Equal(new ushort[] { 1 }, sent);
            gates[0].SetException(new InvalidOperationException()); // the consumer finished with it either way
            Assert.True(room.Wait(2000));
            Eventually.WaitUntilAsync(() => sequencer.Count == 0, TimeSpan.FromSeconds(2), "all acknowledged").Wait();
            Assert.Equal(new ushort[] { 1, 2, 3, 4 }, sent);
        }

        [Theory]
        [InlineData(MqttProtocolVersion.V500, MqttQualityOfService.AtLeastOnce)]
        [InlineData(MqttProtocolVersion.V500, MqttQualityOfService.ExactlyOnce)]
        [InlineData(MqttProtocolVersion.V311, MqttQualityOfService.AtLeastOnce)]
        public async Task Held_acknowledgements_keep_what_the_client_holds_bounded_and_none_is_lost(MqttProtocolVersion version, MqttQualityOfService qos)
        {
            // mosquitto 2.0.11 goes on sending past its window once the first messages were acknowledged, so the
            // client itself stops reading beyond twice its Receive Maximum.
            using (var broker = await Mosquitto.StartAsync(new[] { "max_queued_messages 10000", "max_inflight_messages 10" }))
            using (var producer = await TestClients.ConnectAsync(broker.Port))
            {
                var gate = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                var received = new ConcurrentQueue<string>();
                using (var consumer = await TestClients.ConnectAsync(broker.Port, version, configure: o => o.ReceiveMaximum = 10))
                {
                    consumer.MessageReceived += (_, e) =>
                    {
                        received.Enqueue(e.Message.PayloadText);
                        // The first five are accepted at once; the rest wait for the gate, like a full pipeline queue.
                        if (received.Count > 5) e.Defer(gate.Task);
                        else e.Handled = true;
                    };
                    await consumer.SubscribeAsync("defer/t", qos);
                    const int count = 200;
                    await Task.WhenAll(Enumerable.Range(0, count).Select(i => producer.PublishAsync(new MqttMessage("defer/t", i.ToString(), qos))));
                    await Task.Delay(500);
                    Assert.InRange(received.Count, 6, 5 + 2 * 10 + 1);
                    gate.SetResult(true);
                    await Eventually.WaitUntilAsync(() => received.Count >= count, TimeSpan.FromSeconds(15), count + " messages");
                    await Task.Delay(200);
                    Assert.Equal(Enumerable.Range(0, count).Select(i => i.ToString()), received);
                }
            }
        }

        [Fact]
        public async Task A_broker_that_keeps_the_window_holds_messages_back_while_the_client_goes_on_reading()
        {
            using (var broker = await MqttPS.Core.Tests.Broker.BrokerTestHost.StartAsync(o => o.MaxQueuedMessagesPerSession = 10000))
            using (var producer = await TestClients.ConnectAsync(broker.Port))
            using (var consumer = await TestClients.ConnectAsync(broker.Port, configure: o => o.ReceiveMaximum = 10))
            {
                var gate = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                var received = new ConcurrentQueue<string>();
                consumer.MessageReceived += (_, e) =>
                {
                    received.Enqueue(e.Message.PayloadText);
                    e.Defer(gate.Task);
                };
                await consumer.SubscribeAsync("window/t", MqttQualityOfService.AtLeastOnce);
                const int count = 100;
                await Task.WhenAll(Enumerable.Range(0, count).Select(i => producer.PublishAsync(new MqttMessage("window/t", i.ToString(), MqttQualityOfService.AtLeastOnce))));
                await Eventually.WaitUntilAsync(() => received.Count >= 10, TimeSpan.FromSeconds(5), "a window of messages");
                await Task.Delay(300);
                Assert.Equal(10, received.Count); // the Receive Maximum: the broker keeps the other 90
                // Reading goes on: the acknowledgement of a publish of our own arrives.
                await consumer.PublishAsync(new MqttMessage("other/t", "ping", MqttQualityOfService.AtLeastOnce)).WaitAsync(TimeSpan.FromSeconds(5));
                gate.SetResult(true);
                await Eventually.WaitUntilAsync(() => received.Count >= count, TimeSpan.FromSeconds(15), count + " messages");
                Assert.Equal(Enumerable.Range(0, count).Select(i => i.ToString()), received);
            }
        }

        [Fact]
        public async Task QoS_0_deferral_stops_reading_until_accepted()
        {
            using (var broker = await Mosquitto.StartAsync())
            using (var producer = await TestClients.ConnectAsync(broker.Port))
            using (var consumer = await TestClients.ConnectAsync(broker.Port))
            {
                var gate = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                var received = new ConcurrentQueue<string>();
                consumer.MessageReceived += (_, e) =>
                {
                    received.Enqueue(e.Message.PayloadText);
                    if (received.Count == 1) e.Defer(gate.Task);
                    else e.Handled = true;
                };
                await consumer.SubscribeAsync("q0/t");
                for (var i = 0; i < 3; i++) await producer.PublishAsync(new MqttMessage("q0/t", i.ToString()));
                // The first message however slow the machine, then a moment in which the others would arrive if
                // reading went on.
                await Eventually.WaitUntilAsync(() => received.Count >= 1, TimeSpan.FromSeconds(10), "the first message");
                await Task.Delay(300);
                Assert.Equal(new[] { "0" }, received);
                gate.SetResult(true);
                await Eventually.WaitUntilAsync(() => received.Count == 3, TimeSpan.FromSeconds(5), "three messages");
                Assert.Equal(new[] { "0", "1", "2" }, received);
            }
        }

        [Theory]
        [InlineData(MqttProtocolVersion.V500)]
        [InlineData(MqttProtocolVersion.V311)]
        public async Task A_connection_whose_session_is_taken_over_does_not_reconnect_once_told_so(MqttProtocolVersion version)
        {
            using (var broker = await Mosquitto.StartAsync())
            {
                var states = new ConcurrentQueue<MqttConnectionStateChangedEventArgs>();
                using (var first = await TestClients.ConnectAsync(broker.Port, version, "same-id", o => { o.AutoReconnect = true; o.ReconnectMinDelay = TimeSpan.FromMilliseconds(500); }))
                {
                    first.ConnectionStateChanged += (_, e) => states.Enqueue(e);
                    using (var second = await TestClients.ConnectAsync(broker.Port, version, "same-id"))
                    {
                        first.StopReconnecting("taken over by the second connection");
                        await Eventually.WaitUntilAsync(() => states.Any(s => s.State == MqttConnectionState.Disconnected && !s.WillReconnect), TimeSpan.FromSeconds(5), "the first connection to end");
                        await Task.Delay(1500);
                        Assert.DoesNotContain(states, s => s.State == MqttConnectionState.Reconnected);
                        Assert.True(second.IsConnected);
                        Assert.False(first.IsConnected);
                        Assert.Equal(MqttConnectionState.Disconnected, first.State);
                    }
                }
            }
        }

        [Fact]
        public async Task A_5_0_session_taken_over_by_another_client_is_not_taken_back()
        {
            // mosquitto 2.0.11 closes the old connection without a DISCONNECT; the embedded broker says why (0x8E).
            using (var broker = await MqttPS.Core.Tests.Broker.BrokerTestHost.StartAsync())
            {
                var states = new ConcurrentQueue<MqttConnectionStateChangedEventArgs>();
                using (var first = await TestClients.ConnectAsync(broker.Port, MqttProtocolVersion.V500, "taken", o => { o.AutoReconnect = true; o.ReconnectMinDelay = TimeSpan.FromMilliseconds(200); }))
                {
                    first.ConnectionStateChanged += (_, e) => states.Enqueue(e);
                    using (var second = await TestClients.ConnectAsync(broker.Port, MqttProtocolVersion.V500, "taken"))
                    {
                        await Eventually.WaitUntilAsync(() => states.Any(s => s.State == MqttConnectionState.Disconnected), TimeSpan.FromSeconds(5), "the first connection to end");
                        var end = states.First(s => s.State == MqttConnectionState.Disconnected);
                        Assert.Equal(DisconnectReasonCode.SessionTakenOver, end.ReasonCode);
                        Assert.False(end.WillReconnect);
                        await Task.Delay(1000);
                        Assert.True(second.IsConnected);
                        Assert.DoesNotContain(states, s => s.State == MqttConnectionState.Reconnecting);
                    }
                }
            }
        }
    }
}
