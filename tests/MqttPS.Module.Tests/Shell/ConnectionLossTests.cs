using System;
using System.Collections.Concurrent;
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
    /// <summary>Publishing when the connection goes away: one stop error for a lost connection, the offline queue
    /// while reconnecting, a session taken over, and retained messages that are never cleared by accident.</summary>
    public class ConnectionLossTests
    {
        private static MqttMessage Msg(int i, MqttQualityOfService qos = MqttQualityOfService.AtLeastOnce) => new MqttMessage("t/" + i, "m" + i, qos);

        /// <summary>A connection whose state the test sets, publishing through a scripted client.</summary>
        private sealed class Target : IPublishTarget
        {
            public readonly ScriptedShellClient Client = new ScriptedShellClient();
            public string Name => "plant";
            public Task<MqttPublishOutcome> PublishAsync(MqttMessage message, CancellationToken cancellationToken) => Client.PublishAsync(message, cancellationToken);
            public bool IsReconnecting { get; set; }
            public int QueuedMessages { get; set; }
            public int OfflineQueueSize { get; set; } = 1000;
            public string LostReason { get; set; }
            public int ReconnectCount { get; set; }
        }

        [Fact]
        public void A_lost_connection_is_one_stop_error_that_counts_confirmed_unconfirmed_and_unsent_messages()
        {
            var target = new Target();
            var window = new PublishWindow(target, 10, TimeSpan.FromSeconds(10));
            var host = new RecordingHost();
            var done = new List<PublishCompletion>();
            for (var i = 0; i < 6; i++) window.Submit(Msg(i), i, host, null, done);
            window.Submit(Msg(6, MqttQualityOfService.AtMostOnce), 6, host, null, done);
            target.Client.Publish(0).Completion.SetResult(new MqttPublishOutcome(0));
            target.Client.Publish(1).Completion.SetResult(new MqttPublishOutcome(0));
            target.Client.Publish(6).Completion.SetResult(new MqttPublishOutcome(0));
            target.LostReason = "the broker closed the connection";
            var lost = new MqttConnectionLostException("lost");
            target.Client.Publish(2).Completion.SetException(ForPublish(lost, true));
            target.Client.Publish(3).Completion.SetException(ForPublish(lost, true));
            target.Client.Publish(4).Completion.SetException(ForPublish(lost, false));
            target.Client.Publish(5).Completion.SetException(ForPublish(lost, false));
            window.Flush(host, null, done);
            Assert.Equal(new object[] { 0, 1, 6 }, done.Select(d => d.Source).OrderBy(s => (int)s).ToArray()); // no error per lost message
            Assert.All(done, d => Assert.True(d.Succeeded));
            var e = window.StopError;
            Assert.Equal("ConnectionLost", e.ErrorId);
            Assert.Equal(ShellErrorCategory.ConnectionError, e.Category);
            Assert.Equal("The connection 'plant' was lost (the broker closed the connection). Publish-MqttMessage stopped: of its messages, 2 confirmed by the broker, " +
                         "1 sent at QoS 0 (which has no confirmation), 2 sent but not confirmed (the broker may or may not have them), 2 not sent; the rest of the input was not read.", e.Message);
            window.Submit(Msg(7), 7, host, null, done);
            Assert.Equal(7, target.Client.PublishCount); // nothing more is sent
        }

        private static Exception ForPublish(MqttConnectionLostException lost, bool sent) =>
            (Exception)typeof(MqttConnectionLostException).GetMethod("ForPublish", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance).Invoke(lost, new object[] { sent });

        [Fact]
        public void While_reconnecting_publishes_wait_in_the_offline_queue_without_a_deadline_or_a_window_slot()
        {
            var target = new Target { IsReconnecting = true };
            var window = new PublishWindow(target, 2, TimeSpan.FromMilliseconds(200));
            var host = new RecordingHost();
            var done = new List<PublishCompletion>();
            var watch = System.Diagnostics.Stopwatch.StartNew();
            for (var i = 0; i < 10; i++) window.Submit(Msg(i, i == 9 ? MqttQualityOfService.AtMostOnce : MqttQualityOfService.AtLeastOnce), i, host, null, done);
            Thread.Sleep(300); // past the acknowledgement timeout
            window.Flush(host, null, done);
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), "took " + watch.Elapsed);
            Assert.Empty(done); // no timeout error, and QoS 0 did not wait for an acknowledgement either
            Assert.Equal(10, window.LeftInOfflineQueue);
            Assert.Null(window.StopError);
        }

        [Fact]
        public void Messages_in_flight_when_the_connection_drops_wait_for_the_reconnect_instead_of_timing_out()
        {
            var target = new Target();
            var window = new PublishWindow(target, 5, TimeSpan.FromMilliseconds(500));
            var host = new RecordingHost();
            var done = new List<PublishCompletion>();
            for (var i = 0; i < 3; i++) window.Submit(Msg(i), i, host, null, done);
            target.IsReconnecting = true;
            window.Submit(Msg(3), 3, host, null, done);
            Thread.Sleep(800); // the outage outlasts the acknowledgement timeout
            target.IsReconnecting = false;
            target.ReconnectCount++;
            for (var i = 0; i < 4; i++) target.Client.Publish(i).Completion.SetResult(new MqttPublishOutcome(0)); // resent and acknowledged
            window.Flush(host, null, done);
            Assert.Equal(new object[] { 0, 1, 2, 3 }, done.Select(d => d.Source).ToArray());
            Assert.All(done, d => Assert.True(d.Succeeded, d.Error?.Message));
        }

        [Fact]
        public void An_outage_between_two_inputs_gives_the_resent_messages_a_fresh_deadline()
        {
            var target = new Target();
            var window = new PublishWindow(target, 5, TimeSpan.FromMilliseconds(500));
            var host = new RecordingHost();
            var done = new List<PublishCompletion>();
            for (var i = 0; i < 2; i++) window.Submit(Msg(i), i, host, null, done);
            Thread.Sleep(700); // lost and back while the pipeline had nothing to publish
            target.ReconnectCount++;
            var acks = Background.Run(() =>
            {
                Thread.Sleep(200);
                for (var i = 0; i < 2; i++) target.Client.Publish(i).Completion.SetResult(new MqttPublishOutcome(0));
            });
            window.Flush(host, null, done);
            acks.Wait(5000);
            Assert.Equal(2, done.Count);
            Assert.All(done, d => Assert.True(d.Succeeded, d.Error?.Message));
        }

        [Fact]
        public void A_full_offline_queue_stops_the_command_with_one_error_after_waiting_for_room()
        {
            var target = new Target { IsReconnecting = true, OfflineQueueSize = 3 };
            var window = new PublishWindow(target, 10, TimeSpan.FromMilliseconds(400));
            var host = new RecordingHost();
            var done = new List<PublishCompletion>();
            for (var i = 0; i < 3; i++) { window.Submit(Msg(i), i, host, null, done); target.QueuedMessages++; }
            var watch = System.Diagnostics.Stopwatch.StartNew();
            window.Submit(Msg(3), 3, host, null, done);
            Assert.InRange(watch.ElapsedMilliseconds, 350, 3000);
            Assert.Equal("OfflineQueueFull", window.StopError.ErrorId);
            Assert.Contains("3 waiting in the offline queue", window.StopError.Message);
            Assert.Contains("1 not sent", window.StopError.Message);
            Assert.Equal(3, target.Client.PublishCount);
        }

        [Fact]
        public void Messages_left_queued_that_later_fail_are_one_notice()
        {
            var target = new Target { IsReconnecting = true };
            var notices = new ConcurrentQueue<string>();
            var window = new PublishWindow(target, 10, TimeSpan.FromSeconds(5)) { Notify = notices.Enqueue };
            var host = new RecordingHost();
            var done = new List<PublishCompletion>();
            for (var i = 0; i < 4; i++) window.Submit(Msg(i), i, host, null, done);
            window.Flush(host, null, done);
            Assert.Empty(notices);
            target.Client.Publish(0).Completion.SetResult(new MqttPublishOutcome(0));
            for (var i = 1; i < 4; i++) target.Client.Publish(i).Completion.SetException(new MqttConnectionLostException("Gave up reconnecting."));
            BackpressureTests.WaitFor(() => notices.Count > 0);
            Assert.Equal("3 of the 4 messages Publish-MqttMessage left in the offline queue of the connection 'plant' were not published: Gave up reconnecting.", Assert.Single(notices));
        }

        [Fact]
        public void A_client_id_used_again_at_the_same_broker_warns_and_stops_the_other_connection_reconnecting()
        {
            var factory = new ScriptedClientFactory();
            var session = new MqttShellSession(factory);
            var host = new RecordingHost();
            var first = session.Connect(new MqttConnectionSettings { ClientId = "twice", Name = "first", AutoReconnect = true }, host);
            var other = session.Connect(new MqttConnectionSettings { ClientId = "other" }, host);
            Assert.Empty(host.Warnings);
            session.Connect(new MqttConnectionSettings { ClientId = "twice", Name = "second" }, host);
            var warning = Assert.Single(host.Warnings);
            Assert.Contains("'twice' was in use by the connection 'first'", warning);
            Assert.Equal("second", first.TakenOverBy);
            Assert.Contains("taken over by the connection 'second'", factory.Created[0].StoppedReconnecting);
            Assert.Null(factory.Created[1].StoppedReconnecting);
            Assert.Null(other.TakenOverBy);
        }

        [Fact]
        public void The_takeover_is_reported_even_when_the_broker_ended_the_other_connection_before_the_new_one_was_ready()
        {
            ScriptedClientFactory factory = null;
            factory = new ScriptedClientFactory(settings =>
            {
                // An MQTT 5.0 broker sends DISCONNECT 0x8E to the first connection as it accepts the second.
                if (factory.Created.Count == 1) factory.Created[0].Lose("DISCONNECT SessionTakenOver");
                return new ScriptedShellClient { ClientId = settings.ClientId };
            });
            var session = new MqttShellSession(factory);
            var host = new RecordingHost();
            var first = session.Connect(new MqttConnectionSettings { ClientId = "twice", Name = "first", AutoReconnect = true }, host);
            session.Connect(new MqttConnectionSettings { ClientId = "twice", Name = "second" }, host);
            Assert.Contains("'twice' was in use by the connection 'first'", Assert.Single(host.Warnings));
            Assert.Equal("second", first.TakenOverBy);
        }

        [Theory]
        [InlineData(false, "RetainedPayloadMissing")]
        [InlineData(true, "RetainedPayloadNull")]
        public void A_retained_message_without_a_payload_is_refused_unless_explicitly_empty(bool given, string errorId)
        {
            var e = Assert.Throws<MqttShellException>(() => new PublishRequest { Topic = "cfg/a", Retain = true, Payload = null, PayloadGiven = given }.ToMessage(MqttProtocolVersion.V500));
            Assert.Equal(errorId, e.ErrorId);
            Assert.Equal(ShellErrorCategory.InvalidArgument, e.Category);
            Assert.Contains("Clear-MqttRetainedMessage", e.Message);
            Assert.Empty(new PublishRequest { Topic = "cfg/a", Retain = true, Payload = "" }.ToMessage(MqttProtocolVersion.V500).PayloadBytes);
            Assert.Empty(new PublishRequest { Topic = "cfg/a", Payload = null, PayloadGiven = given }.ToMessage(MqttProtocolVersion.V500).PayloadBytes);
        }
    }
}
