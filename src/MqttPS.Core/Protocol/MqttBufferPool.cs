using System;

namespace MqttPS.Core.Protocol
{
    /// <summary>
    /// A small thread-safe pool of byte arrays in power-of-two sizes (256 B .. 16 MiB). MqttPS.Core may not
    /// reference System.Buffers (assembly-load conflicts on Windows PowerShell 5.1), so it keeps its own.
    /// Arrays larger than the biggest bucket are allocated and left to the garbage collector.
    /// </summary>
    public sealed class MqttBufferPool
    {
        private const int MinimumBucketShift = 8;    // 256 B
        private const int MaximumBucketShift = 24;   // 16 MiB
        private const int SmallArraysPerBucket = 64; // up to 64 KiB
        private const int LargeArraysPerBucket = 4;

        public static readonly MqttBufferPool Shared = new MqttBufferPool();

        private readonly Bucket[] _buckets;

        public MqttBufferPool()
        {
            _buckets = new Bucket[MaximumBucketShift - MinimumBucketShift + 1];
            for (var i = 0; i < _buckets.Length; i++)
            {
                var shift = MinimumBucketShift + i;
                _buckets[i] = new Bucket(1 << shift, shift <= 16 ? SmallArraysPerBucket : LargeArraysPerBucket);
            }
        }

        /// <summary>The largest array length the pool keeps; longer requests are plain allocations.</summary>
        public static int MaximumPooledLength => 1 << MaximumBucketShift;

        /// <summary>Returns an array of at least <paramref name="minimumLength"/> bytes (contents undefined).</summary>
        public byte[] Rent(int minimumLength)
        {
            if (minimumLength < 0) throw new ArgumentOutOfRangeException(nameof(minimumLength));
            var index = BucketIndex(minimumLength);
            if (index < 0) return new byte[minimumLength];
            return _buckets[index].Take() ?? new byte[_buckets[index].ArrayLength];
        }

        /// <summary>Gives an array back. Arrays that did not come from a bucket (odd sizes) are dropped.</summary>
        public void Return(byte[] buffer)
        {
            if (buffer == null) return;
            var index = BucketIndex(buffer.Length);
            if (index < 0 || _buckets[index].ArrayLength != buffer.Length) return;
            _buckets[index].Put(buffer);
        }

        private static int BucketIndex(int length)
        {
            if (length > MaximumPooledLength) return -1;
            var shift = MinimumBucketShift;
            while ((1 << shift) < length) shift++;
            return shift - MinimumBucketShift;
        }

        private sealed class Bucket
        {
            private readonly byte[][] _arrays;
            private int _count;

            public Bucket(int arrayLength, int capacity)
            {
                ArrayLength = arrayLength;
                _arrays = new byte[capacity][];
            }

            public int ArrayLength { get; }

            public byte[] Take()
            {
                lock (_arrays)
                {
                    if (_count == 0) return null;
                    var array = _arrays[--_count];
                    _arrays[_count] = null;
                    return array;
                }
            }

            public void Put(byte[] array)
            {
                lock (_arrays)
                {
                    // A full bucket drops the array: the pool bounds what it holds on to.
                    if (_count < _arrays.Length) _arrays[_count++] = array;
                }
            }
        }
    }
}
