using System.Collections.Generic;

namespace MqttPS.Benchmarks
{
    /// <summary>
    /// Baseline for the index suite, not product code: the textbook topic tree with a Dictionary&lt;string, Node&gt;
    /// per level, looked up with topic.Substring(...) per level and no thread-safety. It shows what
    /// SubscriptionIndex's slice-keyed, lock-free TopicLevelMap saves (time and allocations per match).
    /// </summary>
    internal sealed class SubstringDictionaryTree<T> where T : class
    {
        private readonly Node _root = new Node();

        public void Add(string filter, T subscriber)
        {
            Node node = _root;
            string[] levels = filter.Split('/');
            for (int i = 0; i < levels.Length; i++)
            {
                string level = levels[i];
                if (level == "#")
                {
                    node.MultiLevel.Add(subscriber);
                    return;
                }
                if (!node.Children.TryGetValue(level, out Node child))
                {
                    child = new Node();
                    node.Children.Add(level, child);
                }
                node = child;
            }
            node.Subscribers.Add(subscriber);
        }

        public void Match(string topic, List<T> results)
        {
            Match(_root, topic, 0, true, topic.Length > 0 && topic[0] == '$', results);
        }

        private static void Match(Node node, string topic, int start, bool isRoot, bool systemTopic, List<T> results)
        {
            bool wildcards = !(isRoot && systemTopic);
            if (wildcards) results.AddRange(node.MultiLevel);
            int end = topic.IndexOf('/', start);
            if (end < 0) end = topic.Length;
            string level = topic.Substring(start, end - start);

            if (node.Children.TryGetValue(level, out Node literal)) Next(literal, topic, end, systemTopic, results);
            if (wildcards && node.Children.TryGetValue("+", out Node single)) Next(single, topic, end, systemTopic, results);
        }

        private static void Next(Node child, string topic, int end, bool systemTopic, List<T> results)
        {
            if (end == topic.Length)
            {
                results.AddRange(child.Subscribers);
                results.AddRange(child.MultiLevel);
            }
            else
            {
                Match(child, topic, end + 1, false, systemTopic, results);
            }
        }

        private sealed class Node
        {
            public readonly Dictionary<string, Node> Children = new Dictionary<string, Node>();
            public readonly List<T> Subscribers = new List<T>();
            public readonly List<T> MultiLevel = new List<T>();
        }
    }
}
