using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using MqttPS.Core.Tests.Infrastructure;
using Xunit;

namespace MqttPS.Core.Tests.Broker
{
    /// <summary>Debian's mosquitto_pub / mosquitto_sub (-V 311 and -V 5) against the embedded broker.</summary>
    public sealed class MosquittoClientTests
    {
        private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(20);

        private static ExternalProcess Sub(int port, string version, params string[] args)
            => ExternalProcess.Start("mosquitto_sub", new[] { "-h", "127.0.0.1", "-p", port.ToString(), "-V", version }.Concat(args));

        private static async Task Pub(int port, string version, params string[] args)
        {
            using var p = await ExternalProcess.RunAsync("mosquitto_pub", new[] { "-h", "127.0.0.1", "-p", port.ToString(), "-V", version }.Concat(args), RunTimeout);
            Assert.True(p.ExitCode == 0, "mosquitto_pub " + string.Join(" ", args) + " failed: " + p.StandardError);
        }

        [Theory]
        [InlineData("311", 0)] [InlineData("311", 1)] [InlineData("311", 2)]
        [InlineData("5", 0)] [InlineData("5", 1)] [InlineData("5", 2)]
        public async Task Publish_and_subscribe_at_each_QoS(string version, int qos)
        {
            await using var host = await BrokerTestHost.StartAsync();
            var topic = "cli/qos" + qos;
            using var sub = Sub(host.Port, version, "-t", topic, "-q", qos.ToString(), "-C", "3", "-v");
            await host.WaitForSubscriptionAsync(topic);
            for (var i = 0; i < 3; i++) await Pub(host.Port, version, "-t", topic, "-q", qos.ToString(), "-m", "m" + i);
            await sub.WaitForExitAsync(RunTimeout);
            Assert.Equal(new[] { topic + " m0", topic + " m1", topic + " m2" }, Lines(sub.StandardOutput));
            Assert.Equal(0, sub.ExitCode);
        }

        [Theory]
        [InlineData("311")] [InlineData("5")]
        public async Task Wildcard_subscriptions_receive_matching_topics_only(string version)
        {
            await using var host = await BrokerTestHost.StartAsync();
            using var sub = Sub(host.Port, version, "-t", "w/+/temp", "-t", "w/house/#", "-C", "3", "-v", "-q", "1");
            await host.WaitForSubscriptionAsync("w/house/#");
            await Pub(host.Port, version, "-t", "w/kitchen/temp", "-m", "21", "-q", "1");
            await Pub(host.Port, version, "-t", "w/kitchen/hum", "-m", "40", "-q", "1");
            await Pub(host.Port, version, "-t", "w/house", "-m", "parent", "-q", "1");
            await Pub(host.Port, version, "-t", "w/house/a/b", "-m", "deep", "-q", "1");
            await sub.WaitForExitAsync(RunTimeout);
            Assert.Equal(new[] { "w/house parent", "w/house/a/b deep", "w/kitchen/temp 21" },
                Lines(sub.StandardOutput).OrderBy(x => x, StringComparer.Ordinal).ToArray());
        }

        [Theory]
        [InlineData("311")] [InlineData("5")]
        public async Task Retained_message_is_set_replaced_and_cleared(string version)
        {
            await using var host = await BrokerTestHost.StartAsync();
            await Pub(host.Port, version, "-t", "ret/a", "-m", "one", "-r", "-q", "1");
            await Pub(host.Port, version, "-t", "ret/a", "-m", "two", "-r", "-q", "1");
            using (var sub = Sub(host.Port, version, "-t", "ret/#", "-C", "1", "-v", "-W", "10"))
            {
                await sub.WaitForExitAsync(RunTimeout);
                Assert.Equal(new[] { "ret/a two" }, Lines(sub.StandardOutput));
            }
            Assert.Equal("two", host.Broker.Retained.Get("ret/a").PayloadText);
            await Pub(host.Port, version, "-t", "ret/a", "-n", "-r", "-q", "1");
            Assert.Null(host.Broker.Retained.Get("ret/a"));
            using (var sub = Sub(host.Port, version, "-t", "ret/#", "-C", "1", "-v", "-W", "1"))
            {
                await sub.WaitForExitAsync(RunTimeout);
                Assert.Empty(Lines(sub.StandardOutput));
            }
        }

