using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Xunit;
using Xunit.Abstractions;

namespace MqttPS.Core.Tests.Conformance
{
    /// <summary>
    /// Plays mosquitto's 1,826 byte-exact broker conversations (../shared/conformance/mosquitto-sequences) against
    /// the embedded broker: one case per file, failing on any sequence that fails and is not listed in
    /// KNOWN-DIVERGENCES.md; plus a summary over all files.
    /// </summary>
    public sealed class ConformanceTests : IClassFixture<ConformanceBrokerFixture>
    {
        private const int RequiredPasses = 1800;
        private readonly ConformanceBrokerFixture _fixture;
        private readonly ITestOutputHelper _output;

        public ConformanceTests(ConformanceBrokerFixture fixture, ITestOutputHelper output)
        {
            _fixture = fixture;
            _output = output;
        }

        public static IEnumerable<object[]> Files() => ConformanceData.FileNames();

        [Theory]
        [MemberData(nameof(Files))]
        public async Task Sequence_file_passes(string file)
        {
            var directory = ConformanceData.RequireDirectory();
            var known = KnownDivergences.Load();
            var result = await _fixture.RunFileAsync(directory, file);
            Assert.NotEmpty(result.Results);
            var unexpected = new List<string>();
            var divergences = 0;
            foreach (var r in result.Results.Where(r => r.Failure != null))
            {
                if (known.ContainsKey(r.Sequence.Key)) { divergences++; continue; }
                unexpected.Add(r.Sequence.Key + ": " + r.Failure);
            }
            foreach (var r in result.Results.Where(r => r.Failure == null && known.ContainsKey(r.Sequence.Key)))
                _output.WriteLine("listed as a known divergence but passes now: " + r.Sequence.Key);
            _output.WriteLine(file + ": " + result.Passed + "/" + result.Results.Count + " passed, " + divergences + " known divergences, " + unexpected.Count + " unexpected failures");
            foreach (var u in unexpected) _output.WriteLine("FAIL " + u);
            Assert.True(unexpected.Count == 0, file + ": " + unexpected.Count + " sequence(s) failed:\n" + string.Join("\n", unexpected));
        }

        [Fact]
        public async Task Summary_at_least_1800_of_the_sequences_pass()
        {
            var summary = await ConformanceSummary.ComputeAsync(_fixture, KnownDivergences.Load());
            _output.WriteLine(summary.Table);
            Console.WriteLine("Conformance summary:\n" + summary.Table);
            Assert.True(summary.Total >= 1826, "expected the 1,826 sequences, found " + summary.Total);
            Assert.True(summary.Passed >= RequiredPasses, "only " + summary.Passed + " of " + summary.Total + " sequences pass (goal " + RequiredPasses + ")\n" + summary.Table);
        }
    }
}
