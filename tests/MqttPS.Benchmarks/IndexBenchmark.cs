using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using MqttPS.Core.Topics;

namespace MqttPS.Benchmarks
{
    /// <summary>
    /// SubscriptionIndex with 100,000 subscriptions in a realistic mix (per-device exact topics and wildcards,
    /// building/room wildcards, '+/...' filters, a few '#' monitors), matched against a fixed set of published
    /// topics. Compared with a linear scan of all filters and with a textbook Dictionary+Substring tree.
    /// </summary>
    public sealed class IndexBenchmark : IBenchmarkSuite
    {
        public const int SubscriptionCount = 100_000;
        private const int TopicCount = 4096;

        public string Name => "index";
        public string Description => "subscription index (topic tree), " + SubscriptionCount.ToString("N0") + " subscriptions";

        public void Run(BenchmarkRunner runner)
        {
            var random = new Random(42);
            List<(string Filter, string Subscriber)> subscriptions = BuildSubscriptions(random);
            string[] topics = BuildTopics(random);

            var index = new SubscriptionIndex<string>();
            long allocatedBefore = GC.GetTotalAllocatedBytes(true);
            var stopwatch = Stopwatch.StartNew();
            foreach (var (filter, subscriber) in subscriptions) index.Add(filter, subscriber);
            stopwatch.Stop();
            long treeBytes = GC.GetTotalAllocatedBytes(true) - allocatedBefore;
            runner.Note("built: " + index.Count.ToString("N0") + " subscriptions ("
                        + subscriptions.Count(s => MqttTopic.HasWildcards(s.Filter)).ToString("N0") + " with wildcards) in "
                        + stopwatch.ElapsedMilliseconds + " ms, " + (treeBytes / (1024 * 1024)) + " MiB allocated while adding");

            // Sanity: the index must give the same answer as the brute force before its speed means anything.
            var results = new List<string>(64);
            long totalResults = 0;
            for (int i = 0; i < 300; i++)
            {
                results.Clear();
                index.Match(topics[i], results);
                var expected = subscriptions.Where(s => MqttTopic.Matches(s.Filter, topics[i])).Select(s => s.Subscriber)
                    .OrderBy(s => s, StringComparer.Ordinal);
                if (!expected.SequenceEqual(results.OrderBy(s => s, StringComparer.Ordinal)))
                {
                    throw new InvalidOperationException("Index and MqttTopic.Matches disagree on '" + topics[i] + "'.");
                }
            }
            foreach (var topic in topics)
            {
                results.Clear();
                index.Match(topic, results);
                totalResults += results.Count;
            }
            runner.Note("verified against MqttTopic.Matches on 300 topics; " + TopicCount + " distinct published topics, "
                        + ((double)totalResults / TopicCount).ToString("F2") + " matching subscriptions per topic on average");

            runner.Measure("Match, 1 thread", n =>
            {
                long found = 0;
                var list = new List<string>(64);
                for (long i = 0; i < n; i++)
                {
                    list.Clear();
                    index.Match(topics[i & (TopicCount - 1)], list);
                    found += list.Count;
                }
                return found;
            });

            runner.MeasureParallel("Match, 2 threads (aggregate)", 2, (thread, n) =>
            {
                long found = 0;
                var list = new List<string>(64);
                for (long i = 0; i < n; i++)
                {
                    list.Clear();
                    index.Match(topics[(i + thread * 1000) & (TopicCount - 1)], list);
                    found += list.Count;
                }
                return found;
            });

            // The alternative design: the same tree behind a ReaderWriterLockSlim read lock.
            var readerWriterLock = new ReaderWriterLockSlim(LockRecursionPolicy.NoRecursion);
            runner.MeasureParallel("Match, 2 threads, inside a ReaderWriterLockSlim read lock", 2, (thread, n) =>
            {
                long found = 0;
                var list = new List<string>(64);
                for (long i = 0; i < n; i++)
                {
                    list.Clear();
                    readerWriterLock.EnterReadLock();
                    try
                    {
                        index.Match(topics[(i + thread * 1000) & (TopicCount - 1)], list);
                    }
                    finally
                    {
                        readerWriterLock.ExitReadLock();
                    }
                    found += list.Count;
                }
                return found;
            });

            MeasureUnderChurn(runner, index, topics, subscriptions, null);
            MeasureUnderChurn(runner, index, topics, subscriptions, readerWriterLock);

            var churnSubscriptions = subscriptions.Where((s, i) => i % 10 == 0).ToList();
            runner.Measure("Remove + Add (10% of the subscriptions, cycled)", n =>
            {
                long changed = 0;
                for (long i = 0; i < n; i++)
                {
                    var (filter, subscriber) = churnSubscriptions[(int)(i % churnSubscriptions.Count)];
                    if (index.Remove(filter, subscriber)) changed++;
                    if (index.Add(filter, subscriber)) changed++;
                }
                return changed;
            });
            if (index.Count != SubscriptionCount) throw new InvalidOperationException("Count drifted to " + index.Count);

            var naive = new SubstringDictionaryTree<string>();
            foreach (var (filter, subscriber) in subscriptions) naive.Add(filter, subscriber);
            runner.Measure("baseline: Dictionary+Substring tree, 1 thread, not thread-safe", n =>
            {
                long found = 0;
                var list = new List<string>(64);
                for (long i = 0; i < n; i++)
                {
                    list.Clear();
                    naive.Match(topics[i & (TopicCount - 1)], list);
                    found += list.Count;
                }
                return found;
            });

            var allFilters = subscriptions.Select(s => s.Filter).ToArray();
            runner.Measure("baseline: linear scan of all filters with MqttTopic.Matches", n =>
            {
                long found = 0;
                for (long i = 0; i < n; i++)
                {
                    string topic = topics[i & (TopicCount - 1)];
                    for (int f = 0; f < allFilters.Length; f++)
                    {
                        if (MqttTopic.Matches(allFilters[f], topic)) found++;
                    }
                }
                return found;
            });

            runner.Measure("MqttTopic.Matches, one filter against one topic", n =>
            {
                long found = 0;
                for (long i = 0; i < n; i++)
                {
                    if (MqttTopic.Matches(allFilters[i & 1023], topics[i & (TopicCount - 1)])) found++;
                }
                return found;
            });
        }