        [Theory]
        [InlineData("311")] [InlineData("5")]
        public async Task Will_is_published_when_a_client_dies(string version)
        {
            await using var host = await BrokerTestHost.StartAsync();
            using var watcher = Sub(host.Port, version, "-t", "will/+", "-C", "1", "-v", "-q", "1");
            await host.WaitForSubscriptionAsync("will/+");
            using var dying = Sub(host.Port, version, "-t", "other", "-i", "dying-client", "--will-topic", "will/dying", "--will-payload", "gone", "--will-qos", "1");
            await host.WaitForSubscriptionAsync("other");
            dying.Kill(); // SIGKILL: no DISCONNECT reaches the broker
            await watcher.WaitForExitAsync(RunTimeout);
            Assert.Equal(new[] { "will/dying gone" }, Lines(watcher.StandardOutput));
        }

        [Theory]
        [InlineData("311")] [InlineData("5")]
        public async Task Persistent_session_gets_messages_published_while_offline(string version)
        {
            await using var host = await BrokerTestHost.StartAsync();
            var persistent = version == "5" ? new[] { "-c", "-x", "300" } : new[] { "-c" };
            using (var first = Sub(host.Port, version, new[] { "-t", "ps/t", "-q", "1", "-i", "ps-client", "-C", "1" }.Concat(persistent).ToArray()))
            {
                await host.WaitForSubscriptionAsync("ps/t");
                await Pub(host.Port, version, "-t", "ps/t", "-m", "online", "-q", "1");
                await first.WaitForExitAsync(RunTimeout);
            }
            await host.WaitUntilAsync(() => host.Broker.GetClients().All(c => c.ClientId != "ps-client"), "the subscriber's disconnect");
            await Pub(host.Port, version, "-t", "ps/t", "-m", "offline1", "-q", "1");
            await Pub(host.Port, version, "-t", "ps/t", "-m", "offline2", "-q", "1");
            using var again = Sub(host.Port, version, new[] { "-t", "ps/t", "-q", "1", "-i", "ps-client", "-C", "2", "-W", "10" }.Concat(persistent).ToArray());
            await again.WaitForExitAsync(RunTimeout);
            Assert.Equal(new[] { "offline1", "offline2" }, Lines(again.StandardOutput));
        }

        [Theory]
        [InlineData("311")] [InlineData("5")]
        public async Task Shared_subscription_spreads_messages_across_the_group(string version)
        {
            await using var host = await BrokerTestHost.StartAsync();
            using var a = Sub(host.Port, version, "-t", "$share/g/sh/t", "-q", "1", "-W", "4");
            using var b = Sub(host.Port, version, "-t", "$share/g/sh/t", "-q", "1", "-W", "4");
            await host.WaitForSubscriptionAsync("$share/g/sh/t", 2);
            for (var i = 0; i < 10; i++) await Pub(host.Port, version, "-t", "sh/t", "-m", "s" + i, "-q", "1");
            await a.WaitForExitAsync(RunTimeout);
            await b.WaitForExitAsync(RunTimeout);
            var la = Lines(a.StandardOutput);
            var lb = Lines(b.StandardOutput);
            Assert.Equal(Enumerable.Range(0, 10).Select(i => "s" + i).OrderBy(x => x), la.Concat(lb).OrderBy(x => x));
            Assert.NotEmpty(la);
            Assert.NotEmpty(lb);
        }

        private static string[] Lines(string output)
            => output.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0).ToArray();
    }
}
