using System;
using System.IO;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;

namespace MqttPS.Core.Transport
{
    /// <summary>
    /// RFC 6455 framing over any duplex stream, presented as a plain byte stream: each write becomes one binary
    /// frame, reads return the payload of binary frames and their continuations (a fragmented message simply
    /// reads on). Pings are answered, pongs ignored, a close frame is echoed and then reads return 0.
    /// The client side masks what it sends and requires unmasked frames; the server side the reverse [RFC 6455 5.1].
    /// Text frames are refused: MQTT travels in binary frames only [MQTT-6.0.0-1].
    /// Reads must not overlap each other, and writes must not overlap each other (one reader, one writer), but a
    /// read and a write may run at the same time; pong and close replies take the write lock themselves.
    /// </summary>
    public sealed class WebSocketStream : Stream
    {
        private const int MaxChunk = 64 * 1024;
        private const byte OpContinuation = 0x0, OpText = 0x1, OpBinary = 0x2, OpClose = 0x8, OpPing = 0x9, OpPong = 0xA;

        private readonly Stream _inner;
        private readonly bool _isClient;
        private readonly SemaphoreSlim _writeLock = new SemaphoreSlim(1, 1);
        private readonly RandomNumberGenerator _random;
        private readonly byte[] _maskKey = new byte[4];
        private byte[] _writeBuffer = new byte[1024];

        private byte[] _readBuffer = new byte[8192];
        private int _readPosition;
        private int _readLength;
        private long _frameRemaining;
        private bool _frameMasked;
        private readonly byte[] _frameMask = new byte[4];
        private int _frameMaskOffset;
        private bool _inFragmentedMessage;
        private bool _closeReceived;
        private bool _closeSent;
        private int _disposed;

        /// <param name="inner">The connected stream after the handshake.</param>
        /// <param name="isClient">True to mask outgoing frames (client); false for the server side.</param>
        /// <param name="initialData">Bytes already read from <paramref name="inner"/> after the handshake.</param>
        /// <param name="initialCount">How many bytes of <paramref name="initialData"/> are valid.</param>
        public WebSocketStream(Stream inner, bool isClient, byte[] initialData = null, int initialCount = 0)
        {
            _inner = inner ?? throw new ArgumentNullException(nameof(inner));
            _isClient = isClient;
            if (isClient) _random = RandomNumberGenerator.Create();
            if (initialData != null && initialCount > 0)
            {
                if (initialCount > _readBuffer.Length) _readBuffer = new byte[initialCount];
                Buffer.BlockCopy(initialData, 0, _readBuffer, 0, initialCount);
                _readLength = initialCount;
            }
        }

        public bool IsClient => _isClient;

        /// <summary>True once the peer's close frame arrived.</summary>
        public bool CloseReceived => _closeReceived;

        /// <summary>Status code of the peer's close frame (1005 when it carried none).</summary>
        public ushort PeerCloseStatus { get; private set; }

        public override bool CanRead => true;
        public override bool CanWrite => true;
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Flush() => _inner.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("WebSocketStream is asynchronous only: use ReadAsync.");
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("WebSocketStream is asynchronous only: use WriteAsync.");

        public override async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            if (buffer == null) throw new ArgumentNullException(nameof(buffer));
            if (offset < 0 || count < 0 || offset + count > buffer.Length) throw new ArgumentOutOfRangeException(nameof(count));
            if (count == 0) return 0;
            while (_frameRemaining == 0)
            {
                if (_closeReceived) return 0;
                if (!await ReadFrameHeaderAsync(cancellationToken).ConfigureAwait(false)) return 0;
            }
            var wanted = (int)Math.Min(count, _frameRemaining);
            int n;
            var buffered = _readLength - _readPosition;
            if (buffered > 0)
            {
                n = Math.Min(wanted, buffered);
                Buffer.BlockCopy(_readBuffer, _readPosition, buffer, offset, n);
                _readPosition += n;
            }
            else
            {
                n = await _inner.ReadAsync(buffer, offset, wanted, cancellationToken).ConfigureAwait(false);
                if (n == 0) throw new EndOfStreamException("The connection closed in the middle of a WebSocket frame.");
            }
            if (_frameMasked) Unmask(buffer, offset, n);
            _frameRemaining -= n;
            return n;
        }

        private void Unmask(byte[] buffer, int offset, int count)
        {
            var m = _frameMaskOffset;
            for (var i = 0; i < count; i++) buffer[offset + i] ^= _frameMask[(m + i) & 3];
            _frameMaskOffset = (m + count) & 3;
        }

