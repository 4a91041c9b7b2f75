using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace MqttPS.Core.Transport
{
    /// <summary>
    /// One end of an in-memory connection inside the process (a bridge's link to its own broker): what one end writes
    /// the other reads, through a bounded buffer per direction, so a writer waits (asynchronously) while the reader
    /// falls behind, as it would on a socket. Disposing an end closes both directions: the other end reads the end of
    /// the stream and its writes fail.
    /// </summary>
    public sealed class InProcessStream : Stream
    {
        private readonly Pipe _in;
        private readonly Pipe _out;

        private InProcessStream(Pipe incoming, Pipe outgoing)
        {
            _in = incoming;
            _out = outgoing;
        }

        /// <summary>Two connected ends; each direction buffers up to <paramref name="capacity"/> bytes.</summary>
        public static void CreatePair(out InProcessStream first, out InProcessStream second, int capacity = 256 * 1024)
        {
            var a = new Pipe(capacity);
            var b = new Pipe(capacity);
            first = new InProcessStream(a, b);
            second = new InProcessStream(b, a);
        }

        public override bool CanRead => true;
        public override bool CanWrite => true;
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        /// <summary>A read of 0 bytes completes when data is there (or the stream ended), as on a socket.</summary>
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => _in.ReadAsync(buffer, offset, count, cancellationToken);

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => _out.WriteAsync(buffer, offset, count, cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _in.Close();
                _out.Close();
            }
            base.Dispose(disposing);
        }

        /// <summary>One direction: a bounded ring buffer with one reader and writers that take turns.</summary>
        private sealed class Pipe
        {
            private readonly object _gate = new object();
            private readonly byte[] _ring;
            private readonly SemaphoreSlim _writers = new SemaphoreSlim(1, 1);
            private int _start;
            private int _count;
            private bool _closed;
            private TaskCompletionSource<bool> _readable;
            private TaskCompletionSource<bool> _writable;

            public Pipe(int capacity) { _ring = new byte[capacity]; }

            public void Close()
            {
                TaskCompletionSource<bool> readable, writable;
                lock (_gate)
                {
                    _closed = true;
                    readable = _readable; _readable = null;
                    writable = _writable; _writable = null;
                }
                readable?.TrySetResult(true);
                writable?.TrySetResult(true);
            }

            public async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
            {
                while (true)
                {
                    Task wait;
                    lock (_gate)
                    {
                        if (_count > 0)
                        {
                            if (count == 0) return 0;
                            var n = Math.Min(count, _count);
                            var first = Math.Min(n, _ring.Length - _start);
                            Buffer.BlockCopy(_ring, _start, buffer, offset, first);
                            if (n > first) Buffer.BlockCopy(_ring, 0, buffer, offset + first, n - first);
                            _start = (_start + n) % _ring.Length;
                            _count -= n;
                            var writable = _writable;
                            _writable = null;
                            writable?.TrySetResult(true);
                            return n;
                        }
                        if (_closed) return 0;
                        if (_readable == null) _readable = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                        wait = _readable.Task;
                    }
                    await WaitAsync(wait, cancellationToken).ConfigureAwait(false);
                }
            }

            public async Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
            {
                await _writers.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    while (count > 0)
                    {
                        Task wait;
                        lock (_gate)
                        {
                            if (_closed) throw new IOException("The in-process connection is closed.");
                            var room = _ring.Length - _count;
                            if (room > 0)
                            {
                                var n = Math.Min(room, count);
                                var end = (_start + _count) % _ring.Length;
                                var first = Math.Min(n, _ring.Length - end);
                                Buffer.BlockCopy(buffer, offset, _ring, end, first);
                                if (n > first) Buffer.BlockCopy(buffer, offset + first, _ring, 0, n - first);
                                _count += n;
                                offset += n;
                                count -= n;
                                var readable = _readable;
                                _readable = null;
                                readable?.TrySetResult(true);
                                continue;
                            }
                            if (_writable == null) _writable = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                            wait = _writable.Task;
                        }
                        await WaitAsync(wait, cancellationToken).ConfigureAwait(false);
                    }
                }
                finally
                {
                    _writers.Release();
                }
            }

            private static async Task WaitAsync(Task task, CancellationToken cancellationToken)
            {
                if (!cancellationToken.CanBeCanceled) { await task.ConfigureAwait(false); return; }
                var cancelled = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                using (cancellationToken.Register(() => cancelled.TrySetResult(true)))
                {
                    if (await Task.WhenAny(task, cancelled.Task).ConfigureAwait(false) != task) cancellationToken.ThrowIfCancellationRequested();
                }
            }
        }
    }
}
