using System;
using System.Threading.Tasks;
using MqttPS.Core.Broker;
using MqttPS.Core.Tests.Infrastructure;
using MqttPS.Fuzz;
using Xunit;
using Xunit.Abstractions;
using static MqttPS.Core.Tests.BrokerProduction.BrokerTestHelpers;

namespace MqttPS.Core.Tests.BrokerProduction
{
    /// <summary>
    /// Fuzzing in every CI run (issue 16): mutated valid packets of every type (3.1.1 and 5.0) and random bytes after a
    /// valid CONNECT, from a fixed seed and bounded in time; after each batch a normal client must still be served and
    /// the broker must not have caught an internal error. The long run (>= 1,000,000 cases) is tests/MqttPS.Fuzz.
    /// </summary>
    [Collection(MeasuringCollection.Name)]
    public sealed class BrokerFuzzTests
    {
        private readonly ITestOutputHelper _output;

        public BrokerFuzzTests(ITestOutputHelper output) { _output = output; }

        [Fact]
        public async Task Fuzzed_packets_never_crash_hang_or_degrade_the_broker()
        {
            using (var broker = await StartAsync(new MqttBrokerOptions { ConnectTimeout = TimeSpan.FromSeconds(5), MaximumSessionExpiryInterval = 60 }))
            {
                var fuzzer = new BrokerFuzzer(broker.Port);
                var stats = await fuzzer.RunAsync(seed: 20261207, cases: 30_000, duration: TimeSpan.FromSeconds(25), parallel: 8, batch: 500,
                    afterBatch: s =>
                    {
                        Assert.True(broker.InternalErrors == 0, "the broker caught an internal error after " + s.Cases + " cases");
                        return Task.CompletedTask;
                    });
                _output.WriteLine("FUZZ " + stats);
                Console.WriteLine("FUZZ (CI) " + stats.Cases + " cases, " + stats.Hangs + " hangs, " + stats.HealthFailures + " failed health checks");
                Assert.True(stats.Cases >= 2000, "only " + stats.Cases + " cases ran");
                Assert.True(stats.Failures.Count == 0, string.Join("\n", stats.Failures));
                Assert.Equal(0, broker.InternalErrors);
                // Every fuzzed connection ended: none leaked.
                await Eventually.WaitUntilAsync(() => broker.OpenConnectionCount == 0, TimeSpan.FromSeconds(15), "every fuzzed connection to end (" + broker.OpenConnectionCount + " open)");
            }
        }
    }
}
