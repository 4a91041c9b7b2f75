using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using MqttPS.Core.Protocol;
using MqttPS.Core.Topics;
using Xunit;

namespace MqttPS.Core.Tests.Topics
{
    public class SubscriptionIndexTests
    {
        private static List<string> MatchAll(SubscriptionIndex<string> index, string topic)
        {
            var results = new List<string>();
            index.Match(topic, results);
            results.Sort(StringComparer.Ordinal);
            return results;
        }

        [Fact]
        public void Returns_every_matching_subscriber_once_per_filter()
        {
            var index = new SubscriptionIndex<string>();
            index.Add("sport/tennis/player1", "exact");
            index.Add("sport/tennis/+", "plus");
            index.Add("sport/#", "hash");
            index.Add("#", "all");
            index.Add("+/+/player1", "plusplus");
            index.Add("sport/golf/+", "golf");
            index.Add("sport/tennis/player1", "exact2");
            index.Add("sport/tennis/player1/#", "parent");   // '#' matches the parent level
            index.Add("sport/#", "exact");                   // the same subscriber through a second filter

            Assert.Equal(new[] { "all", "exact", "exact", "exact2", "hash", "parent", "plus", "plusplus" },
                MatchAll(index, "sport/tennis/player1"));
            Assert.Equal(new[] { "all", "exact", "golf", "hash" }, MatchAll(index, "sport/golf/x"));
            Assert.Equal(new[] { "all" }, MatchAll(index, "news"));
            Assert.Equal(9, index.Count);
        }

        [Fact]
        public void Add_twice_is_refused_and_remove_twice_is_refused()
        {
            var index = new SubscriptionIndex<string>();
            Assert.True(index.Add("a/+", "s"));
            Assert.False(index.Add("a/+", "s"));
            Assert.True(index.Add("a/+", "t"));
            Assert.Equal(2, index.Count);
            Assert.True(index.Remove("a/+", "s"));
            Assert.False(index.Remove("a/+", "s"));
            Assert.False(index.Remove("a/b", "t"));    // never subscribed to this filter
            Assert.False(index.Remove("a/#", "t"));
            Assert.False(index.Remove("", "t"));
            Assert.Equal(1, index.Count);
            Assert.Equal(new[] { "t" }, MatchAll(index, "a/x"));
        }

        [Fact]
        public void Uses_the_given_equality_comparer()
        {
            var index = new SubscriptionIndex<string>(StringComparer.OrdinalIgnoreCase);
            Assert.True(index.Add("a", "Client"));
            Assert.False(index.Add("a", "CLIENT"));
            Assert.True(index.Remove("a", "client"));
            Assert.Equal(0, index.Count);
        }

        [Theory]
        [InlineData("a/#/b")]
        [InlineData("a+")]
        [InlineData("")]
        [InlineData("a\0")]
        public void Add_rejects_invalid_filters(string filter)
        {
            var index = new SubscriptionIndex<string>();
            var exception = Assert.Throws<MqttProtocolException>(() => index.Add(filter, "s"));
            Assert.Equal(MqttReasonCode.TopicFilterInvalid, exception.ReasonCode);
            Assert.Equal(0, index.Count);
        }

        [Fact]
        public void Null_arguments_are_rejected()
        {
            var index = new SubscriptionIndex<string>();
            Assert.Throws<ArgumentNullException>(() => index.Add("a", null));
            Assert.Throws<ArgumentNullException>(() => index.Remove("a", null));
            Assert.Throws<ArgumentNullException>(() => index.Match(null, new List<string>()));
            Assert.Throws<ArgumentNullException>(() => index.Match("a", null));
        }

        [Fact]
        public void Remove_prunes_empty_nodes_and_keeps_the_rest()
        {
            var index = new SubscriptionIndex<string>();
            index.Add("a/b/c/d", "deep");
            index.Add("a/b", "shallow");
            index.Add("a/+/c/#", "wild");
            Assert.True(index.Remove("a/b/c/d", "deep"));
            Assert.Equal(new[] { "wild" }, MatchAll(index, "a/b/c/d"));
            Assert.Equal(new[] { "shallow" }, MatchAll(index, "a/b"));
            Assert.True(index.Remove("a/+/c/#", "wild"));
            Assert.True(index.Remove("a/b", "shallow"));
            Assert.Equal(0, index.Count);
            Assert.Empty(MatchAll(index, "a/b/c/d"));
            Assert.Equal(0, CountNodes(index));   // every node below the root is gone

            // The tree still works after having been emptied.
            index.Add("a/b", "again");
            Assert.Equal(new[] { "again" }, MatchAll(index, "a/b"));
        }

