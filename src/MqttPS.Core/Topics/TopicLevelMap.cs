using System;
using System.Threading;

namespace MqttPS.Core.Topics
{
    /// <summary>
    /// A hash map from topic level (a string) to a child node, looked up by a slice of a topic string, so that
    /// matching a published topic never allocates a substring per level.
    /// </summary>
    /// <remarks>
    /// Concurrency contract: one writer at a time (the owner serialises <see cref="Add"/> and <see cref="Remove"/>
    /// under its lock) and any number of concurrent readers without locks. Chains are immutable: a writer builds
    /// new entries and publishes them with a volatile write of a bucket head or of the whole bucket array, so a
    /// reader sees either the old or the new chain, never a torn one. (System.Collections.Generic.Dictionary gives
    /// no such guarantee, and netstandard2.0 has no span-keyed lookup.)
    /// Hashes are seeded per process so that clients cannot precompute colliding level names.
    /// </remarks>
    internal sealed class TopicLevelMap<TValue> where TValue : class
    {
        private static readonly uint Seed = (uint)Guid.NewGuid().GetHashCode();

        private Entry[] _buckets = new Entry[2];
        private int _count;

        public int Count => Volatile.Read(ref _count);

        /// <summary>Lock-free lookup of the level <c>text[start .. start+length)</c>; null when absent.</summary>
        public TValue Get(string text, int start, int length)
        {
            Entry[] buckets = Volatile.Read(ref _buckets);
            uint hash = Hash(text, start, length);
            Entry entry = Volatile.Read(ref buckets[(int)(hash & (uint)(buckets.Length - 1))]);
            while (entry != null)
            {
                if (entry.Hash == hash && entry.Key.Length == length
                    && string.CompareOrdinal(entry.Key, 0, text, start, length) == 0)
                {
                    return entry.Value;
                }
                entry = entry.Next;
            }
            return null;
        }

        public TValue Get(string key) => Get(key, 0, key.Length);

        /// <summary>Writer only. Adds a key that is not present yet.</summary>
        public void Add(string key, TValue value)
        {
            if (_count + 1 > _buckets.Length)
            {
                Grow();
            }
            uint hash = Hash(key, 0, key.Length);
            Entry[] buckets = _buckets;
            int index = (int)(hash & (uint)(buckets.Length - 1));
            Volatile.Write(ref buckets[index], new Entry(key, hash, value, buckets[index]));
            Volatile.Write(ref _count, _count + 1);
        }

        /// <summary>Writer only. Removes a key; false when it was absent.</summary>
        public bool Remove(string key)
        {
            uint hash = Hash(key, 0, key.Length);
            Entry[] buckets = _buckets;
            int index = (int)(hash & (uint)(buckets.Length - 1));
            Entry head = buckets[index];
            Entry found = head;
            while (found != null && !(found.Hash == hash && string.Equals(found.Key, key, StringComparison.Ordinal)))
            {
                found = found.Next;
            }
            if (found == null)
            {
                return false;
            }

            // Rebuild the part of the chain before the removed entry (entries are immutable; readers may be walking it).
            Entry rebuilt = found.Next;
            rebuilt = CopyUntil(head, found, rebuilt);
            Volatile.Write(ref buckets[index], rebuilt);
            Volatile.Write(ref _count, _count - 1);

            if (_buckets.Length > 8 && _count < _buckets.Length / 4)
            {
                Resize(_buckets.Length / 2);
            }
            return true;
        }

        /// <summary>Writer only (or a reader that tolerates a snapshot): visits every value.</summary>
        public void ForEach(Action<string, TValue> action)
        {
            Entry[] buckets = Volatile.Read(ref _buckets);
            for (int i = 0; i < buckets.Length; i++)
            {
                for (Entry e = Volatile.Read(ref buckets[i]); e != null; e = e.Next)
                {
                    action(e.Key, e.Value);
                }
            }
        }

        private static Entry CopyUntil(Entry from, Entry stop, Entry tail)
        {
            if (from == stop)
            {
                return tail;
            }
            return new Entry(from.Key, from.Hash, from.Value, CopyUntil(from.Next, stop, tail));
        }

        private void Grow() => Resize(_buckets.Length * 2);

        private void Resize(int size)
        {
            var resized = new Entry[size];
            Entry[] old = _buckets;
            for (int i = 0; i < old.Length; i++)
            {
                for (Entry e = old[i]; e != null; e = e.Next)
                {
                    int index = (int)(e.Hash & (uint)(size - 1));
                    resized[index] = new Entry(e.Key, e.Hash, e.Value, resized[index]);
                }
            }
            // Readers holding the old array keep a complete, consistent snapshot.
            Volatile.Write(ref _buckets, resized);
        }

        private static uint Hash(string text, int start, int length)
        {
            // FNV-1a over UTF-16 code units with a random basis, then a murmur3-style finaliser for the low bits
            // that select the bucket.
            uint hash = 2166136261u ^ Seed;
            int end = start + length;
            for (int i = start; i < end; i++)
            {
                hash = (hash ^ text[i]) * 16777619u;
            }
            hash ^= hash >> 16;
            hash *= 0x85EBCA6Bu;
            hash ^= hash >> 13;
            hash *= 0xC2B2AE35u;
            hash ^= hash >> 16;
            return hash;
        }

        private sealed class Entry
        {
            public readonly string Key;
            public readonly uint Hash;
            public readonly TValue Value;
            public readonly Entry Next;

            public Entry(string key, uint hash, TValue value, Entry next)
            {
                Key = key;
                Hash = hash;
                Value = value;
                Next = next;
            }
        }
    }
}
