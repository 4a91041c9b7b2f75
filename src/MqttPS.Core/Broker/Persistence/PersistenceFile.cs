using System;
using System.IO;

namespace MqttPS.Core.Broker.Persistence
{
    /// <summary>
    /// Framing of the store's files: an 8-byte magic header, then records of [u32 body length][u32 CRC-32 of the
    /// body][body], little-endian. A reader stops at the first record that is incomplete or fails its checksum:
    /// after a crash that is a torn tail, and nothing behind it can be trusted.
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
        /// Reads every good record of <paramref name="path"/>, passing each body to <paramref name="record"/>. Returns
        /// the offset just after the last good record; <paramref name="problem"/> says why reading stopped early
        /// (null when the file ended cleanly).
        /// </summary>
        public static long ReadRecords(string path, byte[] expectedMagic, Func<byte[], int, bool> record, out string problem, out long recordCount)
        {
            problem = null;
            recordCount = 0;
            using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16, FileOptions.SequentialScan))
            {
                var length = stream.Length;
                var header = new byte[HeaderLength];
                if (ReadFully(stream, header, 0, HeaderLength) < HeaderLength)
                {
                    problem = "the file is shorter than its " + HeaderLength + "-byte header";
                    return 0;
                }
                for (var i = 0; i < HeaderLength; i++)
                {
                    if (header[i] != expectedMagic[i])
                    {
                        problem = "the file does not start with the expected header (not a store file, or a newer format)";
                        return 0;
                    }
                }
                long good = HeaderLength;
                var frame = new byte[FrameOverhead];
                var body = new byte[4096];
                while (true)
                {
                    if (good == length) return good;
                    if (length - good < FrameOverhead)
                    {
                        problem = "incomplete record header at offset " + good;
                        return good;
                    }
                    ReadFully(stream, frame, 0, FrameOverhead);
                    var bodyLength = ReadUInt32(frame, 0);
                    var crc = ReadUInt32(frame, 4);
                    if (bodyLength == 0 || bodyLength > MaximumBodyLength)
                    {
                        problem = "implausible record length " + bodyLength + " at offset " + good;
                        return good;
                    }
                    if (length - good - FrameOverhead < bodyLength)
                    {
                        problem = "record at offset " + good + " is cut short (" + bodyLength + " bytes announced, " + (length - good - FrameOverhead) + " present)";
                        return good;
                    }
                    if (body.Length < bodyLength) body = new byte[Math.Max(bodyLength, body.Length * 2)];
                    ReadFully(stream, body, 0, (int)bodyLength);
                    if (Crc32.Compute(body, 0, (int)bodyLength) != crc)
                    {
                        problem = "checksum mismatch in record at offset " + good;
                        return good;
                    }
                    try
                    {
                        if (!record(body, (int)bodyLength)) return good + FrameOverhead + bodyLength;
                    }
                    catch (InvalidDataException e)
                    {
                        problem = "record at offset " + good + " does not parse: " + e.Message;
                        return good;
                    }
                    recordCount++;
                    good += FrameOverhead + bodyLength;
                }
            }
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
