using System;

namespace MqttPS.Core.Protocol
{
    /// <summary>
    /// Incremental decoder, one per connection (not thread-safe). Bytes arrive in any fragmentation, either
    /// read straight into <see cref="GetReceiveBuffer"/> and then <see cref="Commit"/>ted, or copied in with
    /// <see cref="Append"/>; <see cref="TryDecode"/> yields whole packets.
    /// </summary>
    /// <remarks>
    /// Unconsumed bytes live in one pooled array between a start and an end index; decoding moves the start
    /// and the array is compacted only when room is needed at its end. The fixed header is checked as soon as
    /// it is complete: a packet larger than <see cref="MaximumPacketSize"/> is refused (0x95) before its body
    /// is buffered, and the buffer only ever grows with bytes that actually arrived, never with a declared length.
    /// After an exception the decoder stays faulted: the connection must be closed.
    /// </remarks>
    public sealed class MqttPacketDecoder : IDisposable
    {
        private const int DefaultBufferSize = 4096;
        private const int LargeBufferSize = 64 * 1024;
        // Buffers up to this size come from and go back to the pool; larger ones (a large packet) are allocated for
        // it and dropped afterwards, so one large packet does not leave big arrays parked in the pool for good.
        private const int PooledBufferLimit = LargeBufferSize;
        // A buffer this large is given up as soon as the packet that needed it is decoded.
        private const int KeepLargeBufferLimit = 1024 * 1024;
        // How much room beyond what the caller asked for GetReceiveBuffer offers towards a large pending
        // packet: bounded so that a declared length alone never triggers a big allocation.
        private const int MaximumReadAhead = 64 * 1024;
        // Stands in for the buffer while an empty decoder holds none (see ReleaseBufferIfEmpty).
        private static readonly byte[] NoBuffer = new byte[0];

        private readonly MqttBufferPool _pool;
        private byte[] _buffer;
        private int _start;
        private int _end;
        private long _pendingPacketSize;
        private MqttProtocolException _fault;

        public MqttPacketDecoder(MqttProtocolVersion? version = null, uint maximumPacketSize = 0)
            : this(version, maximumPacketSize, MqttBufferPool.Shared)
        {
        }

        public MqttPacketDecoder(MqttProtocolVersion? version, uint maximumPacketSize, MqttBufferPool pool)
        {
            _pool = pool ?? throw new ArgumentNullException(nameof(pool));
            ProtocolVersion = version;
            IsServer = version == null;
            MaximumPacketSize = maximumPacketSize;
            _buffer = Rent(DefaultBufferSize);
        }

        /// <summary>
        /// The version packets are decoded with. Null on the server side before CONNECT: the first packet must
        /// then be CONNECT, and its protocol level sets this property (even when the rest of that CONNECT turns
        /// out malformed, so the server knows which CONNACK form to answer with).
        /// </summary>
        public MqttProtocolVersion? ProtocolVersion { get; set; }

        /// <summary>
        /// True when decoding what a client sends to a server (the default when constructed without a version):
        /// CONNACK, SUBACK, UNSUBACK and PINGRESP are then Protocol Errors, a PUBLISH must not carry a
        /// Subscription Identifier, and strings with control characters or non-characters are Malformed (as
        /// mosquitto treats them). False: decoding what a server sends to a client (CONNECT, SUBSCRIBE,
        /// UNSUBSCRIBE and PINGREQ are Protocol Errors).
        /// </summary>
        public bool IsServer { get; set; }

        /// <summary>Largest accepted packet in bytes, fixed header included; 0 means the protocol maximum.</summary>
        public uint MaximumPacketSize { get; set; }

        public int BufferedBytes => _end - _start;

        /// <summary>True while the decoder holds a pooled receive buffer (false after <see cref="ReleaseBufferIfEmpty"/>
        /// until bytes arrive again).</summary>
        public bool HoldsBuffer => _buffer != null && _buffer.Length > 0;

        /// <summary>
        /// Gives the receive buffer back to the pool if no bytes are buffered (a partial packet is always kept);
        /// the next <see cref="GetReceiveBuffer"/> or <see cref="Append"/> rents one again. For a connection that
        /// goes idle: call it when the next read is not already satisfied, not per packet, so a busy connection
        /// keeps its buffer. Returns true if a buffer was released.
        /// </summary>
        public bool ReleaseBufferIfEmpty()
        {
            var buffer = Buffer;
            if (_end != _start || buffer.Length == 0) return false;
            _start = _end = 0;
            _buffer = NoBuffer;
            Return(buffer);
            return true;
        }

        /// <summary>The size in bytes of the packet the last successful <see cref="TryDecode"/> returned.</summary>
        public int LastPacketSize { get; private set; }

        /// <summary>
        /// Free space at the end of the buffer, at least <paramref name="minimumSize"/> bytes, to read socket data
        /// into; follow with <see cref="Commit"/>. The segment is valid until the next call on this decoder.
        /// </summary>
        public ArraySegment<byte> GetReceiveBuffer(int minimumSize = DefaultBufferSize)
        {
            if (minimumSize < 1) throw new ArgumentOutOfRangeException(nameof(minimumSize));
            var wanted = minimumSize;
            if (_pendingPacketSize > 0)
            {
                var missing = _pendingPacketSize - (_end - _start);
                if (missing > wanted) wanted = (int)Math.Min(missing, Math.Max(wanted, MaximumReadAhead));
            }
            EnsureFreeSpace(wanted);
            return new ArraySegment<byte>(Buffer, _end, _buffer.Length - _end);
        }

        /// <summary>Accounts for <paramref name="count"/> bytes written into the last receive buffer.</summary>
        public void Commit(int count)
        {
            if (count < 0 || count > Buffer.Length - _end) throw new ArgumentOutOfRangeException(nameof(count));
            _end += count;
        }

