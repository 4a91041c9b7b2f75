using System;
using System.Collections.Generic;
using System.Threading;

namespace MqttPS.Core.Topics
{
    /// <summary>
    /// A topic tree of subscriptions: finds every subscriber whose Topic Filter matches a published Topic Name by
    /// walking only the branches the topic can reach (its literal level, the '+' child and the '#' subscribers at
    /// each level), so the cost of a match depends on the topic's depth and the matching filters, not on how many
    /// filters are stored.
    /// </summary>
    /// <remarks>
    /// <para>Thread-safety: any number of threads may call <see cref="Match"/> concurrently, without locks, while
    /// <see cref="Add"/>/<see cref="Remove"/> run; writers are serialised by a private lock. Writers never mutate
    /// anything a reader can see: subscriber lists are immutable arrays replaced copy-on-write and child maps are
    /// <see cref="TopicLevelMap{TValue}"/> (immutable chains). A Match that runs concurrently with an Add/Remove sees
    /// each filter's subscriber list either before or after the change. Matching is read-heavy in a broker (every
    /// PUBLISH) while subscribing is rare, which is why readers pay nothing (a ReaderWriterLockSlim would make every
    /// match write to the shared lock word); the benchmark program reports the figures.</para>
    /// <para>Filters are validated with <see cref="MqttTopic.ValidateTopicFilter"/>. Shared subscriptions should be
    /// added under their inner filter (<see cref="SharedSubscription.TopicFilter"/>); "$share/..." is otherwise just
    /// a filter whose first level is "$share".</para>
    /// <para>Match is consistent with <see cref="MqttTopic.Matches"/>, including '#' matching the parent level and
    /// [MQTT-4.7.2-1]: at the root, the '+' and '#' branches do not match topics that start with '$'.</para>
    /// </remarks>
    public sealed class SubscriptionIndex<T> where T : class
    {
        // Reused per thread so that matching a deep topic needs neither recursion (a topic may have ~32,000 levels;
        // recursion that deep could overflow the stack) nor a new array per call.
        [ThreadStatic] private static Frame[] t_frames;

        private readonly object _writeLock = new object();
        private readonly IEqualityComparer<T> _comparer;
        private Node _root = new Node(null, null);
        private int _count;

        public SubscriptionIndex()
            : this(null)
        {
        }

        /// <param name="comparer">Decides when two subscribers are the same (default: <see cref="EqualityComparer{T}.Default"/>).</param>
        public SubscriptionIndex(IEqualityComparer<T> comparer)
        {
            _comparer = comparer ?? EqualityComparer<T>.Default;
        }

        /// <summary>The number of (filter, subscriber) pairs stored.</summary>
        public int Count => Volatile.Read(ref _count);

        /// <summary>
        /// Adds <paramref name="subscriber"/> under <paramref name="filter"/>. True if it was new; false if that
        /// subscriber already had that filter (nothing changes). Throws <see cref="Protocol.MqttProtocolException"/>
        /// (0x8F) for an invalid filter.
        /// </summary>
        public bool Add(string filter, T subscriber)
        {
            if (subscriber == null) throw new ArgumentNullException(nameof(subscriber));
            MqttTopic.ValidateTopicFilter(filter);

            lock (_writeLock)
            {
                Node node = _root;
                int start = 0;
                while (true)
                {
                    int end = filter.IndexOf(MqttTopic.LevelSeparator, start);
                    if (end < 0) end = filter.Length;
                    int length = end - start;

                    if (length == 1 && filter[start] == MqttTopic.MultiLevelWildcard)
                    {
                        // '#' is always the last level: its subscribers hang off the parent node.
                        if (!TryAppend(ref node.MultiLevelSubscribers, subscriber)) return false;
                        break;
                    }

                    Node child;
                    if (length == 1 && filter[start] == MqttTopic.SingleLevelWildcard)
                    {
                        child = node.SingleLevelChild;
                        if (child == null)
                        {
                            child = new Node(node, null);
                            Volatile.Write(ref node.SingleLevelChild, child);
                        }
                    }
                    else
                    {
                        child = node.Children?.Get(filter, start, length);
                        if (child == null)
                        {
                            string level = filter.Substring(start, length);
                            child = new Node(node, level);
                            if (node.Children == null)
                            {
                                var children = new TopicLevelMap<Node>();
                                children.Add(level, child);
                                Volatile.Write(ref node.Children, children);
                            }
                            else
                            {
                                node.Children.Add(level, child);
                            }
                        }
                    }

                    node = child;
                    if (end == filter.Length)
                    {
                        if (!TryAppend(ref node.Subscribers, subscriber)) return false;
                        break;
                    }
                    start = end + 1;
                }

                Volatile.Write(ref _count, _count + 1);
                return true;
            }
        }

