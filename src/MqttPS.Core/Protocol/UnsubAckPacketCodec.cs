namespace MqttPS.Core.Protocol
{
    /// <summary>UNSUBACK (section 3.11). MQTT 3.1/3.1.1: packet identifier only; 5.0: properties and reason codes.</summary>
    internal static class UnsubAckPacketCodec
    {
        public static MqttPacketLayout Measure(UnsubAckPacket packet, MqttProtocolVersion version)
        {
            if (packet.PacketId == 0)
                throw MqttProtocolErrors.ProtocolError("MQTT-2.2.1-3", "UNSUBACK needs a non-zero packet identifier");
            var layout = new MqttPacketLayout { RemainingLength = 2 };
            if (version == MqttProtocolVersion.V500)
            {
                if (packet.ReasonCodes.Count == 0)
                    throw MqttProtocolErrors.ProtocolError("MQTT-3.11.3-1", "UNSUBACK needs one reason code per topic filter of the UNSUBSCRIBE");
                foreach (var code in packet.ReasonCodes) MqttReasonCodeTables.Check(MqttReasonCodeTables.UnsubAck, (byte)code, MqttPacketType.UnsubAck);
                layout.PropertiesLength = MqttPropertyCodec.GetContentLength(packet.HasProperties ? packet.Properties : null, (int)MqttPacketType.UnsubAck);
                long length = 2L + MqttPropertyCodec.GetBlockLength(layout.PropertiesLength) + packet.ReasonCodes.Count;
                MqttFixedHeader.GetPacketSize(length, MqttPacketType.UnsubAck);
                layout.RemainingLength = (int)length;
            }
            return layout;
        }

        public static void Write(UnsubAckPacket packet, MqttProtocolVersion version, MqttPacketLayout layout, MqttBufferWriter output)
        {
            MqttFixedHeader.Write(output, MqttPacketType.UnsubAck, 0, layout.RemainingLength);
            output.WriteUInt16(packet.PacketId);
            if (version != MqttProtocolVersion.V500) return;
            MqttPropertyCodec.Write(output, packet.HasProperties ? packet.Properties : null, (int)MqttPacketType.UnsubAck, layout.PropertiesLength);
            var codes = packet.ReasonCodes;
            for (var i = 0; i < codes.Count; i++) output.WriteByte((byte)codes[i]);
        }

        public static UnsubAckPacket Read(ref MqttPacketReader reader, MqttProtocolVersion version)
        {
            if (version != MqttProtocolVersion.V500 && reader.Remaining != 2)
            {
                throw MqttProtocolErrors.Malformed(null, "the Remaining Length of an MQTT " + ConnectPacketCodec.VersionName(version)
                    + " UNSUBACK must be 2, not " + reader.Remaining);
            }
            var packet = new UnsubAckPacket { PacketId = reader.ReadUInt16("packet identifier") };
            if (packet.PacketId == 0)
                throw MqttProtocolErrors.ProtocolError("MQTT-2.2.1-3", "UNSUBACK needs a non-zero packet identifier");
            if (version != MqttProtocolVersion.V500) return packet;

            var properties = MqttPropertyCodec.Read(ref reader, (int)MqttPacketType.UnsubAck);
            if (properties != null) packet.Properties = properties;
            if (reader.EndOfData)
                throw MqttProtocolErrors.ProtocolError("MQTT-3.11.3-1", "UNSUBACK carries no reason code");
            while (!reader.EndOfData)
            {
                var code = reader.ReadByte("reason code");
                MqttReasonCodeTables.Check(MqttReasonCodeTables.UnsubAck, code, MqttPacketType.UnsubAck);
                packet.ReasonCodes.Add((UnsubAckReasonCode)code);
            }
            return packet;
        }
    }
}