        [Fact]
        public void Many_siblings_survive_growth_and_shrinking_of_a_level()
        {
            var index = new SubscriptionIndex<string>();
            for (int i = 0; i < 5000; i++) Assert.True(index.Add("room/" + i + "/temp", "s" + i));
            for (int i = 0; i < 5000; i += 2) Assert.True(index.Remove("room/" + i + "/temp", "s" + i));
            for (int i = 0; i < 5000; i++)
            {
                var matched = MatchAll(index, "room/" + i + "/temp");
                Assert.Equal(i % 2 == 0 ? new string[0] : new[] { "s" + i }, matched.ToArray());
            }
            for (int i = 1; i < 5000; i += 2) Assert.True(index.Remove("room/" + i + "/temp", "s" + i));
            Assert.Equal(0, CountNodes(index));
        }

        [Fact]
        public void Clear_removes_everything()
        {
            var index = new SubscriptionIndex<string>();
            index.Add("#", "a");
            index.Add("x/y", "b");
            index.Clear();
            Assert.Equal(0, index.Count);
            Assert.Empty(MatchAll(index, "x/y"));
        }

        [Fact]
        public void Very_deep_topics_do_not_overflow_the_stack()
        {
            // 30,000 levels: recursion per level would overflow a thread-pool stack; the index walks iteratively.
            var filter = string.Join("/", Enumerable.Repeat("+", 30000));
            var topic = string.Join("/", Enumerable.Repeat("a", 30000));
            var index = new SubscriptionIndex<string>();
            index.Add(filter, "deep");
            index.Add("a/#", "hash");
            Assert.Equal(new[] { "deep", "hash" }, MatchAll(index, topic));
            Assert.True(MqttTopic.Matches(filter, topic));
        }

        [Fact]
        public void Match_does_not_allocate_beyond_the_results_list()
        {
            var index = new SubscriptionIndex<string>();
            for (int i = 0; i < 1000; i++)
            {
                index.Add("devices/" + i + "/+/temp", "a" + i);
                index.Add("devices/" + i + "/#", "b" + i);
                index.Add("devices/" + i + "/sensors/temp", "c" + i);
            }
            index.Add("+/+/sensors/temp", "any");
            var results = new List<string>(16);
            index.Match("devices/7/sensors/temp", results);   // warm up: thread-static frame stack, JIT
            results.Clear();

            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 1000; i++)
            {
                results.Clear();
                index.Match("devices/7/sensors/temp", results);
            }
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

            Assert.Equal(new[] { "a7", "any", "b7", "c7" }, results.OrderBy(s => s, StringComparer.Ordinal).ToArray());
            Assert.Equal(0, allocated);
        }

        /// <summary>
        /// Thousands of random filters and topics over a small alphabet (so that collisions, empty levels, '$' topics
        /// and wildcards at every position are frequent), compared with the brute-force answer of MqttTopic.Matches.
        /// Also removes a random half and checks again, which exercises pruning.
        /// </summary>
        [Fact]
        public void Random_cross_check_against_MqttTopic_Matches()
        {
            var random = new Random(20261122);
            string[] levels = { "a", "b", "c", "", "$s", "ab", "bé" };
            var filters = new HashSet<string>(StringComparer.Ordinal);
            while (filters.Count < 3000)
            {
                filters.Add(RandomFilter(random, levels));
            }
            var filterList = filters.ToList();

            var index = new SubscriptionIndex<string>();
            foreach (var filter in filterList) Assert.True(index.Add(filter, filter));
            Assert.Equal(filterList.Count, index.Count);

            var topics = new List<string>();
            for (int i = 0; i < 3000; i++) topics.Add(RandomTopic(random, levels));

            CrossCheck(index, filterList, topics);

            var removed = filterList.Where(_ => random.Next(2) == 0).ToList();
            foreach (var filter in removed) Assert.True(index.Remove(filter, filter));
            var remaining = filterList.Except(removed).ToList();
            Assert.Equal(remaining.Count, index.Count);
            CrossCheck(index, remaining, topics);

            foreach (var filter in remaining) Assert.True(index.Remove(filter, filter));
            Assert.Equal(0, index.Count);
            Assert.Equal(0, CountNodes(index));
        }

        private static void CrossCheck(SubscriptionIndex<string> index, List<string> filters, List<string> topics)
        {
            int totalMatches = 0;
            var results = new List<string>();
            foreach (var topic in topics)
            {
                results.Clear();
                index.Match(topic, results);
                results.Sort(StringComparer.Ordinal);
                var expected = filters.Where(f => MqttTopic.Matches(f, topic)).OrderBy(f => f, StringComparer.Ordinal).ToList();
                Assert.True(expected.SequenceEqual(results),
                    "topic '" + topic + "': expected [" + string.Join(", ", expected) + "] got [" + string.Join(", ", results) + "]");
                totalMatches += expected.Count;
            }
            // Guards against a generator that never produces matches (which would make the check vacuous).
            Assert.True(totalMatches > topics.Count, "only " + totalMatches + " matches");
        }

        private static string RandomFilter(Random random, string[] levels)
        {
            int count = 1 + random.Next(5);
            var parts = new List<string>();
            for (int i = 0; i < count; i++)
            {
                int pick = random.Next(levels.Length + 3);
                if (pick == levels.Length && i == count - 1) parts.Add("#");
                else if (pick >= levels.Length) parts.Add("+");
                else parts.Add(levels[pick]);
            }
            string filter = string.Join("/", parts);
            return filter.Length == 0 ? "c" : filter;   // an empty Topic Filter is invalid
        }

