using System;
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

        [Fact]
        public void Maximum_packet_size_counts_the_whole_packet()
        {
            var publish = MqttPacketEncoder.Encode(new PublishPacket { Topic = "t", Payload = new byte[95] }, MqttProtocolVersion.V311);
            Assert.Equal(100, publish.Length);
            var exact = new MqttPacketDecoder(MqttProtocolVersion.V311, 100);
            exact.Append(publish, 0, publish.Length);
            Assert.True(exact.TryDecode(out _));

            var tooSmall = new MqttPacketDecoder(MqttProtocolVersion.V311, 99);
            tooSmall.Append(publish, 0, 3); // the fixed header is enough to refuse
            var e = Assert.Throws<MqttProtocolException>(() => tooSmall.TryDecode(out _));
            Assert.Equal(MqttReasonCode.PacketTooLarge, e.ReasonCode);
            Assert.Contains("100 bytes exceeds the maximum packet size of 99", e.Message);
        }

        [Fact]
        public void A_declared_length_alone_does_not_make_the_buffer_grow()
        {
            // 256 MB announced, 4 bytes sent: the decoder waits without reserving the announced size.
            var decoder = new MqttPacketDecoder(MqttProtocolVersion.V311);
            decoder.Append(PacketAssert.Bytes("30 FF FF FF 7F 00"), 0, 6);
            Assert.False(decoder.TryDecode(out _));
            Assert.InRange(decoder.GetReceiveBuffer(16).Array.Length, 16, 128 * 1024);
        }

        [Fact]
        public void Receive_buffer_offers_room_for_a_large_pending_packet()
        {
            var big = MqttPacketEncoder.Encode(new PublishPacket { Topic = "t", Payload = new byte[300000] }, MqttProtocolVersion.V500);
            var decoder = new MqttPacketDecoder(MqttProtocolVersion.V500) { IsServer = false };
            var offset = 0;
            var reads = 0;
            MqttPacket packet = null;
            while (packet == null)
            {
                var target = decoder.GetReceiveBuffer();
                var count = Math.Min(target.Count, big.Length - offset);
                Buffer.BlockCopy(big, offset, target.Array, target.Offset, count);
                decoder.Commit(count);
                offset += count;
                reads++;
                decoder.TryDecode(out packet);
            }
            Assert.Equal(300000, ((PublishPacket)packet).Payload.Length);
            Assert.True(reads <= 10, "took " + reads + " reads");
            // While large packets keep coming the large buffer stays; once small ones follow, it goes back to the pool.
            Assert.False(decoder.TryDecode(out _));
            Assert.True(decoder.GetReceiveBuffer(16).Array.Length >= 300000);
            decoder.Append(PacketAssert.Bytes("D0 00"), 0, 2);
            Assert.True(decoder.TryDecode(out _));
            Assert.False(decoder.TryDecode(out _));
            Assert.True(decoder.GetReceiveBuffer(16).Array.Length <= 64 * 1024);
        }

        [Fact]
        public void A_faulted_decoder_stays_faulted()
        {
            var decoder = new MqttPacketDecoder(MqttProtocolVersion.V311);
            decoder.Append(PacketAssert.Bytes("C1 00 C0 00"), 0, 4);
            var first = Assert.Throws<MqttProtocolException>(() => decoder.TryDecode(out _));
            var second = Assert.Throws<MqttProtocolException>(() => decoder.TryDecode(out _));
            Assert.Same(first, second);
        }

        [Fact]
        public void Protocol_version_comes_from_connect_even_when_the_rest_is_malformed()
        {
            // 5.0 CONNECT whose property block runs past the packet: the server still answers with a 5.0 CONNACK.
            var decoder = new MqttPacketDecoder();
            decoder.Append(PacketAssert.Bytes("10 RL 00 04 4D 51 54 54 05 02 00 0A 09"), 0, 13);
            var e = Assert.Throws<MqttProtocolException>(() => decoder.TryDecode(out _));
            Assert.Equal(MqttReasonCode.MalformedPacket, e.ReasonCode);
            Assert.Equal(MqttProtocolVersion.V500, decoder.ProtocolVersion);

            var v31 = new MqttPacketDecoder();
            var connect = MqttPacketEncoder.Encode(new ConnectPacket { ProtocolVersion = MqttProtocolVersion.V310, ClientId = "x" }, MqttProtocolVersion.V310);
            v31.Append(connect, 0, connect.Length);
            Assert.True(v31.TryDecode(out _));
            Assert.Equal(MqttProtocolVersion.V310, v31.ProtocolVersion);
            Assert.True(v31.IsServer);
        }

        [Fact]
        public void Server_side_is_the_default_only_without_a_version()
        {
            Assert.True(new MqttPacketDecoder().IsServer);
            Assert.False(new MqttPacketDecoder(MqttProtocolVersion.V500).IsServer);
        }

        [Fact]
        public void Disposed_decoder_refuses_use()
        {
            var decoder = new MqttPacketDecoder(MqttProtocolVersion.V311);
            decoder.Dispose();
            Assert.Throws<ObjectDisposedException>(() => decoder.GetReceiveBuffer());
            Assert.Throws<ObjectDisposedException>(() => decoder.TryDecode(out _));
            decoder.Dispose();
        }

        [Fact]
        public void An_empty_decoder_releases_its_buffer_to_the_pool_and_bytes_arriving_later_still_decode()
        {
            var pool = new MqttBufferPool();
            var decoder = new MqttPacketDecoder(null, 0, pool);
            var connect = Stream(MqttProtocolVersion.V311, new ConnectPacket { ProtocolVersion = MqttProtocolVersion.V311, ClientId = "idle" });
            var target = decoder.GetReceiveBuffer();
            Buffer.BlockCopy(connect, 0, target.Array, target.Offset, connect.Length);
            decoder.Commit(connect.Length);
            Assert.True(decoder.TryDecode(out var first));
            Assert.IsType<ConnectPacket>(first);

            var held = target.Array;
            Assert.True(decoder.ReleaseBufferIfEmpty());
            Assert.False(decoder.HoldsBuffer);
            Assert.False(decoder.ReleaseBufferIfEmpty());
            // The array really went back to the pool (an idle connection holds none).
            Assert.Same(held, pool.Rent(held.Length));
            Assert.False(decoder.TryDecode(out _));

            // Read straight into a re-rented receive buffer.
            var publish = Stream(MqttProtocolVersion.V311,
                new PublishPacket { Topic = "after/release", Payload = Encoding.UTF8.GetBytes("woke up"), QoS = MqttQualityOfService.AtLeastOnce, PacketId = 7 });
            target = decoder.GetReceiveBuffer();
            Assert.True(decoder.HoldsBuffer);
            Assert.True(target.Count >= 4096);
            Buffer.BlockCopy(publish, 0, target.Array, target.Offset, publish.Length);
            decoder.Commit(publish.Length);
            Assert.True(decoder.TryDecode(out var second));
            var received = Assert.IsType<PublishPacket>(second);
            Assert.Equal("after/release", received.Topic);
            Assert.Equal("woke up", Encoding.UTF8.GetString(received.Payload));
            Assert.Equal(7, received.PacketId);

            // And copied in after another release.
            Assert.True(decoder.ReleaseBufferIfEmpty());
            decoder.Append(publish, 0, publish.Length);
            Assert.True(decoder.TryDecode(out var third));
            Assert.Equal("after/release", Assert.IsType<PublishPacket>(third).Topic);
            Assert.False(decoder.TryDecode(out _));
        }

        [Fact]
        public void A_partial_packet_is_never_released()
        {
            var decoder = new MqttPacketDecoder(MqttProtocolVersion.V311);
            var bytes = Stream(MqttProtocolVersion.V311,
                new PublishPacket { Topic = "half", Payload = Encoding.UTF8.GetBytes("first half, second half") },
                PingRespPacket.Instance);
            var firstPacketLength = bytes.Length - 2;
            var split = firstPacketLength / 2;
            decoder.Append(bytes, 0, split);
            Assert.False(decoder.TryDecode(out _));
            Assert.False(decoder.ReleaseBufferIfEmpty());
            Assert.True(decoder.HoldsBuffer);
            Assert.Equal(split, decoder.BufferedBytes);

            // The rest of the first packet and a whole second one: the first decodes, the second stays buffered
            // and is not released either.
            decoder.Append(bytes, split, bytes.Length - split - 1);
            Assert.True(decoder.TryDecode(out var packet));
            var publish = Assert.IsType<PublishPacket>(packet);
            Assert.Equal("half", publish.Topic);
            Assert.Equal("first half, second half", Encoding.UTF8.GetString(publish.Payload));
            Assert.False(decoder.TryDecode(out _));
            Assert.False(decoder.ReleaseBufferIfEmpty());
            decoder.Append(bytes, bytes.Length - 1, 1);
            Assert.True(decoder.TryDecode(out packet));
            Assert.IsType<PingRespPacket>(packet);
            Assert.True(decoder.ReleaseBufferIfEmpty());
        }

        [Fact]
        public void A_released_decoder_disposes_cleanly_and_a_disposed_one_refuses_release()
        {
            var decoder = new MqttPacketDecoder(MqttProtocolVersion.V311);
            Assert.True(decoder.ReleaseBufferIfEmpty());
            decoder.Dispose();
            Assert.Throws<ObjectDisposedException>(() => decoder.ReleaseBufferIfEmpty());
            Assert.Throws<ObjectDisposedException>(() => decoder.GetReceiveBuffer());
        }

        [Fact]
        public void Commit_checks_its_count()
        {
            var decoder = new MqttPacketDecoder(MqttProtocolVersion.V311);
            var target = decoder.GetReceiveBuffer(10);
            Assert.Throws<ArgumentOutOfRangeException>(() => decoder.Commit(target.Count + 1));
            Assert.Throws<ArgumentOutOfRangeException>(() => decoder.Commit(-1));
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
