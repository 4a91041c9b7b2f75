using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading.Tasks;

namespace MqttPS.Core.Tests.Conformance
{
    /// <summary>Passes per file and in total over every sequence file, as a table: the embedded broker's summary test
    /// and the counts of other brokers (mosquitto, MQTTnet) print the same table.</summary>
    public sealed class ConformanceSummary
    {
        public int Total { get; private set; }
        public int Passed { get; private set; }
        public int KnownDivergences { get; private set; }
        public int Unexpected { get; private set; }
        public string Table { get; private set; }
        public List<ConformanceBrokerFixture.SequenceResult> Failures { get; } = new List<ConformanceBrokerFixture.SequenceResult>();

        /// <param name="known">Failures listed as known divergences (the embedded broker's list), or null.</param>
        public static async Task<ConformanceSummary> ComputeAsync(ConformanceBrokerFixture fixture, IReadOnlyDictionary<string, string> known = null)
        {
            var directory = ConformanceData.RequireDirectory();
            var summary = new ConformanceSummary();
            var table = new StringBuilder();
            foreach (var file in ConformanceData.FileNames().Select(f => (string)f[0]))
            {
                var r = await fixture.RunFileAsync(directory, file).ConfigureAwait(false);
                var failed = r.Results.Where(x => x.Failure != null).ToList();
                var kd = known == null ? 0 : failed.Count(x => known.ContainsKey(x.Sequence.Key));
                summary.Total += r.Results.Count;
                summary.Passed += r.Passed;
                summary.KnownDivergences += kd;
                summary.Unexpected += failed.Count - kd;
                summary.Failures.AddRange(failed);
                table.AppendLine(Row(file, r.Passed, r.Results.Count, kd, failed.Count - kd, known != null));
            }
            table.AppendLine(Row("TOTAL", summary.Passed, summary.Total, summary.KnownDivergences, summary.Unexpected, known != null));
            summary.Table = table.ToString();
            return summary;
        }

        private static string Row(string file, int passed, int total, int known, int unexpected, bool withKnown)
            => withKnown
                ? string.Format("{0,-22} {1,5}/{2,-5} known divergences {3,3}  unexpected {4,3}", file, passed, total, known, unexpected)
                : string.Format("{0,-22} {1,5}/{2,-5} failed {3,4}", file, passed, total, unexpected);
    }
}
