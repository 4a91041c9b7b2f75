using System;
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Threading.Tasks;
using MqttPS.Core.Broker;

namespace MqttPS.Fuzz
{
    /// <summary>
    /// dotnet run -c Release --project tests/MqttPS.Fuzz -- [--cases N] [--seed S] [--parallel P] [--minutes M] [--port PORT]
    /// Fuzzes the embedded broker (started in this process, default options) or, with --port, a broker already
    /// listening on 127.0.0.1:PORT (mosquitto, the broker host). Prints progress every 10 s and the figures at the end;
    /// exits 1 when a case hung, a health check failed or the embedded broker caught an internal error.
    /// </summary>
    public static class Program
    {
        public static async Task<int> Main(string[] args)
        {
            long cases = 1_000_000;
            var seed = 16;
            var parallel = 16;
            var minutes = 240.0;
            var port = 0;
            for (var i = 0; i < args.Length; i++)
            {
                string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException(args[i] + " needs a value");
                switch (args[i])
                {
                    case "--cases": cases = long.Parse(Next()); break;
                    case "--seed": seed = int.Parse(Next()); break;
                    case "--parallel": parallel = int.Parse(Next()); break;
                    case "--minutes": minutes = double.Parse(Next(), System.Globalization.CultureInfo.InvariantCulture); break;
                    case "--port": port = int.Parse(Next()); break;
                    default:
                        Console.Error.WriteLine("usage: MqttPS.Fuzz [--cases N] [--seed S] [--parallel P] [--minutes M] [--port PORT]");
                        return 2;
                }
            }

            MqttBroker broker = null;
            if (port == 0)
            {
                // Mutated client ids with clean session 0 create sessions by the thousand: they expire after a minute.
                broker = new MqttBroker(new MqttBrokerOptions { BindAddress = IPAddress.Loopback, Port = 0, ConnectTimeout = TimeSpan.FromSeconds(5), MaximumSessionExpiryInterval = 60 });
                await broker.StartAsync();
                port = broker.Port;
                // An internal error is a broker bug the fuzzer found: print it whole.
                broker.EventRaised += (_, e) =>
                {
                    if (e.Reason != null && e.Reason.StartsWith("internal error", StringComparison.Ordinal)) Console.WriteLine("INTERNAL ERROR " + e.ClientId + ": " + e.Reason);
                };
            }
            var fuzzer = new BrokerFuzzer(port);
            var watch = Stopwatch.StartNew();
            var lastReport = TimeSpan.Zero;
            var rssStart = Rss();
            Console.WriteLine("fuzzing " + (broker != null ? "the embedded broker" : "the broker") + " on 127.0.0.1:" + port + ": " + cases.ToString("N0") + " cases, seed " + seed + ", " + parallel + " connections at a time; RSS " + rssStart + " KiB");
            var stats = await fuzzer.RunAsync(seed, cases, TimeSpan.FromMinutes(minutes), parallel, batch: 1000, progress: s =>
            {
                if (watch.Elapsed - lastReport < TimeSpan.FromSeconds(10)) return;
                lastReport = watch.Elapsed;
                Console.WriteLine(string.Format("  {0:N0} cases in {1:N0} s ({2:N0}/s), {3} hangs, {4} failed health checks{5}", s.Cases, watch.Elapsed.TotalSeconds,
                    s.Cases / watch.Elapsed.TotalSeconds, s.Hangs, s.HealthFailures, broker == null ? "" : ", " + broker.InternalErrors + " internal errors"));
            });
            var elapsed = watch.Elapsed;
            var open = broker?.OpenConnectionCount ?? -1;
            Console.WriteLine("FUZZ " + stats);
            Console.WriteLine(string.Format("FUZZ {0:N0} cases in {1:N0} s ({2:N0}/s); RSS {3:N0} KiB at start, {4:N0} KiB at the end{5}", stats.Cases, elapsed.TotalSeconds,
                stats.Cases / elapsed.TotalSeconds, rssStart, Rss(), broker == null ? "" : "; embedded broker: " + broker.InternalErrors + " internal errors, " + open + " connections still open, " + broker.GetStatistics().ClientsTotal + " clients accepted"));
            foreach (var f in stats.Failures) Console.WriteLine("FAILURE " + f);
            if (broker != null) await broker.StopAsync();
            return stats.Hangs == 0 && stats.HealthFailures == 0 && (broker == null || broker.InternalErrors == 0) ? 0 : 1;
        }

        private static long Rss()
        {
            try
            {
                foreach (var line in File.ReadAllLines("/proc/self/status"))
                    if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) return long.Parse(line.Substring(6).Trim().Split(' ')[0]);
            }
            catch (IOException) { }
            return -1;
        }
    }
}