        /// <summary>Removes <paramref name="subscriber"/> from <paramref name="filter"/>; false if it was not there.
        /// Nodes left without subscribers or children are pruned.</summary>
        public bool Remove(string filter, T subscriber)
        {
            if (subscriber == null) throw new ArgumentNullException(nameof(subscriber));
            if (string.IsNullOrEmpty(filter)) return false;

            lock (_writeLock)
            {
                Node node = _root;
                int start = 0;
                bool removed;
                while (true)
                {
                    int end = filter.IndexOf(MqttTopic.LevelSeparator, start);
                    if (end < 0) end = filter.Length;
                    int length = end - start;

                    if (length == 1 && filter[start] == MqttTopic.MultiLevelWildcard && end == filter.Length)
                    {
                        removed = TryRemove(ref node.MultiLevelSubscribers, subscriber);
                        break;
                    }

                    Node child = length == 1 && filter[start] == MqttTopic.SingleLevelWildcard
                        ? node.SingleLevelChild
                        : node.Children?.Get(filter, start, length);
                    if (child == null) return false;

                    node = child;
                    if (end == filter.Length)
                    {
                        removed = TryRemove(ref node.Subscribers, subscriber);
                        break;
                    }
                    start = end + 1;
                }

                if (!removed) return false;
                Volatile.Write(ref _count, _count - 1);
                Prune(node);
                return true;
            }
        }

        /// <summary>Removes every subscription.</summary>
        public void Clear()
        {
            lock (_writeLock)
            {
                Volatile.Write(ref _root, new Node(null, null));
                Volatile.Write(ref _count, 0);
            }
        }

        /// <summary>
        /// Appends to <paramref name="results"/> every subscriber whose filter matches <paramref name="topic"/>, once per
        /// matching filter (a subscriber with two matching filters appears twice: the broker decides how to merge,
        /// e.g. by the highest QoS). Allocates nothing except when <paramref name="results"/> has to grow.
        /// </summary>
        public void Match(string topic, List<T> results)
        {
            if (topic == null) throw new ArgumentNullException(nameof(topic));
            if (results == null) throw new ArgumentNullException(nameof(results));

            Node root = Volatile.Read(ref _root);
            int topicLength = topic.Length;
            bool systemTopic = topicLength > 0 && topic[0] == '$';

            Frame[] frames = t_frames ?? (t_frames = new Frame[16]);
            int depth = 0;
            int highWater = 1;
            frames[depth++] = new Frame(root, 0);

            while (depth > 0)
            {
                Frame frame = frames[--depth];
                Node node = frame.Node;
                int start = frame.Start;

                // [MQTT-4.7.2-1] a filter starting with a wildcard does not match a topic starting with '$'.
                bool wildcardsAllowed = !(systemTopic && node == root);

                if (wildcardsAllowed)
                {
                    // '#' below this node matches the remaining one or more levels.
                    AddAll(Volatile.Read(ref node.MultiLevelSubscribers), results);
                }

                int end = topic.IndexOf(MqttTopic.LevelSeparator, start);
                if (end < 0) end = topicLength;

                TopicLevelMap<Node> children = Volatile.Read(ref node.Children);
                Node literal = children?.Get(topic, start, end - start);
                Node single = wildcardsAllowed ? Volatile.Read(ref node.SingleLevelChild) : null;

                if (end == topicLength)
                {
                    // Last level of the topic: exact filters end here, and "x/#" also matches "x" (the parent level).
                    if (literal != null)
                    {
                        AddAll(Volatile.Read(ref literal.Subscribers), results);
                        AddAll(Volatile.Read(ref literal.MultiLevelSubscribers), results);
                    }
                    if (single != null)
                    {
                        AddAll(Volatile.Read(ref single.Subscribers), results);
                        AddAll(Volatile.Read(ref single.MultiLevelSubscribers), results);
                    }
                }
                else
                {
                    if (depth + 2 > frames.Length)
                    {
                        Array.Resize(ref frames, frames.Length * 2);
                        t_frames = frames;
                    }
                    if (literal != null) frames[depth++] = new Frame(literal, end + 1);
                    if (single != null) frames[depth++] = new Frame(single, end + 1);
                    if (depth > highWater) highWater = depth;
                }
            }

            // Do not keep a huge array alive on the thread after one pathological topic, nor keep removed nodes
            // (and the subscribers they reference) reachable from a thread-static.
            if (frames.Length > 1024) t_frames = null;
            else Array.Clear(frames, 0, highWater);
        }

