using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using MqttPS.Core.Client;
using MqttPS.Core.Messages;
using MqttPS.Core.Protocol;
using MqttPS.Core.Shell;
using MqttPS.Module.Tests.Fakes;
using Xunit;

namespace MqttPS.Module.Tests.Shell
{
    /// <summary>Between the connection and the pipeline nothing acknowledged is lost: a full queue holds back
    /// QoS 1/2 acknowledgements; QoS 0 follows an explicit policy and its drops are reported in a few lines.</summary>
    public class BackpressureTests
    {
        private static (MqttShellSession, ScriptedShellClient, MqttConnection, RecordingHost) Connected(MqttProtocolVersion version = MqttProtocolVersion.V500)
        {
            var factory = new ScriptedClientFactory();
            var session = new MqttShellSession(factory);
            var host = new RecordingHost();
            var connection = session.Connect(new MqttConnectionSettings { ProtocolVersion = version }, host);
            return (session, factory.Created[0], connection, host);
        }

        private static MqttSubscription Stream(MqttShellSession session, MqttConnection connection, RecordingHost host, string filter, int queueSize,
            ReceiveOverflowPolicy policy = ReceiveOverflowPolicy.DropOldest, MqttQualityOfService qos = MqttQualityOfService.AtLeastOnce) =>
            session.Subscribe(connection, new SubscriptionRequest { TopicFilters = new[] { filter }, QoS = qos, QueueSize = queueSize, OverflowPolicy = policy },
                SubscriptionMode.Stream, PayloadFormat.Auto, null, host, null);

        [Fact]
        public void A_slow_pipeline_at_QoS_1_gets_every_message_in_order_and_acknowledgements_wait_for_room()
        {
            var (session, client, connection, host) = Connected();
            var sub = Stream(session, connection, host, "flood", 10);
            var accepted = new List<Task>();
            for (var i = 0; i < 50; i++) accepted.Add(client.Deliver(new MqttMessage("flood", "m" + i, MqttQualityOfService.AtLeastOnce)));
            // Ten fit; the other forty are kept but not acknowledged (the broker would hold further ones back).
            Assert.Equal(10, accepted.Count(t => t.IsCompleted));
            Assert.Equal(40, sub.MessagesHeldBack);
            var got = new List<string>();
            Assert.Equal(StreamEndReason.CountReached, MessageStreamReader.Read(sub, host, null, 50, TimeSpan.FromSeconds(10), m => got.Add(m.PayloadText)));
            Assert.Equal(Enumerable.Range(0, 50).Select(i => "m" + i), got);
            Assert.True(Task.WaitAll(accepted.ToArray(), 5000));
            Assert.Equal(0, sub.MessagesDropped);
            Assert.Empty(host.Warnings);
        }

        [Fact]
        public void QoS_0_overflow_is_dropped_per_policy_and_reported_in_a_few_coalesced_warnings()
        {
            var (session, client, connection, host) = Connected();
            var sub = Stream(session, connection, host, "telemetry", 10, ReceiveOverflowPolicy.DropOldest, MqttQualityOfService.AtMostOnce);
            var feeder = Background.Run(() =>
            {
                for (var i = 0; i < 2000; i++)
                {
                    Assert.True(client.Deliver(new MqttMessage("telemetry", "t" + i)).IsCompleted); // QoS 0 never holds the connection up
                    if (i % 100 == 0) Thread.Sleep(5);
                }
            });
            var got = new List<string>();
            MessageStreamReader.Read(sub, host, null, null, TimeSpan.FromSeconds(1.5), m => { got.Add(m.PayloadText); Thread.Sleep(2); });
            feeder.Wait(5000);
            Assert.True(sub.MessagesDropped > 1000, "dropped " + sub.MessagesDropped);
            Assert.Equal(2000, got.Count + sub.MessagesDropped + sub.QueuedMessages);
            Assert.InRange(host.Warnings.Count, 1, 3);
            Assert.Contains(host.Warnings, w => w.Contains(sub.MessagesDropped.ToString("N0", System.Globalization.CultureInfo.InvariantCulture) + " QoS 0 messages in all") && w.Contains("-OverflowPolicy DropOldest"));
            // DropOldest: the newest messages survive, so the stream ends with the last one sent.
            while (sub.Queue.TryTake(TimeSpan.Zero, out var rest)) got.Add(rest.PayloadText);
            Assert.Equal("t1999", got.Last());
        }

        [Fact]
        public void QoS_0_with_Backpressure_holds_the_connection_instead_of_dropping()
        {
            var (session, client, connection, host) = Connected();
            var sub = Stream(session, connection, host, "t", 5, ReceiveOverflowPolicy.Backpressure, MqttQualityOfService.AtMostOnce);
            var accepted = Enumerable.Range(0, 8).Select(i => client.Deliver(new MqttMessage("t", "m" + i))).ToList();
            Assert.Equal(3, accepted.Count(t => !t.IsCompleted));
            var got = new List<string>();
            MessageStreamReader.Read(sub, host, null, 8, TimeSpan.FromSeconds(5), m => got.Add(m.PayloadText));
            Assert.Equal(8, got.Count);
            Assert.Equal(0, sub.MessagesDropped);
        }

