using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using MqttPS.Core.Messages;
using MqttPS.Core.Shell;
using MqttPS.Module.Tests.Fakes;
using Xunit;

namespace MqttPS.Module.Tests.Shell
{
    public class StreamingTests
    {
        private static (MqttShellSession, ScriptedShellClient, MqttConnection, RecordingHost) Connected()
        {
            var factory = new ScriptedClientFactory();
            var session = new MqttShellSession(factory);
            var host = new RecordingHost();
            var connection = session.Connect(new MqttConnectionSettings(), host);
            return (session, factory.Created[0], connection, host);
        }

        [Fact]
        public void Stream_emits_messages_from_network_threads_on_the_pipeline_thread_until_count()
        {
            var (session, client, connection, host) = Connected();
            var sub = session.Subscribe(connection, new SubscriptionRequest { TopicFilters = new[] { "s/#" } }, SubscriptionMode.Stream, PayloadFormat.Auto, null, host, null);
            var pipelineThread = Environment.CurrentManagedThreadId;
            var emittedOn = new List<int>();
            var topics = new List<string>();
            var producer = Background.Run(() =>
            {
                for (var i = 0; i < 5; i++) { Thread.Sleep(10); client.Deliver(new MqttMessage("s/" + i, "v")); }
            });
            var reason = MessageStreamReader.Read(sub, host, null, 3, TimeSpan.FromSeconds(10), m => { emittedOn.Add(Environment.CurrentManagedThreadId); topics.Add(m.Topic); });
            Assert.Equal(StreamEndReason.CountReached, reason);
            Assert.Equal(new[] { "s/0", "s/1", "s/2" }, topics);
            Assert.All(emittedOn, t => Assert.Equal(pipelineThread, t));
            producer.Wait(5000);
        }

        [Fact]
        public void Stream_ends_at_the_timeout()
        {
            var (session, _, connection, host) = Connected();
            var sub = session.Subscribe(connection, new SubscriptionRequest { TopicFilters = new[] { "quiet" } }, SubscriptionMode.Stream, PayloadFormat.Auto, null, host, null);
            var watch = Stopwatch.StartNew();
            var reason = MessageStreamReader.Read(sub, host, null, null, TimeSpan.FromMilliseconds(300), _ => { });
            Assert.Equal(StreamEndReason.TimedOut, reason);
            Assert.InRange(watch.ElapsedMilliseconds, 250, 3000);
        }

        [Fact]
        public void Ctrl_C_ends_an_unbounded_stream_within_a_second()
        {
            var (session, _, connection, host) = Connected();
            var sub = session.Subscribe(connection, new SubscriptionRequest { TopicFilters = new[] { "quiet" } }, SubscriptionMode.Stream, PayloadFormat.Auto, null, host, null);
            host.StopAfter(200);
            var watch = Stopwatch.StartNew();
            Assert.Equal(StreamEndReason.Stopped, MessageStreamReader.Read(sub, host, null, null, null, _ => { }));
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1.2), "took " + watch.Elapsed);
        }

        [Fact]
        public void Stream_ends_when_the_connection_closes()
        {
            var (session, _, connection, host) = Connected();
            var sub = session.Subscribe(connection, new SubscriptionRequest { TopicFilters = new[] { "quiet" } }, SubscriptionMode.Stream, PayloadFormat.Auto, null, host, null);
            _ = Background.Run(() => { Thread.Sleep(100); connection.Dispose(); });
            Assert.Equal(StreamEndReason.ConnectionClosed, MessageStreamReader.Read(sub, host, null, null, TimeSpan.FromSeconds(10), _ => { }));
            Assert.Equal("Closed", sub.State);
        }

        [Fact]
        public void Stream_ends_when_the_connection_is_lost_without_reconnect()
        {
            var (session, client, connection, host) = Connected();
            var sub = session.Subscribe(connection, new SubscriptionRequest { TopicFilters = new[] { "quiet" } }, SubscriptionMode.Stream, PayloadFormat.Auto, null, host, null);
            _ = Background.Run(() => { Thread.Sleep(100); client.Lose("broker went away"); });
            Assert.Equal(StreamEndReason.ConnectionClosed, MessageStreamReader.Read(sub, host, null, null, TimeSpan.FromSeconds(10), _ => { }));
            Assert.Equal("Lost", connection.State);
            Assert.Equal("broker went away", connection.LostReason);
            Assert.Empty(connection.Subscriptions);
        }

        private sealed class DownstreamStopped : Exception { }

        [Fact]
        public void A_downstream_stop_propagates_and_the_caller_unsubscribes_cleanly()
        {
            var (session, client, connection, host) = Connected();
            var sub = session.Subscribe(connection, new SubscriptionRequest { TopicFilters = new[] { "s/#" } }, SubscriptionMode.Stream, PayloadFormat.Auto, null, host, null);
            client.Deliver(new MqttMessage("s/1", "x"));
            try
            {
                // Select-Object -First 1 makes the next WriteObject throw PipelineStoppedException; this stands in for it.
                Assert.Throws<DownstreamStopped>(() => MessageStreamReader.Read(sub, host, null, null, null, _ => throw new DownstreamStopped()));
            }
            finally
            {
                session.Unsubscribe(sub, host, null);
            }
            Assert.Equal(new[] { "s/#" }, client.Unsubscribed);
            Assert.Empty(session.Subscriptions.All);
        }

        [Fact]
        public void Retained_collection_keeps_only_retained_messages_latest_per_topic_and_unsubscribes()
        {
            var (_, client, connection, host) = Connected();
            var feeder = Background.Run(() =>
            {
                Thread.Sleep(50);
                client.Deliver(new MqttMessage("cfg/a", "1", retain: true));
                client.Deliver(new MqttMessage("cfg/live", "not retained"));
                Thread.Sleep(100);
                client.Deliver(new MqttMessage("cfg/b", "2", retain: true));
                client.Deliver(new MqttMessage("cfg/a", "3", retain: true));
            });
            var watch = Stopwatch.StartNew();
            var messages = RetainedMessageCollector.Collect(connection, new SubscriptionRequest { TopicFilters = new[] { "cfg/#" } }, host, null,
                TimeSpan.FromMilliseconds(400), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(5));
            feeder.Wait(5000);
            Assert.Equal(new[] { "cfg/a=3", "cfg/b=2" }, messages.Select(m => m.Topic + "=" + m.PayloadText));
            Assert.InRange(watch.ElapsedMilliseconds, 500, 5000); // waited for quiet after the last one
            Assert.Equal(new[] { "cfg/#" }, client.Unsubscribed);
        }

        [Fact]
        public void Retained_collection_is_bounded_by_its_maximum_wait_on_a_chatty_topic()
        {
            var (_, client, connection, host) = Connected();
            var stop = false;
            var feeder = Background.Run(() => { var i = 0; while (!stop) { client.Deliver(new MqttMessage("c/" + (i++ % 5), "x", retain: true)); Thread.Sleep(20); } });
            var watch = Stopwatch.StartNew();
            var messages = RetainedMessageCollector.Collect(connection, new SubscriptionRequest { TopicFilters = new[] { "c/#" } }, host, null,
                TimeSpan.FromMilliseconds(300), TimeSpan.FromMilliseconds(800), TimeSpan.FromSeconds(5));
            stop = true;
            feeder.Wait(5000);
            Assert.InRange(watch.ElapsedMilliseconds, 700, 4000);
            Assert.Equal(5, messages.Count);
        }
    }
}