        /// <summary>Reads one frame header, handling control frames; false at the end of the stream.</summary>
        private async Task<bool> ReadFrameHeaderAsync(CancellationToken cancellationToken)
        {
            if (!await FillAsync(2, true, cancellationToken).ConfigureAwait(false)) return false;
            var b0 = _readBuffer[_readPosition];
            var b1 = _readBuffer[_readPosition + 1];
            var fin = (b0 & 0x80) != 0;
            var opcode = (byte)(b0 & 0x0F);
            var masked = (b1 & 0x80) != 0;
            var length7 = b1 & 0x7F;
            var headerLength = 2 + (length7 == 126 ? 2 : length7 == 127 ? 8 : 0) + (masked ? 4 : 0);
            await FillAsync(headerLength, false, cancellationToken).ConfigureAwait(false);

            if ((b0 & 0x70) != 0) await FailAsync("A WebSocket frame has reserved bits set without a negotiated extension [RFC 6455 5.2].", 1002).ConfigureAwait(false);
            if (masked == _isClient)
                await FailAsync(_isClient ? "The WebSocket server sent a masked frame [RFC 6455 5.1]." : "The WebSocket client sent an unmasked frame [RFC 6455 5.1].", 1002).ConfigureAwait(false);

            var p = _readPosition + 2;
            long length = length7;
            if (length7 == 126)
            {
                length = (_readBuffer[p] << 8) | _readBuffer[p + 1];
                p += 2;
            }
            else if (length7 == 127)
            {
                length = 0;
                for (var i = 0; i < 8; i++) length = (length << 8) | _readBuffer[p + i];
                p += 8;
                if (length < 0) await FailAsync("A WebSocket frame length has its most significant bit set [RFC 6455 5.2].", 1002).ConfigureAwait(false);
            }
            if (masked)
            {
                Buffer.BlockCopy(_readBuffer, p, _frameMask, 0, 4);
                p += 4;
            }
            _readPosition = p;
            _frameMasked = masked;
            _frameMaskOffset = 0;

            if (opcode >= 0x8)
            {
                if (!fin || length > 125) await FailAsync("A WebSocket control frame is fragmented or longer than 125 bytes [RFC 6455 5.5].", 1002).ConfigureAwait(false);
                await FillAsync((int)length, false, cancellationToken).ConfigureAwait(false);
                var payload = new byte[length];
                Buffer.BlockCopy(_readBuffer, _readPosition, payload, 0, (int)length);
                _readPosition += (int)length;
                if (masked) Unmask(payload, 0, payload.Length);
                switch (opcode)
                {
                    case OpClose:
                        _closeReceived = true;
                        PeerCloseStatus = payload.Length >= 2 ? (ushort)((payload[0] << 8) | payload[1]) : (ushort)1005;
                        if (!_closeSent)
                        {
                            try { await SendControlAsync(OpClose, payload.Length >= 2 ? new[] { payload[0], payload[1] } : new byte[0], cancellationToken).ConfigureAwait(false); }
                            catch (IOException) { }
                            catch (ObjectDisposedException) { }
                        }
                        return false;
                    case OpPing:
                        await SendControlAsync(OpPong, payload, cancellationToken).ConfigureAwait(false);
                        return true;
                    case OpPong:
                        return true;
                    default:
                        await FailAsync("Unknown WebSocket control opcode 0x" + opcode.ToString("X") + " [RFC 6455 5.2].", 1002).ConfigureAwait(false);
                        return false;
                }
            }

            switch (opcode)
            {
                case OpBinary:
                    if (_inFragmentedMessage) await FailAsync("A new WebSocket data frame started before the fragmented message ended [RFC 6455 5.4].", 1002).ConfigureAwait(false);
                    break;
                case OpContinuation:
                    if (!_inFragmentedMessage) await FailAsync("A WebSocket continuation frame arrived outside a fragmented message [RFC 6455 5.4].", 1002).ConfigureAwait(false);
                    break;
                case OpText:
                    await FailAsync("A WebSocket text frame arrived; MQTT travels in binary frames only [MQTT-6.0.0-1].", 1003).ConfigureAwait(false);
                    break;
                default:
                    await FailAsync("Unknown WebSocket data opcode 0x" + opcode.ToString("X") + " [RFC 6455 5.2].", 1002).ConfigureAwait(false);
                    break;
            }
            _inFragmentedMessage = !fin;
            _frameRemaining = length;
            return true;
        }

