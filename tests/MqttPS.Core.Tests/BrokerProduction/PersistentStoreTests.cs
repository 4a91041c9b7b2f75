using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using MqttPS.Core.Broker.Persistence;
using MqttPS.Core.Messages;
using MqttPS.Core.Protocol;
using Xunit;
using Xunit.Abstractions;

namespace MqttPS.Core.Tests.BrokerProduction
{
    [Collection(MeasuringCollection.Name)]
    public sealed class PersistentStoreTests : IDisposable
    {
        private readonly string _dir = Directory.CreateTempSubdirectory("mqttps-store-").FullName;
        private readonly ITestOutputHelper _output;

        public PersistentStoreTests(ITestOutputHelper output) { _output = output; }

        public void Dispose() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

        private MqttPersistentStore Open(PersistenceDurability durability = PersistenceDurability.PerMessage, long compactAt = 64L << 20) =>
            MqttPersistentStore.Open(_dir, new MqttPersistenceOptions { Durability = durability, CompactionThresholdBytes = compactAt });

        private string ActiveLog() => Directory.GetFiles(_dir, "log-*.dat").OrderBy(f => f).Last();

        [Fact]
        public async Task Everything_stored_is_there_after_reopening()
        {
            long queuedSeq, ackedSeq;
            using (var store = Open())
            {
                var rich = new MqttMessage("a/b", "hello", MqttQualityOfService.AtLeastOnce, true)
                {
                    ContentType = "text/plain", ResponseTopic = "reply/here", CorrelationData = new byte[] { 1, 2 },
                    PayloadFormatIndicator = 1, MessageExpiryInterval = 3600,
                };
                rich.UserProperties.Add(new MqttUserProperty("k", "v"));
                await store.SetRetainedAsync(rich);
                await store.SetRetainedAsync(new MqttMessage("gone", "x", retain: true));
                await store.ClearRetainedAsync("gone");
                await store.SetRetainedAsync(new MqttMessage("also/gone", "x", retain: true));
                await store.SetRetainedAsync(new MqttMessage("also/gone", new byte[0], retain: true)); // empty payload clears

                await store.CreateSessionAsync("c1", 300);
                await store.AddSubscriptionAsync("c1", new PersistedSubscription { TopicFilter = "x/#", QoS = MqttQualityOfService.ExactlyOnce, NoLocal = true, RetainHandling = RetainHandling.DoNotSend, SubscriptionIdentifier = 42 });
                await store.AddSubscriptionAsync("c1", new PersistedSubscription { TopicFilter = "y", QoS = MqttQualityOfService.AtLeastOnce });
                await store.RemoveSubscriptionAsync("c1", "y");
                queuedSeq = store.NextSequence();
                var q1 = new MqttMessage("x/1", "q1", MqttQualityOfService.AtLeastOnce);
                q1.SubscriptionIdentifiers.Add(42);
                await store.QueueMessageAsync("c1", queuedSeq, q1);
                ackedSeq = store.NextSequence();
                await store.QueueMessageAsync("c1", ackedSeq, new MqttMessage("x/2", "q2", MqttQualityOfService.AtLeastOnce));
                await store.SetInFlightAsync("c1", queuedSeq, 7, InFlightState.PublishSent);
                await store.AcknowledgeMessageAsync("c1", ackedSeq);
                await store.IncomingQoS2ReceivedAsync("c1", 9, new MqttMessage("in/9", "nine", MqttQualityOfService.ExactlyOnce));
                await store.IncomingQoS2ReceivedAsync("c1", 10, new MqttMessage("in/10", "ten", MqttQualityOfService.ExactlyOnce));
                await store.IncomingQoS2ReleasedAsync("c1", 10);
                await store.CreateSessionAsync("c2", 10);
                await store.RemoveSessionAsync("c2");
            }

            using (var store = Open())
            {
                Assert.True(store.Recovery.IsClean, store.Recovery.ToString());
                var retained = store.GetRetainedMessages();
                var m = Assert.Single(retained);
                Assert.Equal("a/b", m.Topic);
                Assert.Equal("hello", m.PayloadText);
                Assert.True(m.Retain);
                Assert.Equal("text/plain", m.ContentType);
                Assert.Equal("reply/here", m.ResponseTopic);
                Assert.Equal(new byte[] { 1, 2 }, m.CorrelationData);
                Assert.Equal((byte)1, m.PayloadFormatIndicator);
                Assert.Equal(3600u, m.MessageExpiryInterval);
                Assert.Equal("k", m.UserProperties.Single().Name);

                var session = Assert.Single(store.GetSessions());
                Assert.Equal("c1", session.ClientId);
                Assert.Equal(300u, session.SessionExpiryInterval);
                var sub = Assert.Single(session.Subscriptions.Values);
                Assert.Equal("x/#", sub.TopicFilter);
                Assert.Equal(MqttQualityOfService.ExactlyOnce, sub.QoS);
                Assert.True(sub.NoLocal);
                Assert.Equal(RetainHandling.DoNotSend, sub.RetainHandling);
                Assert.Equal(42u, sub.SubscriptionIdentifier);
                var queued = Assert.Single(session.Messages.Values);
                Assert.Equal(queuedSeq, queued.Sequence);
                Assert.Equal("q1", queued.Message.PayloadText);
                Assert.Equal(new uint[] { 42 }, queued.Message.SubscriptionIdentifiers.ToArray());
                Assert.Equal((ushort)7, queued.PacketId);
                Assert.Equal(InFlightState.PublishSent, queued.State);
                Assert.Equal("nine", Assert.Single(session.IncomingQoS2, p => p.Key == 9).Value.PayloadText);
                Assert.Single(session.IncomingQoS2);
                Assert.True(store.NextSequence() > ackedSeq, "sequence numbers keep increasing across restarts");
            }
        }

