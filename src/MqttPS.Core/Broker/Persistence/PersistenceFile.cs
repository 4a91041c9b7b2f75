using System;
using System.Collections.Generic;
using System.IO;

namespace MqttPS.Core.Broker.Persistence
{
    /// <summary>
    /// Framing of the store's files: an 8-byte magic header, then records of [u32 body length][u32 CRC-32 of the
    /// body][body], little-endian. After a crash the last record may be torn; damage elsewhere (a flipped byte, a bad
    /// sector) is confined to the records it hits, because every record carries its own length and checksum.
    /// </summary>
    internal static class PersistenceFile
    {
        public const int HeaderLength = 8;
        public const int FrameOverhead = 8;

        /// <summary>Largest body accepted: an MQTT packet is at most 256 MiB, a record holds one message plus a little.</summary>
        public const int MaximumBodyLength = 260 * 1024 * 1024;

        public static readonly byte[] LogMagic = { (byte)'M', (byte)'Q', (byte)'P', (byte)'S', (byte)'L', (byte)'O', (byte)'G', 1 };
        public static readonly byte[] SnapshotMagic = { (byte)'M', (byte)'Q', (byte)'P', (byte)'S', (byte)'S', (byte)'N', (byte)'P', 1 };

        public static byte[] Frame(byte[] body)
        {
            var framed = new byte[FrameOverhead + body.Length];
            WriteUInt32(framed, 0, (uint)body.Length);
            WriteUInt32(framed, 4, Crc32.Compute(body, 0, body.Length));
            Buffer.BlockCopy(body, 0, framed, FrameOverhead, body.Length);
            return framed;
        }

        public static void WriteUInt32(byte[] buffer, int offset, uint value)
        {
            buffer[offset] = (byte)value;
            buffer[offset + 1] = (byte)(value >> 8);
            buffer[offset + 2] = (byte)(value >> 16);
            buffer[offset + 3] = (byte)(value >> 24);
        }

        public static uint ReadUInt32(byte[] buffer, int offset) =>
            (uint)(buffer[offset] | buffer[offset + 1] << 8 | buffer[offset + 2] << 16 | buffer[offset + 3] << 24);

        /// <summary>
        /// Reads every intact record of <paramref name="path"/>, passing each body to <paramref name="record"/> (which
        /// returns false to stop: a snapshot's end marker). Records are CRC-framed, so damage costs only what it hits:
        /// a record that is cut short, fails its checksum or does not parse is skipped, and reading goes on with the
        /// next intact record (the next offset where a whole frame checks out). A damaged header is skipped the same
        /// way. Nothing is changed on disk here; <see cref="FileScan"/> says what was skipped and where.
        /// </summary>
        public static FileScan ReadRecords(string path, byte[] expectedMagic, Func<byte[], int, bool> record)
        {
            var scan = new FileScan { Path = path };
            var data = File.ReadAllBytes(path);
            scan.Length = data.Length;
            long position = HeaderLength;
            if (data.Length < HeaderLength)
            {
                scan.HeaderProblem = "the file is shorter than its " + HeaderLength + "-byte header";
                scan.TailStart = 0;
                return scan;
            }
            if (!HasMagic(data, expectedMagic, HeaderLength))
            {
                if (HasMagic(data, expectedMagic, HeaderLength - 1))
                {
                    // Ours, but a format version this build does not know: leave it alone entirely.
                    scan.NewerFormat = true;
                    scan.HeaderProblem = "format version " + data[HeaderLength - 1] + " is not one this version reads";
                    return scan;
                }
                scan.HeaderProblem = "the " + HeaderLength + "-byte header is damaged";
            }
            var body = new byte[4096];
            while (position < data.Length)
            {
                var frame = TryFrame(data, position);
                if (frame > 0)
                {
                    var length = (int)frame - FrameOverhead;
                    if (body.Length < length) body = new byte[Math.Max(length, body.Length * 2)];
                    Buffer.BlockCopy(data, (int)position + FrameOverhead, body, 0, length);
                    bool more;
                    try
                    {
                        more = record(body, length);
                    }
                    catch (InvalidDataException e)
                    {
                        // The checksum holds but the content does not parse: skip exactly this record.
                        scan.Damaged.Add(new DamagedRange { Offset = position, Length = frame, Problem = "record does not parse: " + e.Message, Records = Describe(data, position, position + frame) });
                        position += frame;
                        continue;
                    }
                    scan.RecordCount++;
                    position += frame;
                    if (!more)
                    {
                        scan.EndMarker = true;
                        break;
                    }
                    continue;
                }
                // Damaged here: resume at the next intact record, preferring the end of this one if its length is sane.
                var problem = DescribeProblem(data, position);
                var next = NextIntactFrame(data, position);
                if (next < 0)
                {
                    scan.TailStart = position;
                    scan.TailProblem = problem;
                    scan.TailRecords = Describe(data, position, data.Length);
                    break;
                }
                scan.Damaged.Add(new DamagedRange { Offset = position, Length = next - position, Problem = problem, Records = Describe(data, position, next) });
                position = next;
            }
            scan.GoodEnd = scan.TailStart >= 0 ? scan.TailStart : position;
            return scan;
        }

