using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using MqttPS.Core.Messages;

namespace MqttPS.Core.Broker.Persistence
{
    /// <summary>
    /// Crash-safe storage of retained messages and persistent sessions in a directory: an append-only log of
    /// checksummed records, compacted into a snapshot when it grows. Each change returns a task that completes once
    /// the change is durable per <see cref="PersistenceDurability"/>: the broker acknowledges (PUBACK/PUBREC)
    /// only after it, so what was acknowledged survives a killed process.
    /// </summary>
    /// <remarks>
    /// Files: <c>snapshot-N.dat</c> is the whole state at the start of <c>log-N.dat</c>; later logs follow. Opening
    /// replays the newest snapshot and every log from it on. A damaged record is skipped and reading goes on with the
    /// next intact one; only a torn tail of the active log (the crash's last write) is cut off. A damaged file is
    /// copied into <c>damaged/</c> for inspection, and <see cref="Recovery"/> says what was lost; a damaged file never
    /// stops the broker starting.
    /// A dedicated writer thread (not the thread pool: fsync blocks) writes and syncs records in arrival order.
    /// </remarks>
    public sealed class MqttPersistentStore : IDisposable
    {
        private readonly object _gate = new object();
        private readonly PersistedState _state = new PersistedState();
        private readonly MqttPersistenceOptions _options;
        private readonly Thread _writer;
        private readonly ManualResetEventSlim _work = new ManualResetEventSlim(false);
        private List<byte[]> _pending = new List<byte[]>();
        private TaskCompletionSource<bool> _pendingDone = NewCompletion();
        private FileStream _log;
        private long _generation;
        private long _lastSnapshotBytes;
        private bool _compactRequested;
        private TaskCompletionSource<bool> _compactDone;
        private bool _stopping;
        private Exception _failure;

        private MqttPersistentStore(string directory, MqttPersistenceOptions options)
        {
            Directory = directory;
            _options = options;
            _writer = new Thread(WriterLoop) { IsBackground = true, Name = "MqttPS persistence writer" };
        }

        public string Directory { get; }
        public MqttRecoveryReport Recovery { get; private set; }
        public PersistenceDurability Durability => _options.Durability;

        /// <summary>Size of the active log in bytes.</summary>
        public long LogLength { get { lock (_gate) return _logLength; } }
        private long _logLength;

        /// <summary>Number of compactions done since opening.</summary>
        public int Compactions { get; private set; }

        /// <summary>Opens (creating if needed) the store in <paramref name="directory"/> and recovers its content.</summary>
        public static MqttPersistentStore Open(string directory, MqttPersistenceOptions options = null)
        {
            if (string.IsNullOrEmpty(directory)) throw new ArgumentException("a persistence directory is required", nameof(directory));
            System.IO.Directory.CreateDirectory(directory);
            var store = new MqttPersistentStore(directory, options ?? new MqttPersistenceOptions());
            store.Recover();
            store._writer.Start();
            return store;
        }

        // ---- reading -------------------------------------------------------------------------------------------

        public int RetainedCount { get { lock (_gate) return _state.Retained.Count; } }

        public IReadOnlyList<MqttMessage> GetRetainedMessages() { lock (_gate) return _state.Retained.Values.ToList(); }

        /// <summary>Copies of the stored sessions.</summary>
        public IReadOnlyList<PersistedSession> GetSessions() { lock (_gate) return _state.Sessions.Values.Select(s => s.Clone()).ToList(); }

        public PersistedSession GetSession(string clientId)
        {
            lock (_gate)
            {
                PersistedSession s;
                return _state.Sessions.TryGetValue(clientId, out s) ? s.Clone() : null;
            }
        }

        // ---- changes -------------------------------------------------------------------------------------------

        /// <summary>Stores a retained message (an empty payload clears the topic, as in MQTT).</summary>
        public Task SetRetainedAsync(MqttMessage message)
        {
            if (message == null) throw new ArgumentNullException(nameof(message));
            if (message.PayloadBytes.Length == 0) return ClearRetainedAsync(message.Topic);
            return Append(PersistenceRecordCodec.RetainedSet(message));
        }

        public Task ClearRetainedAsync(string topic) => Append(PersistenceRecordCodec.RetainedCleared(topic));

