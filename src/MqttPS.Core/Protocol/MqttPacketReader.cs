namespace MqttPS.Core.Protocol
{
    /// <summary>
    /// Reads MQTT data representations from one packet's bytes, checking every length against what is left
    /// before reading or allocating, so a hostile length is a Malformed Packet and never an
    /// IndexOutOfRangeException or a large allocation. A struct passed by ref: decoding allocates no reader.
    /// </summary>
    internal struct MqttPacketReader
    {
        private readonly byte[] _buffer;
        private readonly int _end;
        private readonly bool _strictStrings;
        private int _position;

        /// <summary>A reader over buffer[offset .. offset + count); <paramref name="strictStrings"/> also refuses
        /// control characters and non-characters in strings (server side).</summary>
        public MqttPacketReader(byte[] buffer, int offset, int count, bool strictStrings = false)
        {
            _buffer = buffer;
            _position = offset;
            _end = offset + count;
            _strictStrings = strictStrings;
        }

        public int Remaining => _end - _position;
        public int Position => _position;

        /// <summary>The length of the two length-prefixed strings at the current position, or 0 when they do not fit
        /// in the packet (reading them then reports the error).</summary>
        public int PeekStringPairLength()
        {
            if (_end - _position < 2) return 0;
            var second = _position + 2 + ((_buffer[_position] << 8) | _buffer[_position + 1]);
            if (second > _end - 2) return 0;
            var total = second + 2 + ((_buffer[second] << 8) | _buffer[second + 1]) - _position;
            return total <= _end - _position ? total : 0;
        }

        /// <summary>Whether the next <paramref name="count"/> bytes equal those at <paramref name="offset"/> of the same buffer.</summary>
        public bool NextBytesEqual(int offset, int count)
        {
            if (count > _end - _position) return false;
            for (var i = 0; i < count; i++) if (_buffer[_position + i] != _buffer[offset + i]) return false;
            return true;
        }

        public void Skip(int count)
        {
            if (count > _end - _position) throw Truncated("skipped bytes", count);
            _position += count;
        }
        public bool EndOfData => _position >= _end;

        public byte ReadByte(string what)
        {
            if (_position >= _end) throw Truncated(what, 1);
            return _buffer[_position++];
        }

        /// <summary>Two Byte Integer (section 1.5.2).</summary>
        public ushort ReadUInt16(string what)
        {
            if (_end - _position < 2) throw Truncated(what, 2);
            var value = (ushort)((_buffer[_position] << 8) | _buffer[_position + 1]);
            _position += 2;
            return value;
        }

        /// <summary>Four Byte Integer (section 1.5.3).</summary>
        public uint ReadUInt32(string what)
        {
            if (_end - _position < 4) throw Truncated(what, 4);
            var value = ((uint)_buffer[_position] << 24) | ((uint)_buffer[_position + 1] << 16)
                        | ((uint)_buffer[_position + 2] << 8) | _buffer[_position + 3];
            _position += 4;
            return value;
        }

        /// <summary>Variable Byte Integer (section 1.5.5).</summary>
        public uint ReadVariableByteInteger(string what)
        {
            var size = VariableByteInteger.TryRead(_buffer, _position, _end, out var value);
            if (size == 0)
                throw MqttProtocolErrors.Malformed(null, "the packet ends inside the variable byte integer of the " + what);
            _position += size;
            return value;
        }

        /// <summary>UTF-8 Encoded String (section 1.5.4), validated.</summary>
        public string ReadString(string what) => DecodeString(ReadStringLength(what));

        /// <summary>Reads a string's length prefix and checks that the string fits in the packet.</summary>
        public int ReadStringLength(string what)
        {
            var length = ReadLengthPrefix(what);
            if (length > _end - _position) throw LengthBeyondPacket(what, length);
            return length;
        }

        // The error message is built only on failure: decoding a PUBLISH allocates nothing but its results.
        private int ReadLengthPrefix(string what)
        {
            if (_end - _position < 2) throw Truncated(what + " length", 2);
            var length = (_buffer[_position] << 8) | _buffer[_position + 1];
            _position += 2;
            return length;
        }

        /// <summary>Validates and decodes the next <paramref name="length"/> bytes (checked by <see cref="ReadStringLength"/>).</summary>
        public string DecodeString(int length)
        {
            var value = MqttUtf8.Decode(_buffer, _position, length, _strictStrings);
            _position += length;
            return value;
        }

        /// <summary>Binary Data (section 1.5.6).</summary>
        public byte[] ReadBinaryData(string what)
        {
            var length = ReadLengthPrefix(what);
            if (length > _end - _position) throw LengthBeyondPacket(what, length);
            return ReadBytes(length);
        }

        public byte[] ReadRemainingBytes() => ReadBytes(_end - _position);

        private byte[] ReadBytes(int count)
        {
            if (count == 0) return EmptyBytes;
            var bytes = new byte[count];
            System.Buffer.BlockCopy(_buffer, _position, bytes, 0, count);
            _position += count;
            return bytes;
        }

        /// <summary>A reader over the next <paramref name="count"/> bytes, which this reader skips.</summary>
        public MqttPacketReader Slice(int count, string what)
        {
            if (count > _end - _position) throw LengthBeyondPacket(what, count);
            var slice = new MqttPacketReader(_buffer, _position, count, _strictStrings);
            _position += count;
            return slice;
        }

        internal static readonly byte[] EmptyBytes = System.Array.Empty<byte>();

        private MqttProtocolException Truncated(string what, int needed) =>
            MqttProtocolErrors.Malformed(null,
                "the packet ends before the " + what + " (" + needed + " bytes needed, " + (_end - _position) + " left)");

        private MqttProtocolException LengthBeyondPacket(string what, int length) =>
            MqttProtocolErrors.Malformed(null,
                "the " + what + " is " + length + " bytes long but only " + (_end - _position) + " bytes are left in the packet");
    }
}