        [Fact]
        public void One_full_subscription_holds_back_only_the_messages_it_has_to_take()
        {
            var (session, client, connection, host) = Connected();
            var slow = Stream(session, connection, host, "a/#", 1);
            var fast = Stream(session, connection, host, "b/#", 100);
            Assert.True(client.Deliver(new MqttMessage("a/1", "x", MqttQualityOfService.AtLeastOnce)).IsCompleted);
            Assert.False(client.Deliver(new MqttMessage("a/2", "x", MqttQualityOfService.AtLeastOnce)).IsCompleted);
            Assert.True(client.Deliver(new MqttMessage("b/1", "x", MqttQualityOfService.AtLeastOnce)).IsCompleted);
            Assert.Equal(1, fast.QueuedMessages);
            Assert.Equal(2, slow.QueuedMessages);
        }

        [Fact]
        public void A_background_subscription_raises_at_most_a_window_of_events_and_holds_the_rest_back()
        {
            var (session, client, connection, host) = Connected();
            var target = new RecordingEventTarget { HoldCheckpoints = true };
            var sub = session.Subscribe(connection, new SubscriptionRequest { TopicFilters = new[] { "ev/#" }, QoS = MqttQualityOfService.AtLeastOnce, QueueSize = 10 },
                SubscriptionMode.Event, PayloadFormat.Auto, null, host, null, s => s.AttachEvents(target, 8));
            var accepted = Enumerable.Range(0, 40).Select(i => client.Deliver(new MqttMessage("ev/" + i, "x", MqttQualityOfService.AtLeastOnce))).ToList();
            WaitFor(() => target.Raised.Count == 8);
            Thread.Sleep(100);
            Assert.Equal(8, target.Raised.Count); // the action has not caught up: no more events
            Assert.Equal(32, sub.QueuedMessages); // 10 within the queue, 22 kept beyond it...
            Assert.Equal(18, accepted.Count(t => t.IsCompleted)); // ...unacknowledged: 8 raised + 10 queued are accepted
            while (target.Raised.Count < 40)
            {
                target.ReleaseCheckpoints();
                Thread.Sleep(5);
            }
            Assert.Equal(Enumerable.Range(0, 40).Select(i => "ev/" + i), target.Raised.Select(m => m.Topic));
            Assert.True(Task.WaitAll(accepted.ToArray(), 5000));
            Assert.Equal(0, sub.MessagesDropped);
        }

        [Fact]
        public void Background_QoS_0_drops_are_one_notice_per_subscription_for_the_next_command()
        {
            var (session, client, connection, host) = Connected();
            var target = new RecordingEventTarget { HoldCheckpoints = true };
            var sub = session.Subscribe(connection, new SubscriptionRequest { TopicFilters = new[] { "ev/#" }, QueueSize = 5 },
                SubscriptionMode.Event, PayloadFormat.Auto, "evs", host, null, s => s.AttachEvents(target, 5));
            for (var i = 0; i < 100; i++) client.Deliver(new MqttMessage("ev/" + i, "x"));
            WaitFor(() => target.Raised.Count == 5);
            var notices = session.TakeNotices();
            Assert.Single(notices);
            Assert.Contains("#" + sub.Id, notices[0]);
            Assert.Contains(sub.MessagesDropped + " QoS 0 messages", notices[0]);
            Assert.Empty(session.TakeNotices()); // reported once
        }

        [Fact]
        public void The_connection_closing_under_a_background_subscription_is_its_state_and_a_notice()
        {
            var (session, client, connection, host) = Connected();
            var sub = session.Subscribe(connection, new SubscriptionRequest { TopicFilters = new[] { "ev/#" } },
                SubscriptionMode.Event, PayloadFormat.Auto, "watch", host, null, s => s.AttachEvents(new RecordingEventTarget(), 5));
            client.Lose("the broker went away");
            Assert.Equal("Lost", sub.State);
            Assert.Contains("the broker went away", sub.EndReason);
            var notice = Assert.Single(session.TakeNotices());
            Assert.Contains("watch", notice);
            Assert.Contains("the broker went away", notice);
        }

        internal static void WaitFor(Func<bool> condition, int milliseconds = 5000)
        {
            var deadline = DateTime.UtcNow.AddMilliseconds(milliseconds);
            while (!condition())
            {
                if (DateTime.UtcNow > deadline) throw new TimeoutException("The condition did not become true within " + milliseconds + " ms.");
                Thread.Sleep(10);
            }
        }
    }
}