        /// <summary>Creates a persistent session, or updates the expiry interval of an existing one (keeping its content);
        /// <paramref name="owner"/> is the user it belongs to (null: anonymous).</summary>
        public Task CreateSessionAsync(string clientId, uint sessionExpiryInterval, string owner = null) => Append(PersistenceRecordCodec.SessionCreated(clientId, sessionExpiryInterval, owner));

        public Task RemoveSessionAsync(string clientId) => Append(PersistenceRecordCodec.SessionRemoved(clientId));

        public Task AddSubscriptionAsync(string clientId, PersistedSubscription subscription) => Append(PersistenceRecordCodec.SubscriptionAdded(clientId, subscription));

        public Task RemoveSubscriptionAsync(string clientId, string topicFilter) => Append(PersistenceRecordCodec.SubscriptionRemoved(clientId, topicFilter));

        /// <summary>A number for the next queued message, increasing across restarts.</summary>
        public long NextSequence()
        {
            lock (_gate) return ++_state.LastSequence;
        }

        /// <summary>Stores a QoS 1/2 message for a session; <paramref name="sequence"/> from <see cref="NextSequence"/>.</summary>
        public Task QueueMessageAsync(string clientId, long sequence, MqttMessage message) => Append(PersistenceRecordCodec.MessageQueued(clientId, sequence, message));

        /// <summary>The subscriber acknowledged the message (PUBACK, or PUBCOMP for QoS 2), or it was dropped.</summary>
        public Task AcknowledgeMessageAsync(string clientId, long sequence) => Append(PersistenceRecordCodec.MessageAcknowledged(clientId, sequence));

        public Task SetInFlightAsync(string clientId, long sequence, ushort packetId, InFlightState state) => Append(PersistenceRecordCodec.MessageInFlight(clientId, sequence, packetId, state));

        /// <summary>An incoming QoS 2 PUBLISH was received: stored before its PUBREC, so the PUBREL can still complete it after a restart.</summary>
        public Task IncomingQoS2ReceivedAsync(string clientId, ushort packetId, MqttMessage message) => Append(PersistenceRecordCodec.IncomingQoS2Received(clientId, packetId, message));

        /// <summary>The incoming QoS 2 message was released (PUBREL) and routed.</summary>
        public Task IncomingQoS2ReleasedAsync(string clientId, ushort packetId) => Append(PersistenceRecordCodec.IncomingQoS2Released(clientId, packetId));

        /// <summary>Writes a snapshot of the current state and starts a new log, then deletes the files it replaces.</summary>
        public Task CompactAsync()
        {
            lock (_gate)
            {
                ThrowIfUnusable();
                if (_compactDone == null) _compactDone = NewCompletion();
                _compactRequested = true;
                _work.Set();
                return _compactDone.Task;
            }
        }

        /// <summary>Completes when everything appended so far is durable.</summary>
        public Task FlushAsync()
        {
            lock (_gate)
            {
                ThrowIfUnusable();
                if (_pending.Count == 0 && _inWrite == null) return Task.CompletedTask;
                return (_pending.Count > 0 ? _pendingDone : _inWrite).Task;
            }
        }

        private TaskCompletionSource<bool> _inWrite;

        private Task Append(byte[] body)
        {
            lock (_gate)
            {
                ThrowIfUnusable();
                _state.Apply(body, 0, body.Length);
                _pending.Add(PersistenceFile.Frame(body));
                _work.Set();
                return _pendingDone.Task;
            }
        }

        private void ThrowIfUnusable()
        {
            if (_failure != null) throw new IOException("the persistence store in " + Directory + " failed earlier and accepts no more changes: " + _failure.Message, _failure);
            if (_stopping) throw new ObjectDisposedException(nameof(MqttPersistentStore));
        }

        // ---- writer thread -------------------------------------------------------------------------------------

