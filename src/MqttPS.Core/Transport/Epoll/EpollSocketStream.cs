using System;
using System.IO;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using static MqttPS.Core.Transport.Epoll.LinuxSocketCalls;

namespace MqttPS.Core.Transport.Epoll
{
    /// <summary>
    /// A connected TCP socket as a <see cref="Stream"/>, read and written with non-blocking system calls and woken by an
    /// <see cref="EpollEventLoop"/>. Reads and writes try the socket first and wait only when it has nothing (or no
    /// room); a zero-byte read waits for input without holding a buffer, as with .NET's NetworkStream. One reader and
    /// one writer at a time, like any socket stream. Disposing it ends a pending read or write with
    /// <see cref="ObjectDisposedException"/>, and closes the socket once no call is using its descriptor. The socket is
    /// a bare descriptor (as <see cref="EpollAcceptor"/> accepts them: no .NET Socket per connection) or a .NET Socket.
    /// </summary>
    internal sealed class EpollSocketStream : Stream, IEpollEventHandler
    {
        private static readonly Task<int> ZeroTask = Task.FromResult(0);
        /// <summary>Where a zero-byte read's one-byte peek lands; shared, since nobody reads it.</summary>
        private static readonly byte[] PeekBuffer = new byte[1];

        private readonly Socket _socket; // null for a bare descriptor, which Dispose closes itself
        private readonly int _fd;
        private readonly EpollEventLoop _loop;
        private readonly long _id;

        // Edges the loop has seen; a reader or writer compares them with the count before its last try, so an edge
        // that lands between "the socket had nothing" and "wait" is never lost.
        private int _readEdges;
        private int _writeEdges;
        // The read edge count when a read last found the socket empty: while it is unchanged, nothing has arrived since.
        private int _readEdgesWhenEmpty = -1;
        private TaskCompletionSource<int> _readWaiter;
        private TaskCompletionSource<int> _writeWaiter;
        private Task<int> _lastReadTask;

        // One reference for the owner plus one per system call in progress; the socket is closed at zero.
        private int _references = 1;
        private int _disposed;

        internal EpollSocketStream(Socket socket, EpollEventLoop loop)
        {
            _socket = socket ?? throw new ArgumentNullException(nameof(socket));
            _loop = loop ?? throw new ArgumentNullException(nameof(loop));
            socket.Blocking = false;
            _fd = (int)socket.Handle;
            CompletesInline = EpollEventLoop.InlineCompletions;
            _id = loop.Register(this, _fd);
        }

        /// <summary>Takes over a connected, non-blocking descriptor (closed when the stream is disposed, or here if
        /// registering it fails).</summary>
        internal EpollSocketStream(int fd, EpollEventLoop loop)
        {
            _loop = loop ?? throw new ArgumentNullException(nameof(loop));
            _fd = fd;
            CompletesInline = EpollEventLoop.InlineCompletions;
            try { _id = loop.Register(this, fd); }
            catch
            {
                close(fd);
                throw;
            }
        }

        /// <summary>Whether the code waiting on this socket resumes on the loop's thread (default: see
        /// <see cref="EpollEventLoop.InlineCompletions"/>) or on the thread pool. Set to false while code that may
        /// block runs on the stream (a TLS handshake validating certificates), back to true afterwards; applies from
        /// the next wait on.</summary>
        internal bool CompletesInline { get; set; }

        /// <summary>Sends FIN after everything written so far (the peer reads our last packet, then end of stream).</summary>
        internal void ShutdownSend()
        {
            AddReference();
            try { shutdown(_fd, SHUT_WR); }
            finally { ReleaseReference(); }
        }