        private static void AddAll(T[] subscribers, List<T> results)
        {
            if (subscribers == null) return;
            for (int i = 0; i < subscribers.Length; i++)
            {
                results.Add(subscribers[i]);
            }
        }

        private bool TryAppend(ref T[] subscribers, T subscriber)
        {
            T[] current = subscribers;
            if (current == null)
            {
                Volatile.Write(ref subscribers, new[] { subscriber });
                return true;
            }
            for (int i = 0; i < current.Length; i++)
            {
                if (_comparer.Equals(current[i], subscriber)) return false;
            }
            var copy = new T[current.Length + 1];
            Array.Copy(current, copy, current.Length);
            copy[current.Length] = subscriber;
            Volatile.Write(ref subscribers, copy);
            return true;
        }

        private bool TryRemove(ref T[] subscribers, T subscriber)
        {
            T[] current = subscribers;
            if (current == null) return false;
            int index = -1;
            for (int i = 0; i < current.Length; i++)
            {
                if (_comparer.Equals(current[i], subscriber))
                {
                    index = i;
                    break;
                }
            }
            if (index < 0) return false;
            if (current.Length == 1)
            {
                Volatile.Write(ref subscribers, null);
                return true;
            }
            var copy = new T[current.Length - 1];
            Array.Copy(current, 0, copy, 0, index);
            Array.Copy(current, index + 1, copy, index, current.Length - index - 1);
            Volatile.Write(ref subscribers, copy);
            return true;
        }

        private void Prune(Node node)
        {
            // Detach empty nodes bottom-up. A reader that is inside a detached node only sees empty lists.
            while (node.Parent != null && node.IsEmpty)
            {
                Node parent = node.Parent;
                if (node.Level == null)
                {
                    Volatile.Write(ref parent.SingleLevelChild, null);
                }
                else
                {
                    parent.Children.Remove(node.Level);
                    if (parent.Children.Count == 0) Volatile.Write(ref parent.Children, null);
                }
                node = parent;
            }
        }

        private struct Frame
        {
            public readonly Node Node;
            public readonly int Start;

            public Frame(Node node, int start)
            {
                Node = node;
                Start = start;
            }
        }

        private sealed class Node
        {
            public readonly Node Parent;

            /// <summary>The literal level this node stands for; null for the root and for '+' nodes.</summary>
            public readonly string Level;

            /// <summary>Filters that end at this node.</summary>
            public T[] Subscribers;

            /// <summary>Filters that end with "/#" right below this node (or "#" at the root).</summary>
            public T[] MultiLevelSubscribers;

            public Node SingleLevelChild;
            public TopicLevelMap<Node> Children;

            public Node(Node parent, string level)
            {
                Parent = parent;
                Level = level;
            }

            public bool IsEmpty => Subscribers == null && MultiLevelSubscribers == null && SingleLevelChild == null
                                   && (Children == null || Children.Count == 0);
        }
    }
}