        private void WriterLoop()
        {
            while (true)
            {
                _work.Wait();
                if (_options.Durability == PersistenceDurability.Batched && !Volatile.Read(ref _stopping))
                {
                    // Group commit: let more records join this sync.
                    Thread.Sleep(_options.BatchWindow);
                }
                List<byte[]> batch;
                TaskCompletionSource<bool> done;
                bool compact, stopping;
                lock (_gate)
                {
                    _work.Reset();
                    batch = _pending;
                    done = _pendingDone;
                    _pending = new List<byte[]>();
                    _pendingDone = NewCompletion();
                    _inWrite = batch.Count > 0 ? done : null;
                    compact = _compactRequested;
                    stopping = _stopping;
                }
                if (batch.Count > 0)
                {
                    try
                    {
                        long written = 0;
                        foreach (var framed in batch)
                        {
                            _log.Write(framed, 0, framed.Length);
                            written += framed.Length;
                        }
                        if (_options.Durability == PersistenceDurability.None) _log.Flush(false);
                        else _log.Flush(true);
                        lock (_gate) { _logLength += written; _inWrite = null; }
                        done.TrySetResult(true);
                    }
                    catch (Exception e)
                    {
                        Fail(e, done);
                        return;
                    }
                }
                lock (_gate)
                {
                    if (!compact && _logLength >= _options.CompactionThresholdBytes && _logLength >= 2 * _lastSnapshotBytes) compact = true;
                }
                if (compact)
                {
                    try { Compact(); }
                    catch (Exception e)
                    {
                        TaskCompletionSource<bool> waiting;
                        lock (_gate) { waiting = _compactDone; _compactDone = null; _compactRequested = false; }
                        // A failed compaction loses nothing: the old snapshot and logs are still there.
                        waiting?.TrySetException(e);
                    }
                }
                if (stopping)
                {
                    lock (_gate) if (_pending.Count > 0) continue;
                    return;
                }
            }
        }

        private void Fail(Exception e, TaskCompletionSource<bool> done)
        {
            List<byte[]> rest;
            TaskCompletionSource<bool> restDone, compactDone;
            lock (_gate)
            {
                _failure = e;
                rest = _pending;
                restDone = _pendingDone;
                compactDone = _compactDone;
                _inWrite = null;
            }
            var error = new IOException("writing to the persistence store in " + Directory + " failed: " + e.Message, e);
            done.TrySetException(error);
            restDone.TrySetException(error);
            compactDone?.TrySetException(error);
        }

        private void Compact()
        {
            PersistedState snapshotState;
            long newGeneration;
            FileStream oldLog;
            TaskCompletionSource<bool> waiting;
            lock (_gate)
            {
                // The snapshot is the state with every applied change, including changes appended since the writer
                // took its last batch; those are written to the new log and replayed again on recovery. That is
                // harmless because every record is a keyed "last write wins" change: replaying a suffix of the
                // history onto a state that already contains it leaves the state unchanged.
                snapshotState = _state.Copy();
                newGeneration = _generation + 1;
                oldLog = _log;
                _log = CreateLog(newGeneration);
                _generation = newGeneration;
                _logLength = PersistenceFile.HeaderLength;
                waiting = _compactDone;
                _compactDone = null;
                _compactRequested = false;
            }
            oldLog.Flush(true);
            oldLog.Dispose();
            var snapshot = snapshotState.ToSnapshotRecords();
            var finalPath = SnapshotPath(newGeneration);
            var temporary = finalPath + ".tmp";
            long size = 0;
            using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            {
                file.Write(PersistenceFile.SnapshotMagic, 0, PersistenceFile.HeaderLength);
                foreach (var body in snapshot)
                {
                    var framed = PersistenceFile.Frame(body);
                    file.Write(framed, 0, framed.Length);
                    size += framed.Length;
                }
                file.Flush(true);
            }
            File.Move(temporary, finalPath);
            SyncDirectory();
            // The new snapshot is durable: older snapshots and logs are now redundant.
            foreach (var old in ListGenerations("snapshot-")) if (old < newGeneration) TryDelete(SnapshotPath(old));
            foreach (var old in ListGenerations("log-")) if (old < newGeneration) TryDelete(LogPath(old));
            lock (_gate) _lastSnapshotBytes = size;
            Compactions++;
            waiting?.TrySetResult(true);
        }

        // ---- recovery ------------------------------------------------------------------------------------------