        public override bool CanRead => true;
        public override bool CanWrite => true;
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Flush() { }
        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        /// <summary>Called on the loop's thread with the epoll flags for this socket.</summary>
        public void OnEvents(uint flags)
        {
            // Hang-up and error wake the reader too: its next recv returns 0 or the error.
            if ((flags & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0)
            {
                Interlocked.Increment(ref _readEdges);
                Interlocked.Exchange(ref _readWaiter, null)?.TrySetResult(0);
            }
            if ((flags & (EPOLLOUT | EPOLLHUP | EPOLLERR)) != 0)
            {
                Interlocked.Increment(ref _writeEdges);
                Interlocked.Exchange(ref _writeWaiter, null)?.TrySetResult(0);
            }
        }

        // ---------------------------------------------------------------- reading

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            CheckArguments(buffer, offset, count);
            if (cancellationToken.IsCancellationRequested) return Task.FromCanceled<int>(cancellationToken);
            if (Volatile.Read(ref _disposed) != 0) return Task.FromException<int>(new ObjectDisposedException(nameof(EpollSocketStream)));
            try
            {
                var seen = Volatile.Read(ref _readEdges);
                if (count == 0)
                {
                    // Completes when input is there (or the peer has closed), without taking any of it.
                    if (seen != _readEdgesWhenEmpty && TryReceive(PeekBuffer, 0, 1, MSG_PEEK) >= 0) return ZeroTask;
                    _readEdgesWhenEmpty = seen;
                    // Going idle: the last read's result task is not kept through the wait (an idle connection would
                    // hold it for nothing); a busy connection's reads complete without waiting and keep reusing it.
                    _lastReadTask = null;
                    return WaitAsync(ref _readWaiter, ref _readEdges, seen);
                }
                // No edge since the socket was last found empty (e.g. by TryRead just before): nothing has arrived, so
                // wait without asking the socket again.
                if (seen != _readEdgesWhenEmpty)
                {
                    var n = TryReceive(buffer, offset, count, 0);
                    // A short read says nothing about what follows: the peer's FIN can come in the same edge as its
                    // last bytes, and only the next call sees it. So only "nothing there" (EAGAIN) counts as empty.
                    if (n >= 0) return ResultTask(n);
                    _readEdgesWhenEmpty = seen;
                }
                return ReadWhenReadyAsync(buffer, offset, count, seen);
            }
            catch (Exception e)
            {
                return Task.FromException<int>(e);
            }
        }

        /// <summary>Reads what is there now without waiting and without a task: bytes read (0 = the peer has closed),
        /// or -1 when the socket has nothing (then <see cref="ReadAsync(byte[], int, int, CancellationToken)"/> waits
        /// for the next edge without a second system call). Errors throw as the read would have faulted.</summary>
        internal int TryRead(byte[] buffer, int offset, int count)
        {
            CheckArguments(buffer, offset, count);
            if (count == 0) throw new ArgumentOutOfRangeException(nameof(count));
            if (Volatile.Read(ref _disposed) != 0) throw new ObjectDisposedException(nameof(EpollSocketStream));
            var seen = Volatile.Read(ref _readEdges);
            var n = TryReceive(buffer, offset, count, 0);
            if (n < 0) _readEdgesWhenEmpty = seen;
            return n;
        }

        private async Task<int> ReadWhenReadyAsync(byte[] buffer, int offset, int count, int seen)
        {
            while (true)
            {
                await WaitAsync(ref _readWaiter, ref _readEdges, seen).ConfigureAwait(false);
                seen = Volatile.Read(ref _readEdges);
                var n = TryReceive(buffer, offset, count, 0);
                if (n >= 0) return n;
                _readEdgesWhenEmpty = seen;
            }
        }

        /// <summary>Bytes read (0 = the peer has closed), or -1 when the socket has nothing now.</summary>
        private int TryReceive(byte[] buffer, int offset, int count, int flags) => Transfer(false, buffer, offset, count, flags);

        /// <summary>Reuses the last completed task when the count repeats (full reads do), as NetworkStream does.</summary>
        private Task<int> ResultTask(int n)
        {
            var last = _lastReadTask;
            if (last != null && last.Result == n) return last;
            return _lastReadTask = Task.FromResult(n);
        }

        public override int Read(byte[] buffer, int offset, int count) =>
            WaitOffLoop(ReadAsync(buffer, offset, count, CancellationToken.None)).GetAwaiter().GetResult();

        /// <summary>A blocking call that has to wait, on the loop's own thread, would wait forever (the loop is what
        /// wakes it) and stall every other socket meanwhile: it fails instead, naming the bug.</summary>
        private static T WaitOffLoop<T>(T task) where T : Task
        {
            if (!task.IsCompleted && EpollEventLoop.IsLoopThread)
                throw new InvalidOperationException("A blocking read or write on the epoll loop's own thread would never complete; use ReadAsync/WriteAsync there.");
            return task;
        }

        // ---------------------------------------------------------------- writing

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            CheckArguments(buffer, offset, count);
            if (cancellationToken.IsCancellationRequested) return Task.FromCanceled(cancellationToken);
            if (Volatile.Read(ref _disposed) != 0) return Task.FromException(new ObjectDisposedException(nameof(EpollSocketStream)));
            try
            {
                while (count > 0)
                {
                    var seen = Volatile.Read(ref _writeEdges);
                    var sent = TrySend(buffer, offset, count);
                    if (sent < 0) return WriteWhenReadyAsync(buffer, offset, count, seen);
                    offset += sent;
                    count -= sent;
                }
                return Task.CompletedTask;
            }
            catch (Exception e)
            {
                return Task.FromException(e);
            }
        }

