using MqttPS.Core.Protocol;

namespace MqttPS.Core.Broker
{
    /// <summary>
    /// The encoded bytes of one PUBLISH shared by every subscriber that receives identical bytes. For QoS &gt; 0 the
    /// packet identifier differs per subscriber: the bytes hold a placeholder and the connection writer copies the
    /// bytes into its batch and patches the two identifier bytes at <see cref="PacketIdOffset"/>.
    /// </summary>
    internal sealed class EncodedPublish
    {
        private const int MaxKeptScratchBytes = 64 * 1024;
        [System.ThreadStatic] private static MqttBufferWriter _scratch;

        private EncodedPublish(byte[] bytes, int packetIdOffset, bool v5, MqttQualityOfService qos, bool retain, uint remainingExpiry)
        {
            Bytes = bytes;
            PacketIdOffset = packetIdOffset;
            V5 = v5;
            QoS = qos;
            Retain = retain;
            RemainingExpiry = remainingExpiry;
        }

        public byte[] Bytes { get; }

        /// <summary>Offset of the packet identifier, or -1 for QoS 0.</summary>
        public int PacketIdOffset { get; }
        public bool V5 { get; }
        public MqttQualityOfService QoS { get; }
        public bool Retain { get; }
        public uint RemainingExpiry { get; }

        public bool Matches(bool v5, MqttQualityOfService qos, bool retain, uint remainingExpiry)
            => V5 == v5 && QoS == qos && Retain == retain && RemainingExpiry == remainingExpiry;

        public static EncodedPublish Create(BrokerMessage message, bool v5, MqttQualityOfService qos, bool retain, uint remainingExpiry)
        {
            var packet = message.ToPublishPacket(v5, qos, retain, remainingExpiry);
            // The encoder rejects QoS>0 without an identifier; 0xFFFF is overwritten per subscriber anyway.
            if (qos != MqttQualityOfService.AtMostOnce) packet.PacketId = 0xFFFF;
            // Encoded in this thread's scratch writer (encoding never awaits), then copied out at its exact size: one
            // writer per routed message was a tenth of what a QoS 1 message allocates in the broker.
            var scratch = _scratch ?? (_scratch = new MqttBufferWriter(256));
            scratch.Reset();
            MqttPacketEncoder.Encode(packet, v5 ? MqttProtocolVersion.V500 : MqttProtocolVersion.V311, scratch);
            var bytes = scratch.ToArray();
            if (scratch.Buffer.Length > MaxKeptScratchBytes)
            {
                // A big message does not keep a big buffer on this thread: it goes back to the pool.
                scratch.Dispose();
                _scratch = null;
            }
            var offset = -1;
            if (qos != MqttQualityOfService.AtMostOnce)
            {
                // fixed header: type byte + variable byte integer; then the topic as a 2-byte length + UTF-8 bytes.
                var i = 1;
                while ((bytes[i] & 0x80) != 0) i++;
                i++;
                var topicLength = (bytes[i] << 8) | bytes[i + 1];
                offset = i + 2 + topicLength;
            }
            return new EncodedPublish(bytes, offset, v5, qos, retain, remainingExpiry);
        }
    }
}
