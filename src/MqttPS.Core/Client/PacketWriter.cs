using System;
using System.Diagnostics;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using MqttPS.Core.Protocol;

namespace MqttPS.Core.Client
{
    /// <summary>
    /// The single writer of one connection. Packets are encoded in call order into a pending buffer; whoever finds
    /// no write in progress becomes the flusher and writes everything pending in one socket write, looping while
    /// more arrives (group commit). So a burst of publishes and acknowledgements costs one system call per batch,
    /// no thread blocks, and the order on the wire is the order of the calls. When the pending bytes exceed a high
    /// water mark, callers wait for the current write before adding more: memory stays bounded.
    /// </summary>
    internal sealed class PacketWriter : IDisposable
    {
        private const int HighWaterMark = 1024 * 1024;
        private const int ShrinkAbove = 4 * 1024 * 1024;

        private readonly object _lock = new object();
        private readonly Stream _stream;
        private readonly MqttProtocolVersion _version;
        private readonly CancellationToken _cancellationToken;
        private readonly Action<Exception> _onFailure;
        private MqttBufferWriter _pending = new MqttBufferWriter(8192);
        private MqttBufferWriter _writing = new MqttBufferWriter(8192);
        private TaskCompletionSource<MqttPublishResult> _pendingWritten;
        private TaskCompletionSource<MqttPublishResult> _currentWrite;
        private bool _flushing;
        private Exception _failure;
        private bool _disposed;
        private long _lastWriteTimestamp = Stopwatch.GetTimestamp();

        public PacketWriter(Stream stream, MqttProtocolVersion version, CancellationToken cancellationToken, Action<Exception> onFailure)
        {
            _stream = stream;
            _version = version;
            _cancellationToken = cancellationToken;
            _onFailure = onFailure;
        }

        /// <summary>Stopwatch timestamp of the last completed socket write (keep alive measures idleness with it).</summary>
        public long LastWriteTimestamp => Interlocked.Read(ref _lastWriteTimestamp);

        /// <summary>Topic aliases of this connection, or null when not used.</summary>
        public OutgoingTopicAliases TopicAliases { get; set; }

        /// <summary>
        /// Encodes <paramref name="packet"/> now (in call order) and completes when its bytes were written. All packets
        /// of one batch share the returned task; its result is the QoS 0 publish result, so a QoS 0 publish can
        /// return it as it is (no task or continuation per message).
        /// </summary>
        public Task<MqttPublishResult> WriteAsync(MqttPacket packet) => Write(packet, true);

        /// <summary>
        /// Like <see cref="WriteAsync"/>, but encodes at once even above the high water mark, so that the call order
        /// is the wire order without exception. For acknowledgements (a few bytes each, one per received message, so
        /// they cannot grow the buffer without bound), which must go out in the order of their messages.
        /// </summary>
        public Task<MqttPublishResult> WriteNow(MqttPacket packet) => Write(packet, false);

        private Task<MqttPublishResult> Write(MqttPacket packet, bool waitAboveHighWaterMark)
        {
            TaskCompletionSource<MqttPublishResult> written;
            bool startFlush;
            lock (_lock)
            {
                if (_failure != null) return FailedTask(_failure);
                if (waitAboveHighWaterMark && _pending.Length >= HighWaterMark && _flushing) return WaitThenWriteAsync(packet);
                Encode(packet);
                written = _pendingWritten ?? (_pendingWritten = new TaskCompletionSource<MqttPublishResult>(TaskCreationOptions.RunContinuationsAsynchronously));
                startFlush = !_flushing;
                if (startFlush) _flushing = true;
            }
            if (startFlush) _ = FlushLoopAsync();
            return written.Task;
        }

        /// <summary>
        /// Completes when the pending bytes are below the high water mark again. The receive loop awaits it so that a
        /// peer that sends but does not read (our acknowledgements pile up) makes us stop reading, instead of
        /// queueing acknowledgements without bound.
        /// </summary>
        public Task WaitUntilUncongestedAsync()
        {
            lock (_lock)
            {
                if (_failure != null || _pending.Length < HighWaterMark || !_flushing) return Task.CompletedTask;
            }
            return WaitUntilUncongestedSlowAsync();
        }

        private async Task WaitUntilUncongestedSlowAsync()
        {
            while (true)
            {
                Task current;
                lock (_lock)
                {
                    if (_failure != null || _pending.Length < HighWaterMark || !_flushing) return;
                    current = _currentWrite.Task;
                }
                try { await current.ConfigureAwait(false); } catch { /* a failed write ends the connection elsewhere */ }
            }
        }

        private async Task<MqttPublishResult> WaitThenWriteAsync(MqttPacket packet)
        {
            while (true)
            {
                Task current;
                lock (_lock)
                {
                    if (_failure != null) throw _failure;
                    if (_pending.Length < HighWaterMark || !_flushing) break;
                    current = _currentWrite.Task;
                }
                try { await current.ConfigureAwait(false); } catch { /* the failure is rethrown above */ }
            }
            return await WriteAsync(packet).ConfigureAwait(false);
        }