        private static string RandomTopic(Random random, string[] levels)
        {
            int count = 1 + random.Next(5);
            var parts = new List<string>();
            for (int i = 0; i < count; i++) parts.Add(levels[random.Next(levels.Length)]);
            string topic = string.Join("/", parts);
            return topic.Length == 0 ? "a" : topic;   // an empty Topic Name is invalid
        }

        /// <summary>
        /// Matchers run on several threads while writers add and remove subscriptions. Filters that are never touched
        /// must always be found (no torn reads, no lost nodes), the churned ones must be consistent at the end, and
        /// nothing may throw. Bounded by iteration count and by time.
        /// </summary>
        [Fact]
        public async Task Concurrent_add_remove_and_match()
        {
            var index = new SubscriptionIndex<string>();
            // Stable subscriptions share the branches that are being churned, so pruning and growth happen beside them.
            for (int i = 0; i < 200; i++) index.Add("site/" + i + "/+/temp", "stable" + i);
            index.Add("site/#", "stable-hash");

            var deadline = Stopwatch.StartNew();
            var limit = TimeSpan.FromSeconds(3);
            int writersDone = 0;
            var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();

            Task[] writers = Enumerable.Range(0, 2).Select(w => Task.Run(() =>
            {
                var random = new Random(100 + w);
                for (int round = 0; round < 20000 && deadline.Elapsed < limit; round++)
                {
                    int i = random.Next(200);
                    string filter = random.Next(3) switch
                    {
                        0 => "site/" + i + "/room" + random.Next(8) + "/temp",
                        1 => "site/" + i + "/#",
                        _ => "site/+/room" + random.Next(8) + "/+",
                    };
                    string subscriber = "churn" + w + "-" + random.Next(4);
                    if (!index.Add(filter, subscriber)) index.Remove(filter, subscriber);
                }
                Interlocked.Increment(ref writersDone);
            })).ToArray();

            Task[] readers = Enumerable.Range(0, 2).Select(r => Task.Run(() =>
            {
                var random = new Random(200 + r);
                var results = new List<string>();
                long matches = 0;
                while (Volatile.Read(ref writersDone) < writers.Length && deadline.Elapsed < limit + limit)
                {
                    int i = random.Next(200);
                    results.Clear();
                    index.Match("site/" + i + "/room" + random.Next(8) + "/temp", results);
                    if (!results.Contains("stable" + i) || !results.Contains("stable-hash"))
                    {
                        failures.Enqueue("site/" + i + ": missing a stable subscriber in [" + string.Join(",", results) + "]");
                    }
                    matches++;
                }
                return matches;
            })).ToArray();

            await Task.WhenAll(writers.Concat(readers));
            Assert.Empty(failures);

            // After the churn, the index must agree with a brute-force recount of what it claims to hold.
            var results2 = new List<string>();
            index.Match("site/5/room3/temp", results2);
            Assert.Contains("stable5", results2);
            Assert.Contains("stable-hash", results2);

            // Remove every churned subscription that can exist; only the stable ones may remain.
            for (int w = 0; w < 2; w++)
            for (int s = 0; s < 4; s++)
            for (int i = 0; i < 200; i++)
            {
                string subscriber = "churn" + w + "-" + s;
                index.Remove("site/" + i + "/#", subscriber);
                for (int room = 0; room < 8; room++)
                {
                    index.Remove("site/" + i + "/room" + room + "/temp", subscriber);
                    if (i == 0) index.Remove("site/+/room" + room + "/+", subscriber);
                }
            }
            Assert.Equal(201, index.Count);
        }

        private static int CountNodes(SubscriptionIndex<string> index)
        {
            // Reflection keeps the test independent of the node layout except for the two child fields.
            var rootField = typeof(SubscriptionIndex<string>).GetField("_root", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance);
            object root = rootField.GetValue(index);
            return CountBelow(root);
        }

        private static int CountBelow(object node)
        {
            var type = node.GetType();
            int count = 0;
            var single = type.GetField("SingleLevelChild").GetValue(node);
            if (single != null) count += 1 + CountBelow(single);
            var children = type.GetField("Children").GetValue(node);
            if (children != null)
            {
                var forEach = children.GetType().GetMethod("ForEach");
                var nodes = new List<object>();
                var actionType = forEach.GetParameters()[0].ParameterType;
                var collect = typeof(SubscriptionIndexTests).GetMethod(nameof(Collect), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)
                    .MakeGenericMethod(type);
                var action = collect.Invoke(null, new object[] { nodes });
                forEach.Invoke(children, new[] { action });
                foreach (var child in nodes) count += 1 + CountBelow(child);
            }
            return count;
        }

        private static Action<string, TNode> Collect<TNode>(List<object> into) => (key, value) => into.Add(value);
    }
}