        private void Recover()
        {
            var watch = Stopwatch.StartNew();
            var report = new MqttRecoveryReport { Directory = Directory };
            foreach (var stale in System.IO.Directory.GetFiles(Directory, "snapshot-*.dat.tmp")) TryDelete(stale); // a compaction that did not finish

            long snapshotGeneration = -1;
            foreach (var generation in ListGenerations("snapshot-").OrderByDescending(g => g))
            {
                var candidate = new PersistedState();
                var path = SnapshotPath(generation);
                var scan = PersistenceFile.ReadRecords(path, PersistenceFile.SnapshotMagic, (body, length) => candidate.Apply(body, 0, length));
                report.FilesRead++;
                if (scan.NewerFormat || (scan.RecordCount == 0 && !scan.EndMarker))
                {
                    // Nothing usable in it (or a format this version does not read): an older snapshot, if any, is next.
                    ReportDamage(report, scan, "snapshot ignored" + (scan.NewerFormat ? "" : ": no intact record in it"));
                    continue;
                }
                // Snapshots are renamed into place only once written whole, so this is the newest state there is: what
                // is intact in it is kept, even when records (or its end marker) are damaged.
                ReportDamage(report, scan, scan.EndMarker ? null : "its end marker is missing or damaged");
                CopyInto(candidate, _state);
                report.RecordsReplayed += scan.RecordCount;
                snapshotGeneration = generation;
                _lastSnapshotBytes = scan.Length;
                break;
            }

            var logs = ListGenerations("log-").Where(g => g >= snapshotGeneration).OrderBy(g => g).ToList();
            for (var i = 0; i < logs.Count; i++)
            {
                var path = LogPath(logs[i]);
                var scan = PersistenceFile.ReadRecords(path, PersistenceFile.LogMagic, (body, length) => { _state.Apply(body, 0, length); return true; });
                report.FilesRead++;
                report.RecordsReplayed += scan.RecordCount;
                var isActive = i == logs.Count - 1;
                if (scan.NewerFormat)
                {
                    ReportDamage(report, scan, "log ignored");
                    continue;
                }
                if (isActive && scan.TailStart >= 0 && scan.Damaged.Count == 0 && scan.HeaderProblem == null)
                {
                    // Only the end of the log we append to is damaged, nothing intact after it: the last write was torn
                    // by the crash. That tail alone is cut, so the next records follow intact ones.
                    var dropped = scan.Length - scan.TailStart;
                    report.BytesDropped += dropped;
                    report.Problems.Add(Path.GetFileName(path) + ": " + scan.TailProblem + "; " + dropped + " byte(s) after offset " + scan.TailStart + " dropped (the torn last write)");
                    foreach (var r in scan.TailRecords) report.Lost.Add(Path.GetFileName(path) + " at " + scan.TailStart + ": " + r + " (torn last write)");
                    if (scan.TailStart < PersistenceFile.HeaderLength) RewriteHeader(path);
                    else using (var f = new FileStream(path, FileMode.Open, FileAccess.Write)) { f.SetLength(scan.TailStart); f.Flush(true); }
                    continue;
                }
                ReportDamage(report, scan, null);
            }

            _generation = logs.Count > 0 ? Math.Max(logs[logs.Count - 1], Math.Max(snapshotGeneration, 0)) : Math.Max(snapshotGeneration, 0);
            var active = LogPath(_generation);
            if (File.Exists(active) && !_damagedKeptAside.Contains(active))
            {
                _log = new FileStream(active, FileMode.Open, FileAccess.Write, FileShare.Read, 1 << 16);
                _log.Seek(0, SeekOrigin.End);
            }
            else
            {
                // A damaged active log stays as it is on disk (a copy is kept aside): the store goes on in a new one,
                // and the compaction that follows writes the recovered state as a clean snapshot.
                if (File.Exists(active)) _generation++;
                _log = CreateLog(_generation);
            }
            _logLength = _log.Length;
            // Damaged files were copied aside; a compaction replaces them with a clean snapshot of what was recovered,
            // so the damage is reported once, not at every start.
            if (_damagedKeptAside.Count > 0)
            {
                _compactRequested = true;
                _work.Set();
            }

            report.RetainedMessages = _state.Retained.Count;
            report.Sessions = _state.Sessions.Count;
            report.QueuedMessages = _state.Sessions.Values.Sum(s => s.Messages.Count);
            report.Duration = watch.Elapsed;
            Recovery = report;
        }

        private readonly HashSet<string> _damagedKeptAside = new HashSet<string>(StringComparer.Ordinal);