        [Fact]
        public async Task A_torn_tail_is_cut_off_and_reported()
        {
            using (var store = Open())
            {
                for (var i = 0; i < 10; i++) await store.SetRetainedAsync(new MqttMessage("t/" + i, "v" + i, retain: true));
            }
            var log = ActiveLog();
            var goodLength = new FileInfo(log).Length;
            // A crash in the middle of writing the eleventh record: its header and half its body reached the disk.
            var torn = PersistenceFile.Frame(Encoding.UTF8.GetBytes("\u0001partial record body"));
            using (var f = new FileStream(log, FileMode.Append)) f.Write(torn, 0, torn.Length - 5);

            using (var store = Open())
            {
                Assert.False(store.Recovery.IsClean);
                Assert.Contains("cut short", store.Recovery.Problems.Single());
                Assert.Equal(torn.Length - 5, store.Recovery.BytesDropped);
                Assert.Equal(10, store.RetainedCount);
                Assert.Equal(goodLength, new FileInfo(log).Length);
                await store.SetRetainedAsync(new MqttMessage("after", "repair", retain: true));
            }
            using (var store = Open())
            {
                Assert.True(store.Recovery.IsClean, store.Recovery.ToString());
                Assert.Equal(11, store.RetainedCount);
            }
        }

        [Fact]
        public async Task A_truncated_file_keeps_every_complete_record()
        {
            using (var store = Open())
            {
                for (var i = 0; i < 50; i++) await store.SetRetainedAsync(new MqttMessage("t/" + i.ToString("D3"), new string('x', 100), retain: true));
            }
            var log = ActiveLog();
            var full = new FileInfo(log).Length;
            var perRecord = (full - PersistenceFile.HeaderLength) / 50;
            // Cut at every possible point of the last three records: the complete ones must always survive.
            for (var cut = full - 3 * perRecord; cut < full; cut += 7)
            {
                var copy = Path.Combine(_dir, "copy");
                Directory.CreateDirectory(copy);
                var target = Path.Combine(copy, Path.GetFileName(log));
                File.Copy(log, target, true);
                using (var f = new FileStream(target, FileMode.Open)) f.SetLength(cut);
                using (var store = MqttPersistentStore.Open(copy))
                {
                    var complete = (int)((cut - PersistenceFile.HeaderLength) / perRecord);
                    Assert.Equal(complete, store.RetainedCount);
                    Assert.Equal(cut - (PersistenceFile.HeaderLength + complete * perRecord), store.Recovery.BytesDropped);
                }
                Directory.Delete(copy, true);
            }
        }

