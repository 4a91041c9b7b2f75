using System;

namespace MqttPS.Core.Protocol
{
    /// <summary>
    /// A growable byte buffer over arrays rented from <see cref="MqttBufferPool"/>, with writers for MQTT's data
    /// representations (section 1.5). One writer is reused for many packets: <see cref="Reset"/> between them,
    /// <see cref="Dispose"/> at the end gives the array back. Not thread-safe.
    /// </summary>
    public sealed class MqttBufferWriter : IDisposable
    {
        private readonly MqttBufferPool _pool;
        private byte[] _buffer;
        private int _length;

        public MqttBufferWriter(int initialCapacity = 256) : this(initialCapacity, MqttBufferPool.Shared) { }

        public MqttBufferWriter(int initialCapacity, MqttBufferPool pool)
        {
            if (initialCapacity < 0) throw new ArgumentOutOfRangeException(nameof(initialCapacity));
            _pool = pool ?? throw new ArgumentNullException(nameof(pool));
            _buffer = _pool.Rent(Math.Max(initialCapacity, 16));
        }

        /// <summary>The underlying array; valid bytes are [0, Length). Changes when the writer grows.</summary>
        public byte[] Buffer => _buffer ?? throw new ObjectDisposedException(nameof(MqttBufferWriter));

        public int Length => _length;

        public ArraySegment<byte> WrittenSegment => new ArraySegment<byte>(Buffer, 0, _length);

        public void Reset() => _length = 0;

        /// <summary>Drops bytes written after <paramref name="length"/>.</summary>
        public void Truncate(int length)
        {
            if (length < 0 || length > _length) throw new ArgumentOutOfRangeException(nameof(length));
            _length = length;
        }

        public byte[] ToArray()
        {
            var copy = new byte[_length];
            System.Buffer.BlockCopy(Buffer, 0, copy, 0, _length);
            return copy;
        }

        /// <summary>Makes room for <paramref name="count"/> more bytes without further growth.</summary>
        public void EnsureCapacity(int count)
        {
            var buffer = Buffer;
            var required = (long)_length + count;
            if (required <= buffer.Length) return;
            if (required > int.MaxValue) throw new InvalidOperationException("MQTT buffer would exceed 2 GiB");
            var newSize = Math.Max((long)buffer.Length * 2, required);
            if (newSize > int.MaxValue) newSize = required;
            var larger = _pool.Rent((int)newSize);
            System.Buffer.BlockCopy(buffer, 0, larger, 0, _length);
            _pool.Return(buffer);
            _buffer = larger;
        }

        public void WriteByte(byte value)
        {
            EnsureCapacity(1);
            _buffer[_length++] = value;
        }

        /// <summary>Two Byte Integer, big-endian (section 1.5.2).</summary>
        public void WriteUInt16(ushort value)
        {
            EnsureCapacity(2);
            _buffer[_length++] = (byte)(value >> 8);
            _buffer[_length++] = (byte)value;
        }

        /// <summary>Four Byte Integer, big-endian (section 1.5.3).</summary>
        public void WriteUInt32(uint value)
        {
            EnsureCapacity(4);
            _buffer[_length++] = (byte)(value >> 24);
            _buffer[_length++] = (byte)(value >> 16);
            _buffer[_length++] = (byte)(value >> 8);
            _buffer[_length++] = (byte)value;
        }

        /// <summary>Variable Byte Integer (section 1.5.5), 0 .. 268,435,455.</summary>
        public void WriteVariableByteInteger(uint value)
        {
            if (value > VariableByteInteger.MaximumValue)
                throw MqttProtocolErrors.Malformed("MQTT-1.5.5", "value " + value + " does not fit a variable byte integer");
            EnsureCapacity(VariableByteInteger.MaximumSize);
            _length += VariableByteInteger.Write(_buffer, _length, value);
        }

        public void WriteBytes(byte[] data, int offset, int count)
        {
            if (count == 0) return;
            EnsureCapacity(count);
            System.Buffer.BlockCopy(data, offset, _buffer, _length, count);
            _length += count;
        }

        /// <summary>Binary Data (section 1.5.6): two-byte length, then the bytes. Null is written as empty.</summary>
        public void WriteBinaryData(byte[] data)
        {
            var count = data?.Length ?? 0;
            if (count > 65535)
                throw MqttProtocolErrors.Malformed("MQTT-1.5.6", "binary data of " + count + " bytes; the maximum is 65,535");
            WriteUInt16((ushort)count);
            if (count > 0) WriteBytes(data, 0, count);
        }

        /// <summary>UTF-8 Encoded String (section 1.5.4); validated, null is written as empty.</summary>
        public void WriteString(string value)
        {
            value = value ?? string.Empty;
            WriteValidatedString(value, MqttUtf8.GetValidatedByteCount(value, "string"));
        }

        /// <summary>UTF-8 String Pair (section 1.5.7).</summary>
        public void WriteStringPair(string name, string value)
        {
            WriteString(name);
            WriteString(value);
        }

        /// <summary>Writes a string whose UTF-8 byte count the caller validated with MqttUtf8.</summary>
        internal void WriteValidatedString(string value, int byteCount)
        {
            EnsureCapacity(2 + byteCount);
            _buffer[_length++] = (byte)(byteCount >> 8);
            _buffer[_length++] = (byte)byteCount;
            _length += MqttUtf8.Write(value, _buffer, _length);
        }

        /// <summary>Returns the array to the pool; the writer is unusable afterwards.</summary>
        public void Dispose()
        {
            var buffer = _buffer;
            _buffer = null;
            _length = 0;
            if (buffer != null) _pool.Return(buffer);
        }
    }
}
