using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using MqttPS.Core.Messages;
using MqttPS.Core.Shell;
using MqttPS.Module.Tests.Fakes;
using Xunit;

namespace MqttPS.Module.Tests.Shell
{
    public class PublishWindowTests
    {
        private static MqttMessage Msg(int i) => new MqttMessage("t/" + i, "m" + i, MqttPS.Core.Protocol.MqttQualityOfService.AtLeastOnce);

        [Fact]
        public void Submit_returns_at_once_while_the_window_has_room()
        {
            var client = new ScriptedShellClient();
            var window = new PublishWindow(client.PublishAsync, 4, TimeSpan.FromSeconds(10));
            var host = new RecordingHost();
            var done = new List<PublishCompletion>();
            for (var i = 0; i < 3; i++) window.Submit(Msg(i), i, host, null, done);
            Assert.Equal(3, window.InFlight);
            Assert.Equal(3, client.PublishCount); // all three started without waiting for an acknowledgement
            Assert.Empty(done);
        }

        [Fact]
        public void A_full_window_waits_for_the_oldest_and_never_exceeds_its_size()
        {
            var client = new ScriptedShellClient();
            var window = new PublishWindow(client.PublishAsync, 3, TimeSpan.FromSeconds(10));
            var host = new RecordingHost();
            var done = new List<PublishCompletion>();
            // The "broker" acknowledges each publish 20 ms after it is sent, from another thread.
            using var acker = new CancellationTokenSource();
            var ackTask = Background.Run(() =>
            {
                var acked = 0;
                while (!acker.IsCancellationRequested)
                {
                    if (acked < client.PublishCount)
                    {
                        Thread.Sleep(20);
                        client.Publish(acked++).Completion.TrySetResult(new MqttPublishOutcome(0));
                    }
                    else Thread.Sleep(2);
                }
            });
            for (var i = 0; i < 12; i++) window.Submit(Msg(i), i, host, null, done);
            window.Flush(host, null, done);
            acker.Cancel();
            ackTask.Wait(5000);
            Assert.Equal(3, client.MaxInFlight);
            Assert.Equal(Enumerable.Range(0, 12), done.Select(d => (int)d.Source)); // completions in submission order
            Assert.All(done, d => Assert.True(d.Succeeded));
            Assert.Empty(host.OffThreadCalls);
        }

        [Fact]
        public void Completions_come_back_in_order_even_when_acknowledged_out_of_order()
        {
            var client = new ScriptedShellClient();
            var window = new PublishWindow(client.PublishAsync, 10, TimeSpan.FromSeconds(10));
            var host = new RecordingHost();
            var done = new List<PublishCompletion>();
            for (var i = 0; i < 3; i++) window.Submit(Msg(i), i, host, null, done);
            client.Publish(2).Completion.SetResult(new MqttPublishOutcome(0));
            client.Publish(1).Completion.SetResult(new MqttPublishOutcome(0));
            window.Submit(Msg(3), 3, host, null, done);
            Assert.Empty(done); // the head (0) is still unacknowledged
            client.Publish(0).Completion.SetResult(new MqttPublishOutcome(0));
            client.Publish(3).Completion.SetResult(new MqttPublishOutcome(0));
            window.Flush(host, null, done);
            Assert.Equal(new object[] { 0, 1, 2, 3 }, done.Select(d => d.Source));
        }

        [Fact]
        public void A_refused_message_becomes_an_error_naming_its_topic_and_reason_and_the_rest_go_on()
        {
            var client = new ScriptedShellClient();
            var window = new PublishWindow(client.PublishAsync, 5, TimeSpan.FromSeconds(10));
            var host = new RecordingHost();
            var done = new List<PublishCompletion>();
            for (var i = 0; i < 3; i++) window.Submit(Msg(i), "line" + i, host, null, done);
            client.Publish(0).Completion.SetResult(new MqttPublishOutcome(0));
            client.Publish(1).Completion.SetResult(new MqttPublishOutcome(0x87, "topic t/1 is read-only"));
            client.Publish(2).Completion.SetException(new System.IO.IOException("connection reset"));
            window.Flush(host, null, done);
            Assert.True(done[0].Succeeded);
            Assert.Equal("PublishRejected", done[1].Error.ErrorId);
            Assert.Equal(ShellErrorCategory.PermissionDenied, done[1].Error.Category);
            Assert.Contains("'t/1'", done[1].Error.Message);
            Assert.Contains("Not authorized (0x87)", done[1].Error.Message);
            Assert.Contains("read-only", done[1].Error.Message);
            Assert.Equal("line1", done[1].Error.TargetObject);
            Assert.Equal("PublishFailed", done[2].Error.ErrorId);
            Assert.Equal(ShellErrorCategory.ConnectionError, done[2].Error.Category);
            Assert.Contains("connection reset", done[2].Error.Message);
        }

        [Fact]
        public void No_matching_subscribers_is_a_success()
        {
            Assert.True(new MqttPublishOutcome(0x10).Succeeded);
            Assert.False(new MqttPublishOutcome(0x80).Succeeded);
        }

        [Fact]
        public void An_unacknowledged_message_times_out_with_an_error_and_the_window_moves_on()
        {
            var client = new ScriptedShellClient();
            var window = new PublishWindow(client.PublishAsync, 1, TimeSpan.FromMilliseconds(300));
            var host = new RecordingHost();
            var done = new List<PublishCompletion>();
            window.Submit(Msg(0), 0, host, null, done); // never acknowledged
            Assert.Single(done);
            Assert.Equal("PublishTimeout", done[0].Error.ErrorId);
            Assert.Equal(ShellErrorCategory.OperationTimeout, done[0].Error.Category);
            Assert.True(client.Publish(0).Completion.Task.IsCanceled); // its own token was cancelled
        }

        [Fact]
        public void Ctrl_C_while_the_window_is_full_stops_within_a_slice()
        {
            var client = new ScriptedShellClient();
            var window = new PublishWindow(client.PublishAsync, 1, TimeSpan.FromSeconds(30));
            var host = new RecordingHost();
            var done = new List<PublishCompletion>();
            host.StopAfter(200);
            var watch = System.Diagnostics.Stopwatch.StartNew();
            Assert.ThrowsAny<OperationCanceledException>(() => window.Submit(Msg(0), 0, host, null, done));
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), "stopping took " + watch.Elapsed);
            window.Abandon();
            Assert.Equal(0, window.InFlight);
        }

        [Fact]
        public void Verbose_trace_from_the_network_is_written_while_waiting()
        {
            var client = new ScriptedShellClient();
            var verbose = new VerboseQueue();
            var window = new PublishWindow((m, ct) => { _ = Background.Run(() => verbose.Add("<- PUBACK " + m.Topic)); return client.PublishAsync(m, ct); }, 1, TimeSpan.FromMilliseconds(400));
            var host = new RecordingHost();
            window.Submit(Msg(0), 0, host, verbose, new List<PublishCompletion>());
            Assert.Contains("<- PUBACK t/0", host.Verbose);
            Assert.Empty(host.OffThreadCalls);
        }
    }
}