        [Fact]
        public async Task A_corrupted_record_is_detected_by_its_checksum()
        {
            using (var store = Open())
            {
                for (var i = 0; i < 20; i++) await store.SetRetainedAsync(new MqttMessage("t/" + i.ToString("D3"), "value-" + i.ToString("D3"), retain: true));
            }
            var log = ActiveLog();
            var bytes = File.ReadAllBytes(log);
            var recordLength = (bytes.Length - PersistenceFile.HeaderLength) / 20;
            var fifteenth = PersistenceFile.HeaderLength + 15 * recordLength;
            bytes[fifteenth + PersistenceFile.FrameOverhead + 5] ^= 0x40; // one bit flipped inside record 16's body
            File.WriteAllBytes(log, bytes);

            using (var store = Open())
            {
                var problem = store.Recovery.Problems.Single();
                Assert.Contains("checksum mismatch in record at offset " + fifteenth, problem);
                // Only the damaged record is lost; the four after it are read (before: all five dropped, file truncated).
                Assert.Equal(19, store.RetainedCount);
                Assert.Equal(recordLength, store.Recovery.BytesDropped);
                // Named as far as its damaged bytes tell (the flipped bit is in the topic).
                Assert.StartsWith("retained message on 't/0", store.Recovery.Lost.Single().Split(": ", 2)[1]);
            }
        }

        [Fact]
        public void Garbage_instead_of_a_store_file_is_reported_not_thrown()
        {
            File.WriteAllBytes(Path.Combine(_dir, "log-00000000.dat"), Encoding.ASCII.GetBytes("this is not a store"));
            using (var store = Open())
            {
                Assert.Contains("header is damaged", store.Recovery.Problems.Single());
                Assert.Equal(0, store.RetainedCount);
                // Kept aside as it was, for inspection.
                Assert.Equal("this is not a store", File.ReadAllText(store.Recovery.DamagedFilesKept.Single()));
            }
            using (var store = Open()) Assert.True(store.Recovery.IsClean, store.Recovery.ToString());
        }

        [Fact]
        public async Task Compaction_replaces_the_log_with_a_snapshot_and_loses_nothing()
        {
            using (var store = Open(PersistenceDurability.Batched, compactAt: 20_000))
            {
                var writes = Enumerable.Range(0, 2000).Select(i => store.SetRetainedAsync(new MqttMessage("t/" + (i % 100), "v" + i, retain: true))).ToArray();
                await Task.WhenAll(writes);
                await store.CreateSessionAsync("s", 60);
                var seq = store.NextSequence();
                await store.QueueMessageAsync("s", seq, new MqttMessage("q", "queued", MqttQualityOfService.ExactlyOnce));
                await store.CompactAsync();
                Assert.True(store.Compactions >= 2, "the size threshold should also have triggered compaction, got " + store.Compactions);
                await store.SetRetainedAsync(new MqttMessage("t/after", "x", retain: true));
            }
            Assert.Single(Directory.GetFiles(_dir, "snapshot-*.dat"));
            Assert.Single(Directory.GetFiles(_dir, "log-*.dat"));
            using (var store = Open())
            {
                Assert.True(store.Recovery.IsClean, store.Recovery.ToString());
                Assert.Equal(101, store.RetainedCount);
                Assert.Equal("v1999", store.GetRetainedMessages().Single(m => m.Topic == "t/99").PayloadText);
                Assert.Equal("queued", store.GetSession("s").Messages.Values.Single().Message.PayloadText);
            }
        }

        [Fact]
        public async Task A_damaged_snapshot_is_reported_and_the_store_still_opens()
        {
            using (var store = Open())
            {
                await store.SetRetainedAsync(new MqttMessage("a", "1", retain: true));
                await store.CompactAsync();
                await store.SetRetainedAsync(new MqttMessage("b", "2", retain: true));
            }
            var snapshot = Directory.GetFiles(_dir, "snapshot-*.dat").Single();
            using (var f = new FileStream(snapshot, FileMode.Open)) f.SetLength(f.Length - 3);
            using (var store = Open())
            {
                Assert.Contains(store.Recovery.Problems, p => p.Contains("end marker is missing or damaged"));
                // What is intact in the snapshot is kept (before: the snapshot was ignored and "a" lost).
                Assert.Equal("1", store.GetRetainedMessages().Single(m => m.Topic == "a").PayloadText);
                Assert.Equal("2", store.GetRetainedMessages().Single(m => m.Topic == "b").PayloadText);
            }
        }

