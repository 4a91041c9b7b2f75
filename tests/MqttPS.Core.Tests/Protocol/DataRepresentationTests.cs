using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using MqttPS.Core.Protocol;
using Xunit;

namespace MqttPS.Core.Tests.Protocol
{
    /// <summary>MQTT's data representations (section 1.5) and the pooled buffers the codec writes into.</summary>
    public class DataRepresentationTests
    {
        [Theory]
        [InlineData(0u, "00")]
        [InlineData(127u, "7F")]
        [InlineData(128u, "80 01")]
        [InlineData(16383u, "FF 7F")]
        [InlineData(16384u, "80 80 01")]
        [InlineData(2097151u, "FF FF 7F")]
        [InlineData(2097152u, "80 80 80 01")]
        [InlineData(268435455u, "FF FF FF 7F")]
        public void Variable_byte_integers_use_the_minimum_number_of_bytes(uint value, string hex)
        {
            using (var writer = new MqttBufferWriter())
            {
                writer.WriteVariableByteInteger(value);
                Assert.Equal(PacketAssert.Bytes(hex), writer.ToArray());
                Assert.Equal(writer.Length, VariableByteInteger.GetSize(value));
                Assert.Equal(writer.Length, VariableByteInteger.TryRead(writer.Buffer, 0, writer.Length, out var read));
                Assert.Equal(value, read);
                // One byte short: more data needed, not an error.
                Assert.Equal(0, VariableByteInteger.TryRead(writer.Buffer, 0, writer.Length - 1, out _));
            }
        }

        [Fact]
        public void Variable_byte_integer_beyond_the_maximum_is_refused()
        {
            using (var writer = new MqttBufferWriter())
            {
                Assert.Throws<MqttProtocolException>(() => writer.WriteVariableByteInteger(268435456));
                Assert.Equal(0, writer.Length);
            }
        }

        [Fact]
        public void Primitive_writers_are_big_endian()
        {
            using (var writer = new MqttBufferWriter(1))
            {
                writer.WriteByte(0x01);
                writer.WriteUInt16(0x0203);
                writer.WriteUInt32(0x04050607);
                writer.WriteBinaryData(new byte[] { 0xAA });
                writer.WriteString("é");
                writer.WriteStringPair("k", "v");
                writer.WriteBinaryData(null);
                writer.WriteString(null);
                Assert.Equal(PacketAssert.Bytes("01 02 03 04 05 06 07 00 01 AA 00 02 C3 A9 00 01 6B 00 01 76 00 00 00 00"), writer.ToArray());
                Assert.Equal(writer.Length, writer.WrittenSegment.Count);
            }
        }

        [Fact]
        public void Strings_round_trip_through_every_utf8_length()
        {
            // 1, 2, 3 and 4-byte sequences, including a surrogate pair in UTF-16.
            const string text = "a/é/€/😀/z";
            using (var writer = new MqttBufferWriter())
            {
                writer.WriteString(text);
                var bytes = writer.ToArray();
                Assert.Equal(Encoding.UTF8.GetByteCount(text), (bytes[0] << 8) | bytes[1]);
                var reader = new MqttPacketReader(bytes, 0, bytes.Length, strictStrings: true);
                Assert.Equal(text, reader.ReadString("test string"));
                Assert.True(reader.EndOfData);
            }
        }

        [Fact]
        public void Writer_grows_keeping_its_content_and_returns_the_array_to_the_pool()
        {
            var pool = new MqttBufferPool();
            var writer = new MqttBufferWriter(16, pool);
            var data = Enumerable.Range(0, 10000).Select(i => (byte)i).ToArray();
            writer.WriteBytes(data, 0, 100);
            writer.WriteBytes(data, 100, 9900);
            Assert.Equal(data, writer.ToArray());
            var array = writer.Buffer;
            writer.Dispose();
            Assert.Same(array, pool.Rent(array.Length)); // the pooled array is handed out again
            Assert.Throws<ObjectDisposedException>(() => writer.Buffer);
        }

        [Fact]
        public void Truncate_drops_bytes_after_a_mark()
        {
            using (var writer = new MqttBufferWriter())
            {
                writer.WriteUInt32(1);
                writer.Truncate(2);
                Assert.Equal(2, writer.Length);
                Assert.Throws<ArgumentOutOfRangeException>(() => writer.Truncate(3));
            }
        }

        [Fact]
        public void Pool_rents_sizes_in_buckets_and_drops_foreign_arrays()
        {
            var pool = new MqttBufferPool();
            var rented = pool.Rent(300);
            Assert.Equal(512, rented.Length);
            pool.Return(rented);
            Assert.Same(rented, pool.Rent(257));

            pool.Return(new byte[300]); // not a bucket size: not kept
            Assert.Equal(512, pool.Rent(300).Length);

            var huge = pool.Rent(MqttBufferPool.MaximumPooledLength + 1);
            Assert.Equal(MqttBufferPool.MaximumPooledLength + 1, huge.Length);
            Assert.Throws<ArgumentOutOfRangeException>(() => pool.Rent(-1));
        }

        [Fact]
        public void Pool_never_hands_out_one_array_twice_across_threads()
        {
            var pool = new MqttBufferPool();
            var owners = new ConcurrentDictionary<byte[], int>(new ReferenceComparer());
            var clash = 0;
            Parallel.For(0, 4, worker =>
            {
                for (var i = 0; i < 20000; i++)
                {
                    var array = pool.Rent(1024);
                    if (!owners.TryAdd(array, worker)) System.Threading.Interlocked.Increment(ref clash);
                    owners.TryRemove(array, out _);
                    pool.Return(array);
                }
            });
            Assert.Equal(0, clash);
        }

        private sealed class ReferenceComparer : IEqualityComparer<byte[]>
        {
            public bool Equals(byte[] x, byte[] y) => ReferenceEquals(x, y);
            public int GetHashCode(byte[] obj) => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj);
        }
    }
}
