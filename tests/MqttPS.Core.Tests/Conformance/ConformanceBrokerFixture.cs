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
    /// One embedded broker on a free loopback port, configured with the limits the sequences were written for
    /// (Topic Alias Maximum 10, Maximum Packet Size 2000000, Receive Maximum 20), and the results per file, computed
    /// once and shared by the per-file theory and the summary.
    /// </summary>
    public sealed class ConformanceBrokerFixture : IDisposable
    {
        private readonly ConcurrentDictionary<string, Lazy<Task<FileResult>>> _results = new ConcurrentDictionary<string, Lazy<Task<FileResult>>>();
        private int _clientCounter;

        public ConformanceBrokerFixture()
        {
            Broker = new MqttBroker(new MqttBrokerOptions
            {
                BindAddress = IPAddress.Loopback,
                Port = 0,
                TopicAliasMaximum = 10,
                MaximumPacketSize = 2000000,
                ReceiveMaximum = 20,
                ConnectTimeout = TimeSpan.FromSeconds(5),
            });
            Broker.StartAsync().GetAwaiter().GetResult();
        }

        public MqttBroker Broker { get; }

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
            var player = new SequencePlayer(Broker.Port);
            using var gate = new SemaphoreSlim(8);
            var tasks = new List<Task>();
            for (var i = 0; i < sequences.Count; i++)
            {
                var index = i;
                await gate.WaitAsync().ConfigureAwait(false);
                tasks.Add(Task.Run(async () =>
                {
                    try
                    {
                        var seq = sequences[index];
                        // The full name is the client id, made unique: a few names repeat, and the same id on two
                        // parallel connections would be a session takeover. The id is never echoed in these sequences.
                        var clientId = seq.FullName + " #" + Interlocked.Increment(ref _clientCounter);
                        string failure;
                        try { failure = await player.PlayAsync(seq, clientId).ConfigureAwait(false); }
                        catch (Exception e) { failure = "runner exception: " + e.GetType().Name + ": " + e.Message; }
                        outcomes[index] = new SequenceResult { Sequence = seq, Failure = failure };
                    }
                    finally { gate.Release(); }
                }));
            }
            await Task.WhenAll(tasks).ConfigureAwait(false);
            result.Results.AddRange(outcomes);
            return result;
        }

        public void Dispose()
        {
            Broker.StopAsync().GetAwaiter().GetResult();
            Broker.Dispose();
        }
    }
}
