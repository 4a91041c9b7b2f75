namespace MqttPS.Core.Protocol
{
    /// <summary>UNSUBSCRIBE (section 3.10): packet identifier, properties (5.0), then topic filters.</summary>
    /// <remarks>As for SUBSCRIBE, decoding errors are Malformed Packets as in mosquitto.</remarks>
    internal static class UnsubscribePacketCodec
    {
        public static MqttPacketLayout Measure(UnsubscribePacket packet, MqttProtocolVersion version)
        {
            if (packet.PacketId == 0)
                throw MqttProtocolErrors.ProtocolError("MQTT-2.2.1-3", "UNSUBSCRIBE needs a non-zero packet identifier");
            var filters = packet.TopicFilters;
            if (filters.Count == 0)
                throw MqttProtocolErrors.ProtocolError("MQTT-3.10.3-2", "UNSUBSCRIBE needs at least one topic filter");
            var layout = new MqttPacketLayout();
            long length = 2;
            if (version == MqttProtocolVersion.V500)
            {
                layout.PropertiesLength = MqttPropertyCodec.GetContentLength(packet.HasProperties ? packet.Properties : null, (int)MqttPacketType.Unsubscribe);
                length += MqttPropertyCodec.GetBlockLength(layout.PropertiesLength);
            }
            for (var i = 0; i < filters.Count; i++)
            {
                var filter = filters[i] ?? string.Empty;
                SubscribePacketCodec.ValidateOutgoingFilter(filter);
                length += 2 + MqttUtf8.GetValidatedByteCount(filter, "topic filter");
            }
            MqttFixedHeader.GetPacketSize(length, MqttPacketType.Unsubscribe);
            layout.RemainingLength = (int)length;
            return layout;
        }

        public static void Write(UnsubscribePacket packet, MqttProtocolVersion version, MqttPacketLayout layout, MqttBufferWriter output)
        {
            MqttFixedHeader.Write(output, MqttPacketType.Unsubscribe, 0x02, layout.RemainingLength);
            output.WriteUInt16(packet.PacketId);
            if (version == MqttProtocolVersion.V500)
                MqttPropertyCodec.Write(output, packet.HasProperties ? packet.Properties : null, (int)MqttPacketType.Unsubscribe, layout.PropertiesLength);
            var filters = packet.TopicFilters;
            for (var i = 0; i < filters.Count; i++) output.WriteString(filters[i] ?? string.Empty);
        }

        public static UnsubscribePacket Read(ref MqttPacketReader reader, MqttProtocolVersion version)
        {
            var packet = new UnsubscribePacket { PacketId = reader.ReadUInt16("packet identifier") };
            if (packet.PacketId == 0)
                throw MqttProtocolErrors.Malformed("MQTT-2.2.1-3", "UNSUBSCRIBE needs a non-zero packet identifier");
            if (version == MqttProtocolVersion.V500)
            {
                var properties = MqttPropertyCodec.Read(ref reader, (int)MqttPacketType.Unsubscribe);
                if (properties != null) packet.Properties = properties;
            }
            if (reader.EndOfData)
                throw MqttProtocolErrors.Malformed("MQTT-3.10.3-2", "UNSUBSCRIBE needs at least one topic filter");
            while (!reader.EndOfData)
            {
                var filter = reader.ReadString("topic filter");
                SubscribePacketCodec.ValidateFilter(filter);
                packet.TopicFilters.Add(filter);
            }
            return packet;
        }
    }
}
