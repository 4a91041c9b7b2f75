using System;
using System.Text;
using MqttPS.Core.Protocol;
using Xunit;

namespace MqttPS.Core.Tests.Protocol
{
    /// <summary>
    /// The PUBLISH hot path allocates nothing beyond its results: encoding into a pooled writer allocates
    /// nothing, decoding allocates the packet, the topic string and the payload (and properties only when present).
    /// Measured with the thread's allocation counter, which is exact (no timing involved).
    /// </summary>
    public class AllocationTests
    {
        private const string Topic = "sensors/building-1/floor-2/temperature";

        private static long AllocatedPerCall(Action action, int calls = 200)
        {
            for (var i = 0; i < 50; i++) action(); // JIT and pools warm
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < calls; i++) action();
            return (GC.GetAllocatedBytesForCurrentThread() - before) / calls;
        }

        [Theory]
        [InlineData(MqttProtocolVersion.V311, 64)]
        [InlineData(MqttProtocolVersion.V500, 64)]
        [InlineData(MqttProtocolVersion.V500, 4096)]
        public void Encoding_a_publish_into_a_writer_allocates_nothing(MqttProtocolVersion version, int payloadSize)
        {
            var packet = new PublishPacket { Topic = Topic, Payload = new byte[payloadSize], QoS = MqttQualityOfService.AtLeastOnce, PacketId = 9 };
            if (version == MqttProtocolVersion.V500)
            {
                packet.Properties.ContentType = "application/json";
                packet.Properties.MessageExpiryInterval = 60;
                packet.Properties.UserProperties.Add(new MqttUserProperty("origin", "test"));
            }
            using (var writer = new MqttBufferWriter(8192))
            {
                Assert.Equal(0, AllocatedPerCall(() =>
                {
                    writer.Reset();
                    MqttPacketEncoder.Encode(packet, version, writer);
                }));
            }
        }

        [Theory]
        [InlineData(MqttProtocolVersion.V311, 64)]
        [InlineData(MqttProtocolVersion.V500, 64)]
        [InlineData(MqttProtocolVersion.V311, 4096)]
        public void Decoding_a_publish_allocates_only_the_packet_topic_and_payload(MqttProtocolVersion version, int payloadSize)
        {
            var bytes = MqttPacketEncoder.Encode(
                new PublishPacket { Topic = Topic, Payload = new byte[payloadSize], QoS = MqttQualityOfService.AtLeastOnce, PacketId = 9 }, version);
            var topicBytes = Encoding.UTF8.GetBytes(Topic);
            var minimum = AllocatedPerCall(() =>
            {
                GC.KeepAlive(new PublishPacket());
                GC.KeepAlive(Encoding.UTF8.GetString(topicBytes, 0, topicBytes.Length));
                GC.KeepAlive(new byte[payloadSize]);
            });

            var decoder = new MqttPacketDecoder(version) { IsServer = true };
            var decoding = AllocatedPerCall(() =>
            {
                decoder.Append(bytes, 0, bytes.Length);
                Assert.True(decoder.TryDecode(out _));
            });
            Assert.Equal(minimum, decoding);
        }
    }
}