        private void Encode(MqttPacket packet)
        {
            var start = _pending.Length;
            var publish = packet as PublishPacket;
            string topic = null;
            ushort? alias = null;
            if (publish != null && TopicAliases != null)
            {
                topic = publish.Topic;
                alias = publish.HasProperties ? publish.Properties.TopicAlias : null;
                var assigned = TopicAliases.Resolve(topic, out var known);
                if (assigned != 0)
                {
                    publish.Properties.TopicAlias = assigned;
                    if (known) publish.Topic = string.Empty;
                }
            }
            try
            {
                MqttPacketEncoder.Encode(packet, _version, _pending);
            }
            catch
            {
                _pending.Truncate(start);
                throw;
            }
            finally
            {
                if (topic != null)
                {
                    // The stored packet keeps its real topic: a resend on another connection must not rely on this one's aliases.
                    publish.Topic = topic;
                    publish.Properties.TopicAlias = alias;
                }
            }
        }

        private async Task FlushLoopAsync()
        {
            // Leave the caller's thread first: the caller goes on encoding its next packets while this writes, so
            // a burst from one publisher becomes a few large writes instead of one system call per packet.
            await Task.Yield();
            while (true)
            {
                TaskCompletionSource<MqttPublishResult> written;
                lock (_lock)
                {
                    if (_pending.Length == 0 || _failure != null)
                    {
                        _flushing = false;
                        return;
                    }
                    var swap = _writing;
                    _writing = _pending;
                    _pending = swap;
                    written = _pendingWritten;
                    _pendingWritten = null;
                    _currentWrite = written;
                }
                try
                {
                    await _stream.WriteAsync(_writing.Buffer, 0, _writing.Length, _cancellationToken).ConfigureAwait(false);
                    Interlocked.Exchange(ref _lastWriteTimestamp, Stopwatch.GetTimestamp());
                }
                catch (Exception e)
                {
                    var failure = e is OperationCanceledException || e is ObjectDisposedException
                        ? new MqttConnectionLostException("The connection closed while writing.", null, e)
                        : (Exception)new MqttConnectionLostException("Writing to the broker failed: " + e.Message, null, e);
                    TaskCompletionSource<MqttPublishResult> pendingToo;
                    lock (_lock)
                    {
                        if (_failure == null) _failure = failure;
                        _flushing = false;
                        pendingToo = _pendingWritten;
                        _pendingWritten = null;
                        _writing.Reset();
                        if (!_disposed) _pending.Reset();
                    }
                    written.TrySetException(failure);
                    pendingToo?.TrySetException(failure);
                    // Acknowledgements and pings are written without anyone awaiting them; the loss itself is reported
                    // through _onFailure, so these task exceptions count as observed.
                    _ = written.Task.Exception;
                    if (pendingToo != null) _ = pendingToo.Task.Exception;
                    try { _onFailure?.Invoke(failure); } catch (Exception) { /* the owner's handler must not kill the writer */ }
                    return;
                }
                lock (_lock)
                {
                    if (_writing.Buffer.Length > ShrinkAbove && !_disposed)
                    {
                        // One large publish must not pin a buffer of its size for the rest of the connection.
                        _writing.Dispose();
                        _writing = new MqttBufferWriter(8192);
                    }
                    else _writing.Reset();
                }
                written.TrySetResult(MqttPublishResult.QoS0Sent);
            }
        }

        /// <summary>Best effort, for Dispose: writes <paramref name="packet"/> synchronously if nothing else is being written.</summary>
        public bool TryWriteNow(MqttPacket packet)
        {
            lock (_lock)
            {
                if (_failure != null || _flushing || _disposed) return false;
                try
                {
                    var bytes = MqttPacketEncoder.Encode(packet, _version);
                    _stream.Write(bytes, 0, bytes.Length);
                    return true;
                }
                catch (Exception) { return false; }
            }
        }

        /// <summary>Fails pending and later writes (connection closing).</summary>
        public void Fail(Exception failure)
        {
            TaskCompletionSource<MqttPublishResult> pending;
            lock (_lock)
            {
                if (_failure == null) _failure = failure;
                pending = _pendingWritten;
                _pendingWritten = null;
            }
            if (pending != null)
            {
                pending.TrySetException(failure);
                _ = pending.Task.Exception;
            }
        }

        public void Dispose()
        {
            lock (_lock)
            {
                if (_disposed) return;
                _disposed = true;
                if (_failure == null) _failure = new ObjectDisposedException(nameof(PacketWriter));
                // A write in progress still uses _writing; its buffer goes back to the pool with the GC instead.
                if (!_flushing) _writing.Dispose();
                _pending.Dispose();
            }
        }

        private static Task<MqttPublishResult> FailedTask(Exception e)
        {
            var tcs = new TaskCompletionSource<MqttPublishResult>();
            tcs.SetException(e);
            _ = tcs.Task.Exception;
            return tcs.Task;
        }
    }
}
