using System;
using System.Collections.Generic;
using MqttPS.Core.Protocol;
using Xunit;

namespace MqttPS.Core.Tests.Protocol
{
    /// <summary>
    /// What receiving costs (issue 16): the decoder's buffer grows with what arrives and never beyond the packet, is
    /// given up after a large packet, and a packet made of nothing but user properties is parsed in time and memory
    /// close to its size.
    /// </summary>
    public class DecoderMemoryTests
    {
        private static byte[] Publish(int payloadLength)
        {
            using (var output = new MqttBufferWriter())
            {
                MqttPacketEncoder.Encode(new PublishPacket { Topic = "big", Payload = new byte[payloadLength] }, MqttProtocolVersion.V500, output);
                return output.ToArray();
            }
        }

        [Fact]
        public void The_receive_buffer_grows_to_the_packet_size_at_most_and_is_given_up_after_the_packet()
        {
            var packet = Publish(3_000_000); // 3,000,010 bytes: doubling would end at 4 MiB
            using (var decoder = new MqttPacketDecoder(MqttProtocolVersion.V500))
            {
                var offset = 0;
                var largest = 0;
                MqttPacket decoded = null;
                while (offset < packet.Length)
                {
                    var segment = decoder.GetReceiveBuffer(4096);
                    largest = Math.Max(largest, segment.Array.Length);
                    var n = Math.Min(segment.Count, packet.Length - offset);
                    Buffer.BlockCopy(packet, offset, segment.Array, segment.Offset, n);
                    decoder.Commit(n);
                    offset += n;
                    if (decoder.TryDecode(out var p)) decoded = p;
                }
                Assert.NotNull(decoded);
                Assert.Equal(3_000_000, ((PublishPacket)decoded).Payload.Length);
                Assert.InRange(largest, 1, packet.Length);
                // Given up once the packet is decoded: the next read gets an ordinary buffer.
                Assert.False(decoder.TryDecode(out _));
                Assert.InRange(decoder.GetReceiveBuffer(4096).Array.Length, 4096, 64 * 1024);
            }
        }

        [Fact]
        public void A_declared_length_alone_does_not_grow_the_buffer()
        {
            using (var decoder = new MqttPacketDecoder(MqttProtocolVersion.V500))
            {
                // A PUBLISH announcing 256 MB, of which 10 bytes arrive.
                decoder.Append(new byte[] { 0x30, 0xFF, 0xFF, 0xFF, 0x7F, 0x00, 0x01, 0x74, 0x00, 0x00 }, 0, 10);
                Assert.False(decoder.TryDecode(out _));
                Assert.InRange(decoder.GetReceiveBuffer(4096).Array.Length, 4096, 128 * 1024);
            }
        }

        /// <summary>A PUBLISH whose property block is <paramref name="count"/> user properties a=b (7 bytes each).</summary>
        private static byte[] PublishFullOfUserProperties(int count, bool distinct)
        {
            var props = new List<byte>(count * 9);
            for (var i = 0; i < count; i++)
            {
                if (distinct)
                {
                    var name = (i % 65536).ToString("x4");
                    props.AddRange(new byte[] { 0x26, 0, 4 });
                    foreach (var c in name) props.Add((byte)c);
                    props.AddRange(new byte[] { 0, 1, (byte)'v' });
                }
                else props.AddRange(new byte[] { 0x26, 0, 1, (byte)'a', 0, 1, (byte)'b' });
            }
            var body = new List<byte> { 0, 1, (byte)'t' };
            body.AddRange(VariableByteIntegerBytes((uint)props.Count));
            body.AddRange(props);
            var packet = new List<byte> { 0x30 };
            packet.AddRange(VariableByteIntegerBytes((uint)body.Count));
            packet.AddRange(body);
            return packet.ToArray();
        }

        private static IEnumerable<byte> VariableByteIntegerBytes(uint value)
        {
            do
            {
                var b = (byte)(value % 128);
                value /= 128;
                if (value > 0) b |= 0x80;
                yield return b;
            } while (value > 0);
        }

        [Fact]
        public void A_packet_of_repeated_user_properties_costs_about_its_size()
        {
            var packet = PublishFullOfUserProperties(1_000_000, distinct: false); // 7 MB on the wire
            using (var decoder = new MqttPacketDecoder(MqttProtocolVersion.V500))
            {
                decoder.Append(packet, 0, packet.Length);
                var before = GC.GetAllocatedBytesForCurrentThread();
                Assert.True(decoder.TryDecode(out var decoded));
                var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                var users = ((PublishPacket)decoded).Properties.UserProperties;
                Assert.Equal(1_000_000, users.Count);
                Assert.Equal(new MqttUserProperty("a", "b"), users[999_999]);
                // One shared property object and the list (8 bytes a slot, grown by doubling): ~16 MB for 7 MB of input.
                // Before: two strings and an object per property, ~110 MB.
                Assert.True(allocated < 3L * packet.Length, "decoding " + packet.Length + " bytes allocated " + allocated + " bytes");
            }
        }
    }
}