        private async Task WriteWhenReadyAsync(byte[] buffer, int offset, int count, int seen)
        {
            while (count > 0)
            {
                await WaitAsync(ref _writeWaiter, ref _writeEdges, seen).ConfigureAwait(false);
                while (count > 0)
                {
                    seen = Volatile.Read(ref _writeEdges);
                    var sent = TrySend(buffer, offset, count);
                    if (sent < 0) break;
                    offset += sent;
                    count -= sent;
                }
            }
        }

        /// <summary>Bytes the kernel took, or -1 when it has no room now.</summary>
        private int TrySend(byte[] buffer, int offset, int count) => Transfer(true, buffer, offset, count, MSG_NOSIGNAL);

        /// <summary>One non-blocking send or recv, retried on EINTR: bytes moved, or -1 on EAGAIN. The descriptor
        /// stays open for the call even if the stream is disposed meanwhile.</summary>
        private int Transfer(bool sending, byte[] buffer, int offset, int count, int flags)
        {
            AddReference();
            try
            {
                while (true)
                {
                    var n = (long)(sending
                        ? send(_fd, ref buffer[offset], (IntPtr)count, MSG_DONTWAIT | flags)
                        : recv(_fd, ref buffer[offset], (IntPtr)count, MSG_DONTWAIT | flags));
                    if (n >= 0) return (int)n;
                    var errno = Marshal.GetLastWin32Error();
                    if (errno == EINTR) continue;
                    if (errno == EAGAIN) return -1;
                    throw new IOException("Unable to " + (sending ? "write data to" : "read data from") + " the transport connection: "
                        + ErrorName(errno) + ".");
                }
            }
            finally
            {
                ReleaseReference();
            }
        }

        public override void Write(byte[] buffer, int offset, int count) =>
            WaitOffLoop(WriteAsync(buffer, offset, count, CancellationToken.None)).GetAwaiter().GetResult();

        // ---------------------------------------------------------------- waiting

        /// <summary>Completes at the next edge after <paramref name="seen"/> (at once if one has already come), or
        /// faults when the stream is disposed.</summary>
        private Task<int> WaitAsync(ref TaskCompletionSource<int> slot, ref int edges, int seen)
        {
            var waiter = new TaskCompletionSource<int>(CompletesInline
                ? TaskCreationOptions.None
                : TaskCreationOptions.RunContinuationsAsynchronously);
            if (Interlocked.CompareExchange(ref slot, waiter, null) != null)
                return Task.FromException<int>(new InvalidOperationException("Another read or write is already waiting on this stream."));
            // The edge may have come between the caller's try and the waiter being in place; and Dispose may have run.
            if (Volatile.Read(ref edges) != seen || Volatile.Read(ref _disposed) != 0)
            {
                if (Interlocked.CompareExchange(ref slot, null, waiter) == waiter)
                {
                    if (Volatile.Read(ref _disposed) != 0) return Task.FromException<int>(new ObjectDisposedException(nameof(EpollSocketStream)));
                    return ZeroTask;
                }
                // Otherwise the loop or Dispose took the waiter and completes it.
            }
            return waiter.Task;
        }

        // ---------------------------------------------------------------- closing

        protected override void Dispose(bool disposing)
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
            _loop.Unregister(_id, _fd);
            var reader = Interlocked.Exchange(ref _readWaiter, null);
            var writer = Interlocked.Exchange(ref _writeWaiter, null);
            if (reader != null || writer != null)
            {
                // Not on the disposing thread: it may hold locks the woken reader or writer would need.
                ThreadPool.QueueUserWorkItem(_ =>
                {
                    reader?.TrySetException(new ObjectDisposedException(nameof(EpollSocketStream)));
                    writer?.TrySetException(new ObjectDisposedException(nameof(EpollSocketStream)));
                });
            }
            ReleaseReference();
            base.Dispose(disposing);
        }

        private void AddReference()
        {
            while (true)
            {
                var references = Volatile.Read(ref _references);
                if (references == 0) throw new ObjectDisposedException(nameof(EpollSocketStream));
                if (Interlocked.CompareExchange(ref _references, references + 1, references) == references) return;
            }
        }

        private void ReleaseReference()
        {
            if (Interlocked.Decrement(ref _references) != 0) return;
            if (_socket != null) _socket.Dispose();
            else close(_fd);
        }

        private static void CheckArguments(byte[] buffer, int offset, int count)
        {
            if (buffer == null) throw new ArgumentNullException(nameof(buffer));
            if (offset < 0 || offset > buffer.Length) throw new ArgumentOutOfRangeException(nameof(offset));
            if (count < 0 || count > buffer.Length - offset) throw new ArgumentOutOfRangeException(nameof(count));
        }
    }
}
