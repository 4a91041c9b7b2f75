using System;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using MqttPS.Core.Tests.Conformance;
using Xunit;
using Xunit.Abstractions;

namespace MqttPS.Interop.Tests.Conformance
{
    /// <summary>
    /// How many of mosquitto's 1,826 broker conversations each broker passes, with the same runner the embedded broker
    /// is held to: the figures of the README's "Why MqttPS has its own engine". Run with
    ///   MQTTPS_CONFORMANCE_COUNT=1 dotnet test tests/MqttPS.Interop.Tests -c Release --filter "FullyQualifiedName~ConformanceCount"
    /// Each count writes its table and every failure to out/TestResults/conformance-count/.
    /// </summary>
    public sealed class ConformanceCountTests
    {
        private readonly ITestOutputHelper _output;

        public ConformanceCountTests(ITestOutputHelper output) { _output = output; }

        [ConformanceCountTheory]
        [InlineData(ConformanceTargets.EmbeddedWithLimits)]
        [InlineData(ConformanceTargets.EmbeddedDefaults)]
        [InlineData(ConformanceTargets.Mosquitto)]
        [InlineData(ConformanceTargets.Mqttnet)]
        [InlineData(ConformanceTargets.MqttnetPersistent)]
        public async Task Count_the_sequences_a_broker_passes(string target)
        {
            using var fixture = ConformanceBrokerFixture.For(ConformanceTargets.Starter(target));
            var summary = await ConformanceSummary.ComputeAsync(fixture);
            var report = target + ": " + summary.Passed + " of " + summary.Total + " sequences pass\n" + summary.Table + "\nFailures:\n" +
                string.Join("\n", summary.Failures.Select(f => f.Sequence.Key + ": " + f.Failure));
            _output.WriteLine(summary.Table);
            var dir = Path.Combine(RepositoryRoot(), "out", "TestResults", "conformance-count");
            Directory.CreateDirectory(dir);
            File.WriteAllText(Path.Combine(dir, new string(target.Select(c => char.IsLetterOrDigit(c) ? c : '-').ToArray()) + ".txt"), report);
            Assert.Equal(1826, summary.Total);
            // The runner works against this broker: a broker that passed nothing would mean a runner that cannot talk to it.
            Assert.True(summary.Passed > 0, report);
        }

        private static string RepositoryRoot()
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir != null && !File.Exists(Path.Combine(dir.FullName, "MqttPS.sln"))) dir = dir.Parent;
            return dir?.FullName ?? Directory.GetCurrentDirectory();
        }
    }
}