        /// <summary>Copies received bytes in.</summary>
        public void Append(byte[] data, int offset, int count)
        {
            if (data == null) throw new ArgumentNullException(nameof(data));
            if (offset < 0 || count < 0 || offset > data.Length - count) throw new ArgumentOutOfRangeException(nameof(count));
            if (count == 0) return;
            EnsureFreeSpace(count);
            System.Buffer.BlockCopy(data, offset, _buffer, _end, count);
            _end += count;
        }

        /// <summary>
        /// Decodes the next whole packet if one is buffered. Throws <see cref="MqttProtocolException"/> on a
        /// malformed or protocol-violating packet, or one larger than <see cref="MaximumPacketSize"/>.
        /// </summary>
        public bool TryDecode(out MqttPacket packet)
        {
            packet = null;
            if (_fault != null) throw _fault;
            try
            {
                return TryDecodeCore(out packet);
            }
            catch (MqttProtocolException exception)
            {
                _fault = exception;
                throw;
            }
        }

        private bool TryDecodeCore(out MqttPacket packet)
        {
            packet = null;
            var buffer = Buffer;
            var available = _end - _start;
            if (available == 0)
            {
                ReleaseLargeBuffer();
                return false;
            }
            var firstByte = buffer[_start];
            MqttFixedHeader.ValidateType(firstByte, ProtocolVersion);
            var headerSize = MqttFixedHeader.ReadRemainingLength(buffer, _start + 1, _end, out var remainingLength);
            if (headerSize == 0) return false;
            var role = IsServer ? MqttDecodeRole.Server : MqttDecodeRole.Client;
            MqttFixedHeader.ValidateFirstByte(firstByte, ProtocolVersion, role);
            var packetSize = 1L + headerSize + remainingLength;
            if (MaximumPacketSize != 0 && packetSize > MaximumPacketSize)
            {
                throw MqttProtocolErrors.Create(MqttReasonCode.PacketTooLarge, null, "a " + MqttPropertyRules.PacketName((MqttPacketType)(firstByte >> 4))
                    + " of " + packetSize + " bytes exceeds the maximum packet size of " + MaximumPacketSize + " bytes");
            }
            if (available < packetSize)
            {
                _pendingPacketSize = packetSize;
                return false;
            }

            var bodyOffset = _start + 1 + headerSize;
            if (ProtocolVersion == null) PeekConnectVersion(buffer, bodyOffset, (int)remainingLength);
            packet = MqttPacketParser.ParseBody(firstByte, buffer, bodyOffset, (int)remainingLength, ProtocolVersion, role);

            _start += (int)packetSize;
            _pendingPacketSize = 0;
            LastPacketSize = (int)packetSize;
            if (_start == _end) _start = _end = 0;
            return true;
        }

        /// <summary>Takes the version from a CONNECT's protocol level before the rest of it is validated.</summary>
        private void PeekConnectVersion(byte[] buffer, int offset, int count)
        {
            var reader = new MqttPacketReader(buffer, offset, count);
            try
            {
                ProtocolVersion = ConnectPacketCodec.ReadProtocolVersion(ref reader, out _);
            }
            catch (MqttProtocolException)
            {
                // Reported by the full parse that follows.
            }
        }

        private byte[] Buffer => _buffer ?? throw new ObjectDisposedException(nameof(MqttPacketDecoder));

        private void EnsureFreeSpace(int count)
        {
            var buffer = Buffer;
            if (buffer.Length - _end >= count) return;
            if (buffer.Length == 0)
            {
                // Released while empty: rent again, at least the usual size so small reads do not grow it stepwise.
                _buffer = Rent(Math.Max(count, DefaultBufferSize));
                _start = _end = 0;
                return;
            }
            var used = _end - _start;
            if (_start > 0 && buffer.Length - used >= count)
            {
                System.Buffer.BlockCopy(buffer, _start, buffer, 0, used);
                _start = 0;
                _end = used;
                return;
            }
            var required = (long)used + count;
            if (required > int.MaxValue) throw new InvalidOperationException("MQTT receive buffer would exceed 2 GiB");
            // Doubling keeps the copies linear, but never beyond the packet being received (whose declared size was
            // checked against the maximum): the buffer grows with what arrives and ends at the packet's size.
            var size = (long)buffer.Length * 2;
            if (_pendingPacketSize > 0 && size > _pendingPacketSize) size = _pendingPacketSize;
            size = Math.Min(int.MaxValue, Math.Max(required, size));
            var larger = Rent((int)size);
            System.Buffer.BlockCopy(buffer, _start, larger, 0, used);
            Return(buffer);
            _buffer = larger;
            _start = 0;
            _end = used;
        }

        /// <summary>
        /// An empty decoder goes back to a small buffer once large packets stop coming (while they keep coming,
        /// the large buffer is kept rather than grown again for each one).
        /// </summary>
        private void ReleaseLargeBuffer()
        {
            _start = _end = 0;
            if (_buffer.Length <= LargeBufferSize) return;
            if (_buffer.Length <= KeepLargeBufferLimit && (long)LastPacketSize * 4 > _buffer.Length) return;
            Return(_buffer);
            _buffer = Rent(DefaultBufferSize);
        }

        private byte[] Rent(int size) => size <= PooledBufferLimit ? _pool.Rent(size) : new byte[size];

        private void Return(byte[] buffer)
        {
            if (buffer.Length <= PooledBufferLimit) _pool.Return(buffer);
        }


        /// <summary>Returns the buffer to the pool.</summary>
        public void Dispose()
        {
            var buffer = _buffer;
            _buffer = null;
            _start = _end = 0;
            if (buffer != null && buffer.Length > 0) Return(buffer);
        }
    }
}
