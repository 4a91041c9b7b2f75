using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using MqttPS.Core.Broker.Bridges;
using MqttPS.Core.Protocol;
using MqttPS.Core.Transport;
using Xunit;

namespace MqttPS.Core.Tests.Broker.Bridges
{
    /// <summary>Bridge topic lines as mosquitto writes them, their topic remapping, and the in-process connection a
    /// bridge uses to reach its own broker.</summary>
    public sealed class BridgeTopicTests
    {
        [Theory]
        [InlineData("sensors/#", "sensors/# out 0")]
        [InlineData("sensors/# in", "sensors/# in 0")]
        [InlineData("sensors/# both 2", "sensors/# both 2")]
        [InlineData("# out 1 local/ remote/", "# out 1 local/ remote/")]
        [InlineData("t out 1 \"\" remote/", "t out 1 \"\" remote/")]
        [InlineData("\"\" in 1 local/exact remote/exact", "\"\" in 1 local/exact remote/exact")]
        public void Lines_parse_as_mosquitto_writes_them(string line, string normalized)
        {
            Assert.Equal(normalized, MqttBridgeTopic.Parse(line).ToString());
        }

        [Theory]
        [InlineData("a/# sideways", "not a bridge direction")]
        [InlineData("a/# out 3", "not a QoS")]
        [InlineData("\"\" out 1 local/", "needs both a local and a remote prefix")]
        [InlineData("a/# out 1 lo+cal/", "must not contain wildcards")]
        [InlineData("a/#/b out 1", "not a valid topic filter")]
        [InlineData("a b c d e f", "more than pattern")]
        public void Bad_lines_are_refused_with_the_reason(string line, string reason)
        {
            Assert.Contains(reason, Assert.Throws<FormatException>(() => MqttBridgeTopic.Parse(line)).Message);
        }

        [Fact]
        public void Prefixes_are_swapped_both_ways_and_other_topics_do_not_match()
        {
            var t = MqttBridgeTopic.Parse("sensors/# both 1 site/ plant7/");
            Assert.Equal("site/sensors/#", t.LocalFilter);
            Assert.Equal("plant7/sensors/#", t.RemoteFilter);
            Assert.Equal("plant7/sensors/a/temp", t.ToRemote("site/sensors/a/temp"));
            Assert.Equal("site/sensors/a/temp", t.ToLocal("plant7/sensors/a/temp"));
            Assert.Null(t.ToRemote("sensors/a"));
            Assert.Null(t.ToLocal("site/sensors/a"));
            var exact = MqttBridgeTopic.Parse("\"\" in 1 local/status remote/status");
            Assert.Equal("local/status", exact.ToLocal("remote/status"));
            Assert.Null(exact.ToLocal("remote/status/x"));
        }

        [Fact]
        public async Task The_in_process_connection_carries_bytes_both_ways_bounded_and_ends_on_dispose()
        {
            InProcessStream.CreatePair(out var a, out var b, capacity: 8);
            using (a)
            using (b)
            {
                // A write larger than the buffer completes as the other end reads.
                var write = a.WriteAsync(new byte[20], 0, 20);
                Assert.False(write.IsCompleted);
                var buffer = new byte[32];
                var total = 0;
                while (total < 20) total += await b.ReadAsync(buffer, 0, buffer.Length);
                await write;
                // A zero-byte read waits for data, as on a socket.
                var ready = b.ReadAsync(buffer, 0, 0);
                Assert.False(ready.IsCompleted);
                await a.WriteAsync(new byte[] { 7 }, 0, 1);
                Assert.Equal(0, await ready);
                Assert.Equal(1, await b.ReadAsync(buffer, 0, 1));
                Assert.Equal(7, buffer[0]);
                // Cancelling a pending read ends it.
                using (var cts = new CancellationTokenSource(50))
                    await Assert.ThrowsAnyAsync<OperationCanceledException>(() => b.ReadAsync(buffer, 0, 1, cts.Token));
                a.Dispose();
                Assert.Equal(0, await b.ReadAsync(buffer, 0, 1));
                await Assert.ThrowsAsync<IOException>(() => b.WriteAsync(new byte[1], 0, 1));
            }
        }
    }
}