        // ---- issue 16: recovery keeps every intact record, reports what was lost, keeps damaged files aside ----

        private async Task<long[]> FillLog(int count)
        {
            var offsets = new long[count];
            using (var store = Open())
            {
                for (var i = 0; i < count; i++)
                {
                    offsets[i] = store.LogLength;
                    await store.SetRetainedAsync(new MqttMessage("r/" + i.ToString("D5"), "value " + i, retain: true));
                }
            }
            return offsets;
        }

        private void Report(string what, MqttRecoveryReport report)
        {
            var line = "RECOVERY " + what + ": " + report + " | kept: " + string.Join(", ", report.DamagedFilesKept.Select(Path.GetFileName));
            _output.WriteLine(line);
            Console.WriteLine(line);
        }

        [Fact]
        public async Task One_flipped_byte_in_the_middle_of_the_log_loses_that_record_only_and_truncates_nothing()
        {
            var offsets = await FillLog(1000);
            var log = ActiveLog();
            var bytes = File.ReadAllBytes(log);
            bytes[offsets[501] - 4] ^= 0x01; // in record 500's payload
            File.WriteAllBytes(log, bytes);

            using (var store = Open())
            {
                Report("one flipped byte in the middle of the log", store.Recovery);
                Assert.Equal(999, store.RetainedCount);
                Assert.DoesNotContain(store.GetRetainedMessages(), m => m.Topic == "r/00500");
                Assert.Equal("value 999", store.GetRetainedMessages().Single(m => m.Topic == "r/00999").PayloadText);
                Assert.Contains("checksum mismatch in record at offset " + offsets[500], store.Recovery.Problems.Single());
                Assert.Contains("retained message on 'r/00500'", store.Recovery.Lost.Single());
                // The damaged file is kept whole, as found.
                Assert.Equal(bytes, File.ReadAllBytes(store.Recovery.DamagedFilesKept.Single()));
            }
            using (var store = Open())
            {
                Assert.True(store.Recovery.IsClean, store.Recovery.ToString());
                Assert.Equal(999, store.RetainedCount);
            }
        }

        [Fact]
        public async Task A_damaged_header_loses_no_record()
        {
            await FillLog(1000);
            var log = ActiveLog();
            var bytes = File.ReadAllBytes(log);
            for (var i = 0; i < PersistenceFile.HeaderLength; i++) bytes[i] = 0xEE;
            File.WriteAllBytes(log, bytes);

            using (var store = Open())
            {
                Report("a damaged 8-byte log header", store.Recovery);
                Assert.Equal(1000, store.RetainedCount);
                Assert.Contains("header is damaged", store.Recovery.Problems.Single());
                Assert.Empty(store.Recovery.Lost);
                Assert.Equal(bytes, File.ReadAllBytes(store.Recovery.DamagedFilesKept.Single()));
            }
            using (var store = Open())
            {
                Assert.True(store.Recovery.IsClean, store.Recovery.ToString());
                Assert.Equal(1000, store.RetainedCount);
            }
        }

        [Fact]
        public async Task One_flipped_byte_in_the_snapshot_loses_that_record_only()
        {
            using (var store = Open(PersistenceDurability.Batched))
            {
                await Task.WhenAll(Enumerable.Range(0, 40_000).Select(i => store.SetRetainedAsync(new MqttMessage("s/" + i.ToString("D5"), "v" + i, retain: true))));
                await store.CreateSessionAsync("bob-phone", 3600, "bob");
                await store.AddSubscriptionAsync("bob-phone", new PersistedSubscription { TopicFilter = "bob/#", QoS = MqttQualityOfService.AtLeastOnce });
                await store.CompactAsync();
            }
            var snapshot = Directory.GetFiles(_dir, "snapshot-*.dat").Single();
            var bytes = File.ReadAllBytes(snapshot);
            bytes[bytes.Length / 2] ^= 0x10; // wherever it lands: a length field, a checksum, a topic or a payload
            File.WriteAllBytes(snapshot, bytes);

            using (var store = Open())
            {
                Report("one flipped byte in the snapshot (40,000 retained + a session)", store.Recovery);
                // Before: the whole snapshot was discarded (all 40,000 retained and the session's subscription lost).
                Assert.Equal(39_999, store.RetainedCount);
                Assert.Equal("bob/#", store.GetSession("bob-phone").Subscriptions.Values.Single().TopicFilter);
                Assert.Equal("bob", store.GetSession("bob-phone").Owner);
                Assert.Contains("retained message on '", store.Recovery.Lost.Single());
                Assert.Equal(bytes, File.ReadAllBytes(store.Recovery.DamagedFilesKept.Single()));
            }
            using (var store = Open())
            {
                Assert.True(store.Recovery.IsClean, store.Recovery.ToString());
                Assert.Equal(39_999, store.RetainedCount);
            }
        }

