using System;
using System.Linq;
using System.Text;
using MqttPS.Core.Protocol;

namespace MqttPS.Benchmarks
{
    /// <summary>
    /// PUBLISH encode and decode rates with MqttPacketEncoder / MqttPacketDecoder: 64 B and 4 KiB payloads, QoS 0 and
    /// 1, MQTT 3.1.1 and 5.0. MB/s counts whole packets on the wire. Allocation per operation shows what the codec
    /// costs beyond the payload and topic: encoding into a reused MqttBufferWriter should allocate nothing; decoding
    /// must allocate the packet object, the topic string and the payload array, and little else.
    /// </summary>
    public sealed class CodecBenchmark : IBenchmarkSuite
    {
        private const string Topic = "devices/12345/sensors/temperature";
        private const int PacketsPerBatch = 256;

        public string Name => "codec";
        public string Description => "PUBLISH encode/decode, 64 B and 4 KiB payloads, QoS 0 and 1, MQTT 3.1.1 and 5.0";

        public void Run(BenchmarkRunner runner)
        {
            foreach (var version in new[] { MqttProtocolVersion.V311, MqttProtocolVersion.V500 })
            foreach (int payloadSize in new[] { 64, 4096 })
            foreach (var qos in new[] { MqttQualityOfService.AtMostOnce, MqttQualityOfService.AtLeastOnce })
            {
                RunCase(runner, version, payloadSize, qos);
            }

            runner.Note("decode alloc B/op includes what a decoded PUBLISH must own; the unavoidable part is:");
            foreach (int payloadSize in new[] { 64, 4096 })
            {
                runner.Note("  " + payloadSize + " B payload: " + UnavoidableDecodeAllocation(payloadSize)
                            + " B (PublishPacket object with its default field values + topic string + payload array)");
            }
        }

        /// <summary>
        /// Bytes that any decoder must allocate for one PUBLISH: the packet object (as the packet model constructs
        /// it), the topic string and the payload array, measured rather than guessed from object layouts.
        /// </summary>
        private static long UnavoidableDecodeAllocation(int payloadSize)
        {
            char[] characters = Topic.ToCharArray();
            object keep = null;
            long best = long.MaxValue;
            for (int i = 0; i < 3; i++)
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                keep = new PublishPacket { Topic = new string(characters), Payload = new byte[payloadSize] };
                best = Math.Min(best, GC.GetAllocatedBytesForCurrentThread() - before);
            }
            GC.KeepAlive(keep);
            return best;
        }

        private static void RunCase(BenchmarkRunner runner, MqttProtocolVersion version, int payloadSize, MqttQualityOfService qos)
        {
            var payload = new byte[payloadSize];
            new Random(payloadSize).NextBytes(payload);
            var packet = new PublishPacket
            {
                Topic = Topic,
                Payload = payload,
                QoS = qos,
                PacketId = qos == MqttQualityOfService.AtMostOnce ? (ushort)0 : (ushort)1234,
            };

            int packetSize = MqttPacketEncoder.GetEncodedLength(packet, version);
            byte[] single = MqttPacketEncoder.Encode(packet, version);
            if (single.Length != packetSize)
            {
                throw new InvalidOperationException("GetEncodedLength says " + packetSize + " but Encode wrote " + single.Length);
            }
            Verify(single, version, packet);

            // One buffer holding many packets back to back, as a socket read would deliver them.
            byte[] batch = new byte[packetSize * PacketsPerBatch];
            for (int i = 0; i < PacketsPerBatch; i++) Buffer.BlockCopy(single, 0, batch, i * packetSize, packetSize);

            string label = (version == MqttProtocolVersion.V500 ? "5.0" : "3.1.1") + " QoS" + (int)qos + " "
                           + (payloadSize >= 1024 ? payloadSize / 1024 + " KiB" : payloadSize + " B");

            using (var writer = new MqttBufferWriter(packetSize + 64))
            {
                runner.Measure("encode PUBLISH " + label, n =>
                {
                    long written = 0;
                    for (long i = 0; i < n; i++)
                    {
                        writer.Reset();
                        written += MqttPacketEncoder.Encode(packet, version, writer);
                    }
                    return written;
                }, packetSize);
            }

            var decoder = new MqttPacketDecoder(version);
            runner.Measure("decode PUBLISH " + label, n =>
            {
                long decoded = 0;
                long remaining = n;
                while (remaining > 0)
                {
                    int packets = (int)Math.Min(remaining, PacketsPerBatch);
                    decoder.Append(batch, 0, packets * packetSize);
                    MqttPacket result;
                    while (decoder.TryDecode(out result))
                    {
                        decoded += ((PublishPacket)result).Payload.Length;
                    }
                    remaining -= packets;
                }
                return decoded;
            }, packetSize);
        }

        private static void Verify(byte[] encoded, MqttProtocolVersion version, PublishPacket expected)
        {
            var decoder = new MqttPacketDecoder(version);
            decoder.Append(encoded, 0, encoded.Length);
            if (!decoder.TryDecode(out MqttPacket packet) || !(packet is PublishPacket publish)
                || publish.Topic != expected.Topic || publish.QoS != expected.QoS || publish.PacketId != expected.PacketId
                || !publish.Payload.SequenceEqual(expected.Payload))
            {
                throw new InvalidOperationException("PUBLISH did not survive an encode/decode round trip (" + version + ").");
            }
        }
    }
}