        /// <summary>Makes at least <paramref name="count"/> bytes available at _readPosition.</summary>
        private async Task<bool> FillAsync(int count, bool atFrameBoundary, CancellationToken cancellationToken)
        {
            if (_readLength - _readPosition >= count) return true;
            if (_readPosition > 0)
            {
                var remaining = _readLength - _readPosition;
                Buffer.BlockCopy(_readBuffer, _readPosition, _readBuffer, 0, remaining);
                _readPosition = 0;
                _readLength = remaining;
            }
            if (count > _readBuffer.Length) Array.Resize(ref _readBuffer, count);
            while (_readLength < count)
            {
                var n = await _inner.ReadAsync(_readBuffer, _readLength, _readBuffer.Length - _readLength, cancellationToken).ConfigureAwait(false);
                if (n == 0)
                {
                    if (atFrameBoundary && _readLength == 0) return false;
                    throw new EndOfStreamException("The connection closed in the middle of a WebSocket frame header.");
                }
                _readLength += n;
            }
            return true;
        }

        private async Task FailAsync(string message, ushort status)
        {
            if (!_closeSent)
            {
                try
                {
                    using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(1)))
                        await SendControlAsync(OpClose, new[] { (byte)(status >> 8), (byte)status }, cts.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is IOException || e is OperationCanceledException || e is ObjectDisposedException) { }
            }
            throw new MqttWebSocketException(message, status);
        }

        public override async Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            if (buffer == null) throw new ArgumentNullException(nameof(buffer));
            if (offset < 0 || count < 0 || offset + count > buffer.Length) throw new ArgumentOutOfRangeException(nameof(count));
            await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (_closeSent) throw new IOException("The WebSocket is closed.");
                await WriteFrameAsync(OpBinary, buffer, offset, count, cancellationToken).ConfigureAwait(false);
            }
            finally { _writeLock.Release(); }
        }

        /// <summary>Sends a close frame (once) with <paramref name="status"/> (1000 normal closure).</summary>
        public async Task CloseAsync(ushort status = 1000, CancellationToken cancellationToken = default(CancellationToken))
        {
            if (_closeSent) return;
            await SendControlAsync(OpClose, new[] { (byte)(status >> 8), (byte)status }, cancellationToken).ConfigureAwait(false);
        }

        private async Task SendControlAsync(byte opcode, byte[] payload, CancellationToken cancellationToken)
        {
            await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (_closeSent) return;
                if (opcode == OpClose) _closeSent = true;
                await WriteFrameAsync(opcode, payload, 0, payload.Length, cancellationToken).ConfigureAwait(false);
                await _inner.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            finally { _writeLock.Release(); }
        }

        // Caller holds _writeLock. The header and the (masked) payload go out in chunks of at most 64 KiB, so a
        // large frame needs no buffer of its size.
        private async Task WriteFrameAsync(byte opcode, byte[] payload, int offset, int count, CancellationToken cancellationToken)
        {
            var headerLength = 2 + (count < 126 ? 0 : count <= 0xFFFF ? 2 : 8) + (_isClient ? 4 : 0);
            var firstChunk = Math.Min(count, MaxChunk);
            EnsureWriteBuffer(headerLength + firstChunk);
            var b = _writeBuffer;
            b[0] = (byte)(0x80 | opcode);
            var p = 2;
            if (count < 126) b[1] = (byte)count;
            else if (count <= 0xFFFF)
            {
                b[1] = 126;
                b[2] = (byte)(count >> 8);
                b[3] = (byte)count;
                p = 4;
            }
            else
            {
                b[1] = 127;
                long length = count;
                for (var i = 7; i >= 0; i--) { b[2 + i] = (byte)length; length >>= 8; }
                p = 10;
            }
            if (_isClient)
            {
                b[1] |= 0x80;
                _random.GetBytes(_maskKey);
                Buffer.BlockCopy(_maskKey, 0, b, p, 4);
                p += 4;
            }
            var sent = 0;
            var maskOffset = 0;
            var position = p;
            do
            {
                var chunk = Math.Min(count - sent, MaxChunk);
                if (_isClient || chunk < 4096 || position > 0)
                {
                    // Copy (masking on the client side) next to the header: one write per chunk.
                    EnsureWriteBuffer(position + chunk);
                    b = _writeBuffer;
                    if (_isClient)
                    {
                        for (var i = 0; i < chunk; i++) b[position + i] = (byte)(payload[offset + sent + i] ^ _maskKey[(maskOffset + i) & 3]);
                        maskOffset = (maskOffset + chunk) & 3;
                    }
                    else Buffer.BlockCopy(payload, offset + sent, b, position, chunk);
                    await _inner.WriteAsync(b, 0, position + chunk, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    // Server side, later chunks: no masking, write straight from the caller's buffer.
                    await _inner.WriteAsync(payload, offset + sent, chunk, cancellationToken).ConfigureAwait(false);
                }
                sent += chunk;
                position = 0;
            } while (sent < count);
        }

        private void EnsureWriteBuffer(int size)
        {
            if (_writeBuffer.Length < size) _writeBuffer = new byte[Math.Max(size, _writeBuffer.Length * 2)];
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                _inner.Dispose();
                _random?.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