        [Fact]
        public async Task Damage_across_a_record_length_is_skipped_to_the_next_intact_record()
        {
            var offsets = await FillLog(100);
            var log = ActiveLog();
            var bytes = File.ReadAllBytes(log);
            // Overwrite records 40 and 41 from their length fields on: no length to trust, the reader searches.
            for (var i = offsets[40]; i < offsets[42] - 3; i++) bytes[i] = 0xA5;
            File.WriteAllBytes(log, bytes);
            using (var store = Open())
            {
                Report("two records overwritten", store.Recovery);
                Assert.Equal(98, store.RetainedCount);
                Assert.Contains("implausible record length", store.Recovery.Problems.Single());
                Assert.Contains("skipped, reading went on at offset " + offsets[42], store.Recovery.Problems.Single());
            }
        }

        [Theory]
        [InlineData(PersistenceDurability.PerMessage)]
        [InlineData(PersistenceDurability.Batched)]
        [InlineData(PersistenceDurability.None)]
        public async Task Every_durability_mode_completes_concurrent_writes_in_order(PersistenceDurability durability)
        {
            using (var store = Open(durability))
            {
                Assert.Equal(durability, store.Durability);
                await Task.WhenAll(Enumerable.Range(0, 500).Select(i => store.SetRetainedAsync(new MqttMessage("same", "v" + i, retain: true))));
            }
            using (var store = Open()) Assert.Equal("v499", store.GetRetainedMessages().Single().PayloadText);
        }

        [Fact]
        public async Task Recovery_time_of_100000_retained_messages()
        {
            const int count = 100_000;
            var payload = new byte[64];
            var watch = Stopwatch.StartNew();
            using (var store = Open(PersistenceDurability.Batched))
            {
                var tasks = new Task[count];
                for (var i = 0; i < count; i++) tasks[i] = store.SetRetainedAsync(new MqttMessage("bench/" + (i / 1000) + "/" + i, payload, retain: true));
                await Task.WhenAll(tasks);
            }
            var writeTime = watch.Elapsed;
            var logBytes = new DirectoryInfo(_dir).GetFiles().Sum(f => f.Length);

            MqttRecoveryReport fromLog, fromSnapshot;
            using (var store = Open())
            {
                fromLog = store.Recovery;
                Assert.Equal(count, store.RetainedCount);
                await store.CompactAsync();
            }
            using (var store = Open())
            {
                fromSnapshot = store.Recovery;
                Assert.Equal(count, store.RetainedCount);
                Assert.True(store.Recovery.IsClean, store.Recovery.ToString());
            }
            _output.WriteLine("BENCHMARK store of {0:N0} retained messages (64-byte payloads), {1:N1} MiB on disk", count, logBytes / 1048576.0);
            _output.WriteLine("BENCHMARK write (batched fsync): {0:N0} ms", writeTime.TotalMilliseconds);
            _output.WriteLine("BENCHMARK recovery from the log: {0:N0} ms", fromLog.Duration.TotalMilliseconds);
            _output.WriteLine("BENCHMARK recovery from a snapshot: {0:N0} ms", fromSnapshot.Duration.TotalMilliseconds);
            Console.WriteLine("BENCHMARK 100k retained: write {0:N0} ms, recovery from log {1:N0} ms, from snapshot {2:N0} ms, {3:N1} MiB",
                writeTime.TotalMilliseconds, fromLog.Duration.TotalMilliseconds, fromSnapshot.Duration.TotalMilliseconds, logBytes / 1048576.0);
        }
    }
}
