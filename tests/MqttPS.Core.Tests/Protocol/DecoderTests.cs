using System.Collections.Generic;
using System.Text;
using MqttPS.Core.Protocol;
using Xunit;

namespace MqttPS.Core.Tests.Protocol
{
    /// <summary>The incremental decoder: fragmentation, batching, size limits and the CONNECT handshake.</summary>
    public class DecoderTests
    {
        private static byte[] Stream(MqttProtocolVersion version, params MqttPacket[] packets)
        {
            using (var output = new MqttBufferWriter())
            {
                foreach (var packet in packets) MqttPacketEncoder.Encode(packet, version, output);
                return output.ToArray();
            }
        }

        private static MqttPacket[] SamplePackets()
        {
            var subscribe = new SubscribePacket { PacketId = 2 };
            subscribe.Subscriptions.Add(new MqttTopicSubscription("s/#", MqttQualityOfService.AtLeastOnce));
            return new MqttPacket[]
            {
                new ConnectPacket { ProtocolVersion = MqttProtocolVersion.V500, ClientId = "frag" },
                new PublishPacket { Topic = "t", Payload = Encoding.UTF8.GetBytes("hello"), QoS = MqttQualityOfService.AtLeastOnce, PacketId = 1 },
                subscribe,
                new PublishPacket { Topic = "big", Payload = new byte[70000] },
                PingReqPacket.Instance,
                new DisconnectPacket(),
            };
        }

        private static List<MqttPacket> DecodeAll(MqttPacketDecoder decoder, List<MqttPacket> into)
        {
            while (decoder.TryDecode(out var packet)) into.Add(packet);
            return into;
        }

        [Fact]
        public void Byte_at_a_time()
        {
            var bytes = Stream(MqttProtocolVersion.V500, SamplePackets());
            var decoder = new MqttPacketDecoder();
            var packets = new List<MqttPacket>();
            foreach (var b in bytes)
            {
                decoder.Append(new[] { b }, 0, 1);
                DecodeAll(decoder, packets);
            }
            AssertSample(packets);
            Assert.Equal(0, decoder.BufferedBytes);
            Assert.Equal(MqttProtocolVersion.V500, decoder.ProtocolVersion);
        }

        [Fact]
        public void Many_packets_in_one_buffer_through_the_receive_buffer()
        {
            var bytes = Stream(MqttProtocolVersion.V500, SamplePackets());
            var decoder = new MqttPacketDecoder();
            var offset = 0;
            var packets = new List<MqttPacket>();
            while (offset < bytes.Length)
            {
                var target = decoder.GetReceiveBuffer();
                var count = System.Math.Min(target.Count, bytes.Length - offset);
                System.Buffer.BlockCopy(bytes, offset, target.Array, target.Offset, count);
                decoder.Commit(count);
                offset += count;
                DecodeAll(decoder, packets);
            }
            AssertSample(packets);
        }

        [Fact]
        public void Last_packet_size_is_reported()
        {
            var publish = new PublishPacket { Topic = "a", Payload = new byte[200] };
            var bytes = Stream(MqttProtocolVersion.V311, publish);
            var decoder = new MqttPacketDecoder(MqttProtocolVersion.V311);
            decoder.Append(bytes, 0, bytes.Length);
            Assert.True(decoder.TryDecode(out _));
            Assert.Equal(bytes.Length, decoder.LastPacketSize);
        }

        [Fact]
        public void Packet_too_large_is_refused_from_the_fixed_header()
        {
            var decoder = new MqttPacketDecoder(MqttProtocolVersion.V500, maximumPacketSize: 100);
            // PUBLISH announcing 1,000,000 bytes: only the fixed header has arrived.
            decoder.Append(PacketAssert.Bytes("30 C0 84 3D"), 0, 4);
            var e = Assert.Throws<MqttProtocolException>(() => decoder.TryDecode(out _));
            Assert.Equal(MqttReasonCode.PacketTooLarge, e.ReasonCode);
        }

        [Fact]
        public void First_packet_must_be_connect_on_the_server_side()
        {
            var decoder = new MqttPacketDecoder();
            decoder.Append(PacketAssert.Bytes("C0 00"), 0, 2);
            var e = Assert.Throws<MqttProtocolException>(() => decoder.TryDecode(out _));
            Assert.Equal(MqttReasonCode.ProtocolError, e.ReasonCode);
        }

        private static void AssertSample(List<MqttPacket> packets)
        {
            Assert.Equal(6, packets.Count);
            Assert.Equal("frag", ((ConnectPacket)packets[0]).ClientId);
            Assert.Equal("hello", Encoding.UTF8.GetString(((PublishPacket)packets[1]).Payload));
            Assert.Equal("s/#", ((SubscribePacket)packets[2]).Subscriptions[0].TopicFilter);
            Assert.Equal(70000, ((PublishPacket)packets[3]).Payload.Length);
            Assert.IsType<PingReqPacket>(packets[4]);
            Assert.IsType<DisconnectPacket>(packets[5]);
        }
    }
}