        private static bool HasMagic(byte[] data, byte[] magic, int count)
        {
            for (var i = 0; i < count; i++) if (data[i] != magic[i]) return false;
            return true;
        }

        /// <summary>The size of the whole, checksum-valid frame at <paramref name="offset"/>, or 0.</summary>
        private static long TryFrame(byte[] data, long offset)
        {
            if (data.Length - offset < FrameOverhead) return 0;
            var length = ReadUInt32(data, (int)offset);
            if (length == 0 || length > MaximumBodyLength || data.Length - offset - FrameOverhead < length) return 0;
            var crc = ReadUInt32(data, (int)offset + 4);
            return Crc32.Compute(data, (int)offset + FrameOverhead, (int)length) == crc ? FrameOverhead + length : 0;
        }

        /// <summary>The offset of the next intact frame after damage at <paramref name="offset"/>, or -1 if none follows.</summary>
        private static long NextIntactFrame(byte[] data, long offset)
        {
            // Most damage is inside one record whose length field still holds: try where it says the record ends.
            if (data.Length - offset >= FrameOverhead)
            {
                var length = ReadUInt32(data, (int)offset);
                var end = offset + FrameOverhead + length;
                if (length > 0 && length <= MaximumBodyLength && end < data.Length && TryFrame(data, end) > 0) return end;
            }
            for (var candidate = offset + 1; candidate <= data.Length - FrameOverhead; candidate++)
                if (TryFrame(data, candidate) > 0) return candidate;
            return -1;
        }

        private static string DescribeProblem(byte[] data, long offset)
        {
            if (data.Length - offset < FrameOverhead) return "incomplete record header at offset " + offset;
            var length = ReadUInt32(data, (int)offset);
            if (length == 0 || length > MaximumBodyLength) return "implausible record length " + length + " at offset " + offset;
            if (data.Length - offset - FrameOverhead < length)
                return "record at offset " + offset + " is cut short (" + length + " bytes announced, " + (data.Length - offset - FrameOverhead) + " present)";
            return "checksum mismatch in record at offset " + offset;
        }

        /// <summary>What the records in a damaged range were, as far as their (untrusted) bytes still tell.</summary>
        private static List<string> Describe(byte[] data, long from, long to)
        {
            var result = new List<string>();
            var position = from;
            while (to - position >= FrameOverhead && result.Count < 1000)
            {
                var length = ReadUInt32(data, (int)position);
                if (length == 0 || length > to - position - FrameOverhead)
                {
                    // The length field itself is damaged: the rest of the range, up to the next intact record, was most
                    // likely one record.
                    if (to - position > FrameOverhead)
                    {
                        result.Add(PersistedState.Describe(data, (int)position + FrameOverhead, (int)(to - position - FrameOverhead)) + " (its length field was damaged)");
                        position = to;
                    }
                    break;
                }
                result.Add(PersistedState.Describe(data, (int)position + FrameOverhead, (int)length));
                position += FrameOverhead + length;
            }
            if (position < to) result.Add((to - position) + " byte(s) that no longer read as records");
            return result;
        }

        private static int ReadFully(Stream stream, byte[] buffer, int offset, int count)
        {
            var total = 0;
            while (total < count)
            {
                var n = stream.Read(buffer, offset + total, count - total);
                if (n == 0) break;
                total += n;
            }
            return total;
        }
    }
}
