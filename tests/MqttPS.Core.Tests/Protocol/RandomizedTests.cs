using System;
using System.Collections.Generic;
using MqttPS.Core.Protocol;
using Xunit;

namespace MqttPS.Core.Tests.Protocol
{
    /// <summary>
    /// Generated packets (fixed seeds, bounded counts): thousands of random valid packets survive a round trip
    /// unchanged, and random or mutated byte streams only ever yield packets or <see cref="MqttProtocolException"/>.
    /// </summary>
    public class RandomizedTests
    {
        [Theory]
        [InlineData(1, MqttProtocolVersion.V500)]
        [InlineData(2, MqttProtocolVersion.V500)]
        [InlineData(3, MqttProtocolVersion.V311)]
        [InlineData(4, MqttProtocolVersion.V310)]
        public void Random_packets_round_trip(int seed, MqttProtocolVersion version)
        {
            var generator = new RandomPackets(seed);
            for (var i = 0; i < 1500; i++)
            {
                var packet = generator.Next(version);
                var encoded = MqttPacketEncoder.Encode(packet, version);
                Assert.Equal(encoded.Length, MqttPacketEncoder.GetEncodedLength(packet, version));
                MqttPacket decoded;
                try
                {
                    decoded = MqttPacketParser.Parse(encoded, 0, encoded.Length, packet is ConnectPacket ? (MqttProtocolVersion?)null : version);
                }
                catch (MqttProtocolException e)
                {
                    throw new Xunit.Sdk.XunitException("seed " + seed + " packet " + i + " (" + packet.PacketType + "): "
                        + e.Message + "\n" + PacketAssert.Hex(encoded));
                }
                Assert.Equal(packet.GetType(), decoded.GetType());
                // Nothing is lost or reordered: the decoded packet encodes to the same bytes.
                Assert.Equal(PacketAssert.Hex(encoded), PacketAssert.Hex(MqttPacketEncoder.Encode(decoded, version)));
                if (packet is PublishPacket publish)
                {
                    var p = (PublishPacket)decoded;
                    Assert.Equal(publish.Topic, p.Topic);
                    Assert.Equal(publish.Payload, p.Payload);
                    Assert.Equal(publish.QoS, p.QoS);
                    Assert.Equal(publish.PacketId, p.PacketId);
                    if (version == MqttProtocolVersion.V500) PacketAssert.EqualProperties(publish.HasProperties ? publish.Properties : null, p.HasProperties ? p.Properties : null);
                }
            }
        }

        [Theory]
        [InlineData(11, MqttProtocolVersion.V500, false)]
        [InlineData(12, MqttProtocolVersion.V311, false)]
        [InlineData(13, MqttProtocolVersion.V500, true)]
        [InlineData(14, MqttProtocolVersion.V310, true)]
        public void A_stream_of_random_packets_decodes_in_random_fragments(int seed, MqttProtocolVersion version, bool isServer)
        {
            var generator = new RandomPackets(seed);
            var random = generator.Random;
            var packets = new List<MqttPacket>();
            var expected = new List<string>();
            using (var stream = new MqttBufferWriter())
            {
                for (var i = 0; i < 500; i++)
                {
                    var packet = generator.Next(version);
                    if (packet is ConnectPacket || !Receivable(packet, isServer)) continue; // the stream follows the CONNECT
                    var before = stream.Length;
                    MqttPacketEncoder.Encode(packet, version, stream);
                    var bytes = new byte[stream.Length - before];
                    Buffer.BlockCopy(stream.Buffer, before, bytes, 0, bytes.Length);
                    expected.Add(PacketAssert.Hex(bytes));
                }

                var all = stream.ToArray();
                var decoder = new MqttPacketDecoder(version) { IsServer = isServer };
                var offset = 0;
                var sizes = new List<int>();
                while (offset < all.Length)
                {
                    // Alternate between socket-style reads into the receive buffer and copied chunks.
                    var chunk = Math.Min(all.Length - offset, random.Next(1, 700));
                    if (random.Next(2) == 0)
                    {
                        var target = decoder.GetReceiveBuffer(random.Next(1, 5000));
                        chunk = Math.Min(chunk, target.Count);
                        Buffer.BlockCopy(all, offset, target.Array, target.Offset, chunk);
                        decoder.Commit(chunk);
                    }
                    else
                    {
                        decoder.Append(all, offset, chunk);
                    }
                    offset += chunk;
                    while (decoder.TryDecode(out var packet))
                    {
                        packets.Add(packet);
                        sizes.Add(decoder.LastPacketSize);
                    }
                }
                Assert.Equal(0, decoder.BufferedBytes);
                Assert.Equal(expected.Count, packets.Count);
                for (var i = 0; i < packets.Count; i++)
                {
                    Assert.Equal(expected[i], PacketAssert.Hex(MqttPacketEncoder.Encode(packets[i], version)));
                    Assert.Equal(expected[i].Length / 3 + 1, sizes[i]);
                }
            }
        }