        /// <summary>Adds a damaged file's findings to the report and keeps a copy of the file aside for inspection
        /// (in the store's damaged/ folder); the file itself is not changed.</summary>
        private void ReportDamage(MqttRecoveryReport report, FileScan scan, string verdict)
        {
            if (scan.IsClean && verdict == null) return;
            var name = Path.GetFileName(scan.Path);
            var parts = new List<string>();
            if (scan.HeaderProblem != null) parts.Add(scan.HeaderProblem);
            foreach (var d in scan.Damaged)
            {
                parts.Add(d.Problem + "; " + d.Length + " byte(s) skipped, reading went on at offset " + (d.Offset + d.Length));
                report.BytesDropped += d.Length;
                foreach (var r in d.Records) report.Lost.Add(name + " at " + d.Offset + ": " + r);
            }
            if (scan.TailStart >= 0)
            {
                var length = scan.Length - scan.TailStart;
                parts.Add(scan.TailProblem + "; the last " + length + " byte(s) skipped");
                report.BytesDropped += length;
                foreach (var r in scan.TailRecords) report.Lost.Add(name + " at " + scan.TailStart + ": " + r);
            }
            if (verdict != null) parts.Add(verdict);
            var kept = KeepAside(scan.Path);
            if (kept != null)
            {
                report.DamagedFilesKept.Add(kept);
                parts.Add("the damaged file is kept as " + kept);
            }
            report.Problems.Add(name + ": " + string.Join("; ", parts));
        }

        private string KeepAside(string path)
        {
            try
            {
                var folder = Path.Combine(Directory, "damaged");
                System.IO.Directory.CreateDirectory(folder);
                var target = Path.Combine(folder, Path.GetFileName(path) + "." + DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture));
                for (var n = 2; File.Exists(target); n++) target = target.Split('~')[0] + "~" + n;
                File.Copy(path, target);
                _damagedKeptAside.Add(path);
                return target;
            }
            catch (IOException) { return null; }
            catch (UnauthorizedAccessException) { return null; }
        }

        /// <summary>A log whose header itself was torn (shorter than the header, nothing else in it): header rewritten.</summary>
        private static void RewriteHeader(string path)
        {
            using (var f = new FileStream(path, FileMode.Create, FileAccess.Write))
            {
                f.Write(PersistenceFile.LogMagic, 0, PersistenceFile.HeaderLength);
                f.Flush(true);
            }
        }

        private static void CopyInto(PersistedState from, PersistedState to)
        {
            foreach (var r in from.Retained) to.Retained[r.Key] = r.Value;
            foreach (var s in from.Sessions) to.Sessions[s.Key] = s.Value;
            to.LastSequence = from.LastSequence;
        }

        private FileStream CreateLog(long generation)
        {
            var stream = new FileStream(LogPath(generation), FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16);
            stream.Write(PersistenceFile.LogMagic, 0, PersistenceFile.HeaderLength);
            stream.Flush(true);
            SyncDirectory();
            return stream;
        }

        // Makes a created or renamed file's directory entry durable. Opening a directory is not possible on Windows
        // (nor needed there: NTFS journals metadata), hence best effort.
        private void SyncDirectory()
        {
            if (Path.DirectorySeparatorChar != '/') return;
            try
            {
                using (var dir = new FileStream(Directory, FileMode.Open, FileAccess.Read)) dir.Flush(true);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }

        private IEnumerable<long> ListGenerations(string prefix)
        {
            foreach (var file in System.IO.Directory.GetFiles(Directory, prefix + "*.dat"))
            {
                var name = Path.GetFileNameWithoutExtension(file);
                long generation;
                if (long.TryParse(name.Substring(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out generation)) yield return generation;
            }
        }

        private string SnapshotPath(long generation) => Path.Combine(Directory, "snapshot-" + generation.ToString("D8", CultureInfo.InvariantCulture) + ".dat");
        private string LogPath(long generation) => Path.Combine(Directory, "log-" + generation.ToString("D8", CultureInfo.InvariantCulture) + ".dat");

        private static void TryDelete(string path)
        {
            try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }

        private static TaskCompletionSource<bool> NewCompletion() => new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Writes what is pending, then closes the files. Stopping is graceful: nothing appended is lost.</summary>
        public void Dispose()
        {
            lock (_gate)
            {
                if (_stopping) return;
                _stopping = true;
                _work.Set();
            }
            if (_writer.IsAlive) _writer.Join();
            try { _log?.Flush(true); } catch (IOException) { } catch (ObjectDisposedException) { }
            _log?.Dispose();
            _work.Dispose();
        }
    }
}
