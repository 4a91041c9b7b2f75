using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using MqttPS.Core.Broker;

namespace MqttPS.Core.Tests.Conformance
{
    /// <summary>
    /// Plays the sequence files against brokers on free loopback ports: by default embedded brokers configured with
    /// the limits the sequences were written for (Topic Alias Maximum 10, Maximum Packet Size 2000000, Receive
    /// Maximum 20); given another start function, any broker (the conformance counts of mosquitto and MQTTnet). The
    /// tests of one group run in file order on one broker, as in mosquitto's own harness (some depend on what an
    /// earlier one left behind, e.g. a retained message set and then cleared, and they share topics and client ids);
    /// groups run in parallel, each on its own broker, up to 8 at a time. Results are computed once per file and
    /// shared by the per-file theory and the summary.
    /// </summary>
    public sealed class ConformanceBrokerFixture : IDisposable
    {
        private readonly ConcurrentDictionary<string, Lazy<Task<FileResult>>> _results = new ConcurrentDictionary<string, Lazy<Task<FileResult>>>();
        private readonly SemaphoreSlim _parallelGroups = new SemaphoreSlim(8);
        private readonly Func<Task<IConformanceBroker>> _startBroker;

        public ConformanceBrokerFixture() : this(() => EmbeddedConformanceBroker.StartAsync(BrokerOptions())) { }

        // xunit builds class fixtures through their only public constructor: other brokers come through For().
        private ConformanceBrokerFixture(Func<Task<IConformanceBroker>> startBroker)
        {
            _startBroker = startBroker ?? throw new ArgumentNullException(nameof(startBroker));
        }

        /// <summary>A runner that plays the sequences against brokers started by <paramref name="startBroker"/>.</summary>
        public static ConformanceBrokerFixture For(Func<Task<IConformanceBroker>> startBroker) => new ConformanceBrokerFixture(startBroker);

        public static MqttBrokerOptions BrokerOptions() => new MqttBrokerOptions
        {
            BindAddress = IPAddress.Loopback,
            Port = 0,
            TopicAliasMaximum = 10,
            MaximumPacketSize = 2000000,
            ReceiveMaximum = 20,
            ConnectTimeout = TimeSpan.FromSeconds(5),
        };

        public sealed class SequenceResult
        {
            public ConformanceSequence Sequence;
            public string Failure;
        }

        public sealed class FileResult
        {
            public string File;
            public List<SequenceResult> Results = new List<SequenceResult>();
            public int Passed => Results.Count(r => r.Failure == null);
        }

        public Task<FileResult> RunFileAsync(string directory, string file)
            => _results.GetOrAdd(file, f => new Lazy<Task<FileResult>>(() => PlayFileAsync(directory, f))).Value;

        private async Task<FileResult> PlayFileAsync(string directory, string file)
        {
            var sequences = ConformanceData.Load(directory, file);
            var result = new FileResult { File = file };
            var outcomes = new SequenceResult[sequences.Count];
            // Consecutive runs of tests with the same group name form one ordered unit.
            var units = new List<List<int>>();
            for (var i = 0; i < sequences.Count; i++)
            {
                if (i == 0 || sequences[i].Group != sequences[i - 1].Group) units.Add(new List<int>());
                units[units.Count - 1].Add(i);
            }
            var tasks = new List<Task>();
            foreach (var unit in units)
            {
                await _parallelGroups.WaitAsync().ConfigureAwait(false);
                tasks.Add(Task.Run(async () =>
                {
                    try
                    {
                        await using var broker = await _startBroker().ConfigureAwait(false);
                        var player = new SequencePlayer(broker.Port);
                        foreach (var index in unit)
                        {
                            var seq = sequences[index];
                            string failure;
                            try { failure = await player.PlayAsync(seq, seq.FullName).ConfigureAwait(false); }
                            catch (Exception e) { failure = "runner exception: " + e.GetType().Name + ": " + e.Message; }
                            outcomes[index] = new SequenceResult { Sequence = seq, Failure = failure };
                            // The next sequence must not meet this one's session (its subscriptions, say): mosquitto's
                            // tests start each from a broker without clients. Bounded: a connection that will not end
                            // shows up as that next sequence's failure.
                            await broker.WaitUntilNoConnectionsAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
                        }
                    }
                    finally
                    {
                        _parallelGroups.Release();
                    }
                }));
            }
            await Task.WhenAll(tasks).ConfigureAwait(false);
            result.Results.AddRange(outcomes);
            return result;
        }

        public void Dispose()
        {
            _parallelGroups.Dispose();
        }
    }
}
