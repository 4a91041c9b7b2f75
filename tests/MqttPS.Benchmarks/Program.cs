using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime;

namespace MqttPS.Benchmarks
{
    /// <summary>
    /// Usage: dotnet run -c Release --project tests/MqttPS.Benchmarks -- [all | suite...] [--quick] [--list]
    /// </summary>
    public static class Program
    {
        // To add a suite: write a class implementing IBenchmarkSuite (one file, e.g. BrokerBenchmark.cs) and add
        // an instance here. "all" runs them in this order.
        private static readonly IBenchmarkSuite[] Suites =
        {
            new IndexBenchmark(),
            new CodecBenchmark(),
            new ClientBenchmark(),
        };

        public static int Main(string[] args)
        {
            bool quick = args.Contains("--quick");
            var names = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).Select(a => a.ToLowerInvariant()).ToList();

            if (args.Contains("--list") || args.Contains("--help") || args.Contains("-h"))
            {
                PrintUsage();
                return 0;
            }

            var selected = new List<IBenchmarkSuite>();
            if (names.Count == 0 || names.Contains("all"))
            {
                selected.AddRange(Suites);
            }
            else
            {
                foreach (var name in names)
                {
                    var suite = Suites.FirstOrDefault(s => s.Name == name);
                    if (suite == null)
                    {
                        Console.Error.WriteLine("Unknown suite '" + name + "'.");
                        PrintUsage();
                        return 2;
                    }
                    selected.Add(suite);
                }
            }

            var runner = new BenchmarkRunner(Console.Out, quick);
            runner.PrintEnvironment(GCSettings.IsServerGC);
            foreach (var suite in selected)
            {
                runner.Header(suite.Name + ": " + suite.Description);
                suite.Run(runner);
            }
            return 0;
        }

        private static void PrintUsage()
        {
            Console.WriteLine("Usage: dotnet run -c Release --project tests/MqttPS.Benchmarks -- [all | suite...] [--quick]");
            Console.WriteLine("  --quick   fewer and shorter runs (a smoke test; figures are noisier)");
            Console.WriteLine("Suites:");
            foreach (var suite in Suites)
            {
                Console.WriteLine("  " + suite.Name.PadRight(10) + suite.Description);
            }
        }
    }
}
