using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;

namespace MqttPS.Benchmarks
{
    /// <summary>
    /// A small timing harness: warm-up until the JIT has settled, size each run to a target duration, repeat, and
    /// report the median time per operation and the bytes allocated per operation on the measuring thread(s).
    /// </summary>
    /// <remarks>
    /// A body receives the number of operations to perform and returns a value computed from all of them (e.g. a
    /// count of results); the harness consumes it so that the JIT cannot drop the work as dead code.
    /// Figures are wall-clock on a shared 2-core machine: compare runs made side by side, not across days.
    /// </remarks>
    public sealed class BenchmarkRunner
    {
        private readonly TextWriter _output;
        private long _sink;

        public BenchmarkRunner(TextWriter output, bool quick)
        {
            _output = output;
            Quick = quick;
            Runs = quick ? 3 : 7;
            RunTime = TimeSpan.FromMilliseconds(quick ? 60 : 250);
            WarmUpTime = TimeSpan.FromMilliseconds(quick ? 100 : 600);
        }

        public bool Quick { get; }
        public int Runs { get; }
        public TimeSpan RunTime { get; }
        public TimeSpan WarmUpTime { get; }

        public List<BenchmarkResult> Results { get; } = new List<BenchmarkResult>();

        public void PrintEnvironment(bool serverGc)
        {
            _output.WriteLine("MqttPS benchmarks - .NET " + Environment.Version + ", " + Environment.ProcessorCount + " cores, "
                              + (serverGc ? "server" : "workstation") + " GC, " + Runs + " runs of ~" + RunTime.TotalMilliseconds
                              + " ms each, median reported" + (Quick ? " (--quick)" : ""));
        }

        public void Header(string title)
        {
            _output.WriteLine();
            _output.WriteLine("== " + title + " ==");
            _output.WriteLine("  " + "benchmark".PadRight(66) + "ops/s".PadLeft(14) + "us/op".PadLeft(11) + "MB/s".PadLeft(10)
                              + "alloc B/op".PadLeft(12));
        }

        public void Note(string text)
        {
            _output.WriteLine("  " + text);
        }

        /// <summary>Measures a single-threaded body. <paramref name="bytesPerOperation"/> &gt; 0 adds a MB/s column.</summary>
        public BenchmarkResult Measure(string name, Func<long, long> body, long bytesPerOperation = 0)
        {
            long operations = Calibrate(body);
            var nsPerOp = new List<double>(Runs);
            double allocated = double.MaxValue;
            for (int run = 0; run < Runs; run++)
            {
                Settle();
                long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
                long start = Stopwatch.GetTimestamp();
                _sink += body(operations);
                long elapsed = Stopwatch.GetTimestamp() - start;
                long allocatedAfter = GC.GetAllocatedBytesForCurrentThread();
                nsPerOp.Add(ToNanoseconds(elapsed) / operations);
                // The minimum is the steady state: a run can include one-off allocations (tiering, list growth).
                allocated = Math.Min(allocated, (double)(allocatedAfter - allocatedBefore) / operations);
            }
            return Report(name, Median(nsPerOp), allocated, bytesPerOperation, 1);
        }

        /// <summary>
        /// Measures <paramref name="threads"/> threads running the body at once (each does the calibrated number of
        /// operations); reports aggregate throughput and the wall-clock time per operation divided by the threads.
        /// </summary>
        public BenchmarkResult MeasureParallel(string name, int threads, Func<int, long, long> body, long bytesPerOperation = 0)
        {
            long operations = Calibrate(n => body(0, n));
            var nsPerOp = new List<double>(Runs);
            double allocated = double.MaxValue;
            for (int run = 0; run < Runs; run++)
            {
                Settle();
                using (var barrier = new Barrier(threads + 1))
                {
                    var allocations = new long[threads];
                    var sinks = new long[threads];
                    var workers = new Thread[threads];
                    for (int t = 0; t < threads; t++)
                    {
                        int index = t;
                        workers[t] = new Thread(() =>
                        {
                            barrier.SignalAndWait();
                            long before = GC.GetAllocatedBytesForCurrentThread();
                            sinks[index] = body(index, operations);
                            allocations[index] = GC.GetAllocatedBytesForCurrentThread() - before;
                        }) { IsBackground = true };
                        workers[t].Start();
                    }
                    barrier.SignalAndWait();
                    long start = Stopwatch.GetTimestamp();
                    foreach (var worker in workers) worker.Join();
                    long elapsed = Stopwatch.GetTimestamp() - start;
                    _sink += sinks.Sum();
                    nsPerOp.Add(ToNanoseconds(elapsed) / (operations * threads));
                    allocated = Math.Min(allocated, (double)allocations.Sum() / (operations * threads));
                }
            }
            return Report(name, Median(nsPerOp), allocated, bytesPerOperation, threads);
        }

        private long Calibrate(Func<long, long> body)
        {
            // Grow the batch until one batch takes a measurable time, and keep going until the warm-up time has
            // passed (tiered JIT promotes hot methods after ~30 calls plus a background delay).
            long operations = 1;
            var total = Stopwatch.StartNew();
            double nsPerOp;
            while (true)
            {
                long start = Stopwatch.GetTimestamp();
                _sink += body(operations);
                double elapsedNs = ToNanoseconds(Stopwatch.GetTimestamp() - start);
                nsPerOp = elapsedNs / operations;
                if (elapsedNs < 20_000_000 && operations < (1L << 40))
                {
                    operations *= 2;
                }
                else if (total.Elapsed >= WarmUpTime)
                {
                    break;
                }
            }
            return Math.Max(1, (long)(RunTime.TotalMilliseconds * 1_000_000 / Math.Max(nsPerOp, 0.001)));
        }

        private BenchmarkResult Report(string name, double nsPerOp, double allocatedPerOp, long bytesPerOperation, int threads)
        {
            var result = new BenchmarkResult(name, nsPerOp, allocatedPerOp, bytesPerOperation, threads);
            Results.Add(result);
            string mbPerSecond = bytesPerOperation > 0 ? result.MegabytesPerSecond.ToString("N1") : "";
            _output.WriteLine("  " + name.PadRight(66) + result.OperationsPerSecond.ToString("N0").PadLeft(14)
                              + (nsPerOp / 1000).ToString("F3").PadLeft(11) + mbPerSecond.PadLeft(10)
                              + allocatedPerOp.ToString("F1").PadLeft(12));
            return result;
        }

        private static void Settle()
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
        }

        private static double ToNanoseconds(long ticks) => ticks * 1_000_000_000.0 / Stopwatch.Frequency;

        private static double Median(List<double> values)
        {
            var sorted = values.OrderBy(v => v).ToList();
            int middle = sorted.Count / 2;
            return sorted.Count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
        }

        /// <summary>Keeps results of bodies observable; printed nowhere.</summary>
        public long Sink => _sink;
    }
}