        [Theory]
        [InlineData(21, true)]
        [InlineData(22, false)]
        public void Mutated_packets_yield_packets_or_protocol_errors_only(int seed, bool isServer)
        {
            var generator = new RandomPackets(seed);
            var random = generator.Random;
            var rejected = 0;
            for (var i = 0; i < 6000; i++)
            {
                var version = (MqttProtocolVersion)random.Next(3, 6);
                var bytes = MqttPacketEncoder.Encode(generator.Next(version), version);
                Mutate(random, ref bytes);
                if (!DecodeStream(bytes, isServer ? (MqttProtocolVersion?)null : version, isServer, random)) rejected++;
                if (!DecodeStream(bytes, version, isServer, random)) rejected++;
            }
            // Most mutations must be caught; a vacuous decoder that accepts anything would fail here.
            Assert.True(rejected > 3000, "only " + rejected + " of 12000 mutated streams were rejected");
        }

        [Theory]
        [InlineData(31)]
        [InlineData(32)]
        public void Random_bytes_yield_packets_or_protocol_errors_only(int seed)
        {
            var random = new Random(seed);
            for (var i = 0; i < 4000; i++)
            {
                var bytes = new byte[random.Next(1, 200)];
                random.NextBytes(bytes);
                // Give the first byte a valid type now and then, so that more than the fixed header is exercised.
                if (random.Next(2) == 0) bytes[0] = (byte)((random.Next(1, 16) << 4) | (random.Next(4) == 0 ? random.Next(16) : 0));
                if (bytes.Length > 1 && random.Next(2) == 0) bytes[1] = (byte)random.Next(0, Math.Min(127, bytes.Length - 2) + 1);
                DecodeStream(bytes, (MqttProtocolVersion)random.Next(3, 6), random.Next(2) == 0, random);
                try
                {
                    MqttPacketParser.Parse(bytes, 0, bytes.Length, (MqttProtocolVersion)random.Next(3, 6));
                }
                catch (MqttProtocolException)
                {
                }
            }
        }

        /// <summary>Whether the packet may travel towards a server (or a client) at all.</summary>
        private static bool Receivable(MqttPacket packet, bool byServer)
        {
            switch (packet.PacketType)
            {
                case MqttPacketType.ConnAck:
                case MqttPacketType.SubAck:
                case MqttPacketType.UnsubAck:
                case MqttPacketType.PingResp:
                    return !byServer;
                case MqttPacketType.Connect:
                case MqttPacketType.Subscribe:
                case MqttPacketType.Unsubscribe:
                case MqttPacketType.PingReq:
                    return byServer;
                case MqttPacketType.Publish:
                    // Subscription Identifiers travel only from server to client [MQTT-3.3.4-6].
                    return !byServer || !packet.HasProperties || !packet.Properties.HasSubscriptionIdentifiers;
                default:
                    return true;
            }
        }

        private static void Mutate(Random random, ref byte[] bytes)
        {
            switch (random.Next(5))
            {
                case 0: // flip a bit
                    var index = random.Next(bytes.Length);
                    bytes[index] ^= (byte)(1 << random.Next(8));
                    break;
                case 1: // set a random byte
                    bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                    break;
                case 2: // truncate, keeping the announced length
                    if (bytes.Length > 2) Array.Resize(ref bytes, random.Next(1, bytes.Length));
                    break;
                case 3: // grow the remaining length byte (the body then runs into the next "packet")
                    if (bytes.Length > 1) bytes[1] = (byte)Math.Min(bytes[1] + random.Next(1, 5), 127);
                    break;
                default: // insert a byte
                    var insertAt = random.Next(bytes.Length + 1);
                    var longer = new byte[bytes.Length + 1];
                    Buffer.BlockCopy(bytes, 0, longer, 0, insertAt);
                    longer[insertAt] = (byte)random.Next(256);
                    Buffer.BlockCopy(bytes, insertAt, longer, insertAt + 1, bytes.Length - insertAt);
                    bytes = longer;
                    break;
            }
        }

        /// <summary>Feeds bytes in random pieces; true when no protocol error occurred.</summary>
        private static bool DecodeStream(byte[] bytes, MqttProtocolVersion? version, bool isServer, Random random)
        {
            var decoder = new MqttPacketDecoder(version, (uint)random.Next(0, 2) * 100000) { IsServer = isServer };
            var offset = 0;
            try
            {
                while (offset < bytes.Length)
                {
                    var chunk = Math.Min(bytes.Length - offset, random.Next(1, 40));
                    decoder.Append(bytes, offset, chunk);
                    offset += chunk;
                    while (decoder.TryDecode(out var packet)) Assert.NotNull(packet);
                }
                return true;
            }
            catch (MqttProtocolException)
            {
                // The decoder stays faulted: the connection would be closed.
                Assert.Throws<MqttProtocolException>(() => decoder.TryDecode(out _));
                return false;
            }
        }
    }
}