        /// <param name="readerWriterLock">null: the index as designed (lock-free readers). Otherwise the alternative
        /// design for comparison: readers take the read lock, the writer the write lock.</param>
        private static void MeasureUnderChurn(BenchmarkRunner runner, SubscriptionIndex<string> index, string[] topics,
            List<(string Filter, string Subscriber)> subscriptions, ReaderWriterLockSlim readerWriterLock)
        {
            // One writer thread keeps removing and re-adding subscriptions while the main thread matches.
            long writes = 0;
            bool stop = false;
            var writer = new Thread(() =>
            {
                int i = 0;
                while (!Volatile.Read(ref stop))
                {
                    var (filter, subscriber) = subscriptions[(int)((long)i * 7919 % subscriptions.Count)];
                    readerWriterLock?.EnterWriteLock();
                    index.Remove(filter, subscriber);
                    index.Add(filter, subscriber);
                    readerWriterLock?.ExitWriteLock();
                    writes += 2;
                    i++;
                }
            }) { IsBackground = true };
            var clock = Stopwatch.StartNew();
            writer.Start();
            try
            {
                string name = readerWriterLock == null
                    ? "Match, 1 thread, while another thread Removes/Adds"
                    : "Match, same churn, read lock vs write lock (RWLockSlim)";
                runner.Measure(name, n =>
                {
                    long found = 0;
                    var list = new List<string>(64);
                    for (long i = 0; i < n; i++)
                    {
                        list.Clear();
                        readerWriterLock?.EnterReadLock();
                        index.Match(topics[i & (TopicCount - 1)], list);
                        readerWriterLock?.ExitReadLock();
                        found += list.Count;
                    }
                    return found;
                });
            }
            finally
            {
                Volatile.Write(ref stop, true);
                writer.Join();
            }
            runner.Note("  (meanwhile the writer thread did " + (writes / clock.Elapsed.TotalSeconds).ToString("N0")
                        + " Add/Remove per second)");
        }

        private static List<(string Filter, string Subscriber)> BuildSubscriptions(Random random)
        {
            var list = new List<(string, string)>(SubscriptionCount);
            const int devices = 20_000;
            // 10,000 clients hold the subscriptions: a client's id is its subscriber identity.
            string Client(int i) => "client-" + (i % 10_000);
            int n = 0;
            for (int d = 0; d < devices; d++)
            {
                list.Add(("devices/" + d + "/sensors/temp", Client(n++)));
                list.Add(("devices/" + d + "/status", Client(n++)));
                list.Add(("devices/" + d + "/+/temp", Client(n++)));
                list.Add(("devices/" + d + "/#", Client(n++)));
            }
            for (int b = 0; b < 100; b++)
            for (int f = 0; f < 100; f++)
            {
                list.Add(("buildings/b" + b + "/floor/" + f + "/room/+/temperature", Client(n++)));
            }
            for (int d = 0; d < 5_000; d++)
            {
                list.Add(("+/" + d + "/status", Client(n++)));
            }
            for (int t = 0; t < 4_000; t++)
            {
                list.Add(("fleet/+/truck" + t + "/gps", Client(n++)));
            }
            list.Add(("#", "monitor-1"));
            list.Add(("#", "monitor-2"));
            list.Add(("$SYS/#", "monitor-1"));
            list.Add(("+/+/alarm", "alarm-desk"));
            list.Add(("alerts/#", "alarm-desk"));
            list.Add(("$SYS/broker/+/load", "ops"));
            while (list.Count < SubscriptionCount)
            {
                list.Add(("logs/app" + list.Count + "/" + (list.Count % 5 == 0 ? "+" : "error"), Client(n++)));
            }
            return list;
        }

        private static string[] BuildTopics(Random random)
        {
            var topics = new string[TopicCount];
            for (int i = 0; i < TopicCount; i++)
            {
                int kind = random.Next(100);
                topics[i] =
                    kind < 40 ? "devices/" + random.Next(25_000) + "/sensors/temp"
                    : kind < 60 ? "devices/" + random.Next(25_000) + "/status"
                    : kind < 75 ? "buildings/b" + random.Next(120) + "/floor/" + random.Next(100) + "/room/" + random.Next(50) + "/temperature"
                    : kind < 85 ? "fleet/eu-" + random.Next(10) + "/truck" + random.Next(5_000) + "/gps"
                    : kind < 90 ? "$SYS/broker/" + (random.Next(2) == 0 ? "cpu" : "net") + "/load"
                    : kind < 95 ? "alerts/site" + random.Next(100) + "/alarm"
                    : "weather/city" + random.Next(1_000) + "/now";
            }
            return topics;
        }
    }
}
