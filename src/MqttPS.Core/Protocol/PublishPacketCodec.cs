using MqttPS.Core.Topics;

namespace MqttPS.Core.Protocol
{
    /// <summary>
    /// PUBLISH (section 3.3): the hot path. Encoding measures once and writes straight into the pooled buffer;
    /// decoding allocates the packet, the topic string and the payload (and properties only when present).
    /// Topic aliases are not resolved here: that is session state of the client or broker.
    /// </summary>
    internal static class PublishPacketCodec
    {
        private const int RetainFlag = 0x01;
        private const int DupFlag = 0x08;

        public static MqttPacketLayout Measure(PublishPacket packet, MqttProtocolVersion version)
        {
            var qos = (int)packet.QoS;
            if (qos > 2) throw MqttProtocolErrors.Malformed("MQTT-3.3.1-4", "PUBLISH QoS must be 0, 1 or 2, not " + qos);
            if (qos == 0 && packet.Dup) throw MqttProtocolErrors.Malformed("MQTT-3.3.1-2", "the DUP flag must be 0 for a QoS 0 PUBLISH");
            if (qos > 0 && packet.PacketId == 0)
                throw MqttProtocolErrors.ProtocolError("MQTT-2.2.1-3", "a QoS " + qos + " PUBLISH needs a non-zero packet identifier");

            var topic = packet.Topic ?? string.Empty;
            var properties = version == MqttProtocolVersion.V500 && packet.HasProperties ? packet.Properties : null;
            // An empty topic is sent only with a Topic Alias (5.0); anything else must be a valid topic name.
            if (topic.Length > 0 || version != MqttProtocolVersion.V500 || properties?.TopicAlias == null)
                MqttTopic.ValidateTopicName(topic);

            var layout = new MqttPacketLayout();
            layout.TopicLength = MqttUtf8.GetValidatedByteCount(topic, "topic name");
            long length = 2 + layout.TopicLength;
            if (qos > 0) length += 2;
            if (version == MqttProtocolVersion.V500)
            {
                layout.PropertiesLength = MqttPropertyCodec.GetContentLength(properties, (int)MqttPacketType.Publish);
                length += MqttPropertyCodec.GetBlockLength(layout.PropertiesLength);
            }
            length += packet.Payload?.Length ?? 0;
            MqttFixedHeader.GetPacketSize(length, MqttPacketType.Publish);
            layout.RemainingLength = (int)length;
            return layout;
        }

        public static void Write(PublishPacket packet, MqttProtocolVersion version, MqttPacketLayout layout, MqttBufferWriter output)
        {
            var flags = ((int)packet.QoS << 1) | (packet.Retain ? RetainFlag : 0) | (packet.Dup ? DupFlag : 0);
            MqttFixedHeader.Write(output, MqttPacketType.Publish, flags, layout.RemainingLength);
            output.WriteValidatedString(packet.Topic ?? string.Empty, layout.TopicLength);
            if (packet.QoS != MqttQualityOfService.AtMostOnce) output.WriteUInt16(packet.PacketId);
            if (version == MqttProtocolVersion.V500)
                MqttPropertyCodec.Write(output, packet.HasProperties ? packet.Properties : null, (int)MqttPacketType.Publish, layout.PropertiesLength);
            var payload = packet.Payload;
            if (payload != null) output.WriteBytes(payload, 0, payload.Length);
        }

        public static PublishPacket Read(ref MqttPacketReader reader, int flags, MqttProtocolVersion version, MqttDecodeRole role)
        {
            var qos = (flags >> 1) & 0x03;
            if (qos == 3) throw MqttProtocolErrors.Malformed("MQTT-3.3.1-4", "PUBLISH with both QoS bits set (QoS 3)");
            var dup = (flags & DupFlag) != 0;
            if (dup && qos == 0) throw MqttProtocolErrors.Malformed("MQTT-3.3.1-2", "the DUP flag must be 0 for a QoS 0 PUBLISH");

            var packet = new PublishPacket
            {
                QoS = (MqttQualityOfService)qos,
                Dup = dup,
                Retain = (flags & RetainFlag) != 0,
                Topic = reader.ReadString("topic name"),
            };
            if (qos > 0)
            {
                packet.PacketId = reader.ReadUInt16("packet identifier");
                if (packet.PacketId == 0)
                    throw MqttProtocolErrors.ProtocolError("MQTT-2.2.1-3", "a QoS " + qos + " PUBLISH needs a non-zero packet identifier");
            }
            MqttProperties properties = null;
            if (version == MqttProtocolVersion.V500)
            {
                properties = MqttPropertyCodec.Read(ref reader, (int)MqttPacketType.Publish, role);
                if (properties != null) packet.Properties = properties;
            }
            ValidateTopic(packet.Topic, properties, version);
            packet.Payload = reader.ReadRemainingBytes();
            return packet;
        }

        /// <remarks>
        /// A missing topic is a Malformed Packet here as in mosquitto (section 3.3.2.1 calls an empty topic
        /// without Topic Alias a Protocol Error; the broker is compared with mosquitto byte for byte).
        /// </remarks>
        private static void ValidateTopic(string topic, MqttProperties properties, MqttProtocolVersion version)
        {
            if (topic.Length == 0)
            {
                // 5.0: a zero-length Topic Name stands for the topic a Topic Alias was mapped to.
                if (version != MqttProtocolVersion.V500 || properties?.TopicAlias == null)
                    throw MqttProtocolErrors.Malformed("MQTT-4.7.3-1", "PUBLISH has an empty topic name and no Topic Alias");
            }
            else if (!MqttTopic.Check(topic, false, out var specReference, out var message))
            {
                // Wildcards [MQTT-3.3.2-2] and the other rules of section 4.7.
                var rule = MqttTopic.HasWildcards(topic) ? "MQTT-3.3.2-2" : specReference;
                throw MqttProtocolErrors.Malformed(rule, "invalid PUBLISH topic name: " + message);
            }
        }
    }
}
