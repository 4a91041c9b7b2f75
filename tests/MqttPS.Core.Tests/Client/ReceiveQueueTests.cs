using System;
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
    /// <summary>The bounded receive queue: its own semantics, and each overflow policy with a slow consumer.</summary>
    public class ReceiveQueueTests
    {
        private static MqttMessage M(int i) => new MqttMessage("t", i.ToString());

        [Fact]
        public async Task Queue_is_fifo_bounded_and_wakes_waiting_consumers_and_producers()
        {
            var queue = new AsyncBoundedQueue<MqttMessage>(2);
            var waiting = queue.DequeueAsync(CancellationToken.None);
            Assert.False(waiting.IsCompleted);
            Assert.True(queue.TryEnqueue(M(0)));
            Assert.Equal("0", (await waiting).PayloadText);

            Assert.True(queue.TryEnqueue(M(1)));
            Assert.True(queue.TryEnqueue(M(2)));
            Assert.False(queue.TryEnqueue(M(3)));
            var blocked = queue.EnqueueAsync(M(3), CancellationToken.None);
            Assert.False(blocked.IsCompleted);
            Assert.True(queue.TryDequeue(out var first));
            Assert.Equal("1", first.PayloadText);
            Assert.True(await blocked.WaitAsync(TimeSpan.FromSeconds(5)));
            Assert.Equal(new[] { "2", "3" }, new[] { (await queue.DequeueAsync(CancellationToken.None)).PayloadText, (await queue.DequeueAsync(CancellationToken.None)).PayloadText });

            Assert.True(queue.TryEnqueue(M(4)));
            Assert.True(queue.TryEnqueue(M(5)));
            Assert.Equal("4", queue.EnqueueDropOldest(M(6)).PayloadText);

            using (var cts = new CancellationTokenSource())
            {
                var cancelled = queue.EnqueueAsync(M(7), cts.Token);
                cts.Cancel();
                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
            }
            queue.Complete();
            Assert.Equal("5", (await queue.DequeueAsync(CancellationToken.None)).PayloadText);
            Assert.Equal("6", (await queue.DequeueAsync(CancellationToken.None)).PayloadText);
            Assert.Null(await queue.DequeueAsync(CancellationToken.None));
            Assert.False(queue.TryEnqueue(M(8)));
        }

        [Fact]
        public async Task Dequeue_is_cancellable()
        {
            var queue = new AsyncBoundedQueue<MqttMessage>(1);
            using (var cts = new CancellationTokenSource(50))
                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queue.DequeueAsync(cts.Token));
            Assert.True(queue.TryEnqueue(M(1)));
            Assert.Equal("1", (await queue.DequeueAsync(CancellationToken.None)).PayloadText);
        }

        [Fact]
        public async Task Backpressure_loses_nothing_with_a_slow_consumer_and_keeps_memory_bounded()
        {
            using (var broker = await Mosquitto.StartAsync(new[] { "max_queued_messages 10000" }))
            using (var consumer = await TestClients.ConnectAsync(broker.Port, configure: o => o.ReceiveQueueCapacity = 10))
            using (var producer = await TestClients.ConnectAsync(broker.Port))
            {
                await consumer.SubscribeAsync("bp/t", MqttQualityOfService.AtLeastOnce);
                const int count = 500;
                await Task.WhenAll(Enumerable.Range(0, count).Select(i => producer.PublishAsync(new MqttMessage("bp/t", i.ToString(), MqttQualityOfService.AtLeastOnce))));
                await Task.Delay(200);
                Assert.True(consumer.QueuedMessages <= 10);
                var received = await consumer.ReceiveManyAsync(count, 20);
                Assert.Equal(Enumerable.Range(0, count).Select(i => i.ToString()), received.Select(m => m.PayloadText));
                Assert.Equal(0, consumer.DroppedMessages);
            }
        }

        [Fact]
        public async Task Long_backpressure_keeps_pinging_and_the_connection_stays_usable()
        {
            using (var broker = await Mosquitto.StartAsync())
            using (var consumer = await TestClients.ConnectAsync(broker.Port, configure: o => { o.ReceiveQueueCapacity = 1; o.KeepAliveSeconds = 1; }))
            using (var producer = await TestClients.ConnectAsync(broker.Port))
            {
                var states = new System.Collections.Concurrent.ConcurrentQueue<MqttConnectionState>();
                consumer.ConnectionStateChanged += (_, e) => states.Enqueue(e.State);
                await consumer.SubscribeAsync("slow/t", MqttQualityOfService.AtLeastOnce);
                for (var i = 0; i < 5; i++) await producer.PublishAsync(new MqttMessage("slow/t", i.ToString(), MqttQualityOfService.AtLeastOnce));
                var trace = new System.Collections.Concurrent.ConcurrentQueue<string>();
                consumer.Trace = trace.Enqueue;
                // Three keep-alive periods and more without reading. A broker may close a client silent for 1.5
                // periods [MQTT-3.1.2-22] (mosquitto 2.0.11 turned out lenient here), so the client keeps pinging while
                // paused. Waited for by count, not for exactly three seconds: on a loaded machine the third ping can
                // come a little after the third second.
                await Eventually.WaitUntilAsync(() => trace.Count(l => l.StartsWith("-> PINGREQ", StringComparison.Ordinal)) >= 3,
                    TimeSpan.FromSeconds(10), "three PINGREQs while the queue is full");
                Assert.True(consumer.IsConnected);
                var received = await consumer.ReceiveManyAsync(5);
                Assert.Equal(new[] { "0", "1", "2", "3", "4" }, received.Select(m => m.PayloadText));
                // The same connection still works afterwards (a closed one would only show once we read again).
                await producer.PublishAsync(new MqttMessage("slow/t", "after", MqttQualityOfService.AtLeastOnce));
                Assert.Equal("after", (await consumer.ReceiveAsync()).PayloadText);
                Assert.Empty(states);
                Assert.True(consumer.IsConnected);
                Assert.DoesNotContain("exceeded timeout", broker.Log);
            }
        }

        [Theory]
        [InlineData(ReceiveOverflowPolicy.DropOldest)]
        [InlineData(ReceiveOverflowPolicy.DropNewest)]
        public async Task Drop_policies_keep_the_queue_bounded_and_count_what_they_drop(ReceiveOverflowPolicy policy)
        {
            using (var broker = await Mosquitto.StartAsync())
            using (var consumer = await TestClients.ConnectAsync(broker.Port, configure: o => { o.ReceiveQueueCapacity = 10; o.ReceiveOverflowPolicy = policy; }))
            using (var producer = await TestClients.ConnectAsync(broker.Port))
            {
                await consumer.SubscribeAsync("drop/t", MqttQualityOfService.AtLeastOnce);
                for (var i = 0; i < 50; i++) await producer.PublishAsync(new MqttMessage("drop/t", i.ToString(), MqttQualityOfService.AtLeastOnce));
                await Eventually.WaitUntilAsync(() => consumer.DroppedMessages == 40, TimeSpan.FromSeconds(10), "40 dropped messages");
                var kept = await consumer.ReceiveManyAsync(10);
                var expected = policy == ReceiveOverflowPolicy.DropOldest ? Enumerable.Range(40, 10) : Enumerable.Range(0, 10);
                Assert.Equal(expected.Select(i => i.ToString()), kept.Select(m => m.PayloadText));
            }
        }

        [Fact]
        public async Task Handled_messages_skip_the_queue()
        {
            using (var broker = await Mosquitto.StartAsync())
            using (var client = await TestClients.ConnectAsync(broker.Port))
            {
                var seen = 0;
                client.MessageReceived += (_, e) => { Interlocked.Increment(ref seen); e.Handled = e.Message.PayloadText == "handled"; };
                await client.SubscribeAsync("h/t", MqttQualityOfService.AtLeastOnce);
                await client.PublishAsync(new MqttMessage("h/t", "handled", MqttQualityOfService.AtLeastOnce));
                await client.PublishAsync(new MqttMessage("h/t", "queued", MqttQualityOfService.AtLeastOnce));
                Assert.Equal("queued", (await client.ReceiveAsync()).PayloadText);
                Assert.Equal(2, seen);
                Assert.False(client.TryReceive(out _));
            }
        }
    }
}
