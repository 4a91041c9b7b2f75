using System;

namespace MqttPS.Core.Protocol
{
    /// <summary>SUBACK (section 3.9). MQTT 3.1/3.1.1 know 0, 1, 2 and 0x80: every failure is written as 0x80.</summary>
    internal static class SubAckPacketCodec
    {
        public static MqttPacketLayout Measure(SubAckPacket packet, MqttProtocolVersion version)
        {
            if (packet.PacketId == 0)
                throw MqttProtocolErrors.ProtocolError("MQTT-2.2.1-3", "SUBACK needs a non-zero packet identifier");
            if (packet.ReasonCodes.Count == 0)
                throw MqttProtocolErrors.ProtocolError("MQTT-3.9.3-1", "SUBACK needs one reason code per topic filter of the SUBSCRIBE");
            var layout = new MqttPacketLayout();
            long length = 2 + packet.ReasonCodes.Count;
            if (version == MqttProtocolVersion.V500)
            {
                foreach (var code in packet.ReasonCodes) MqttReasonCodeTables.Check(MqttReasonCodeTables.SubAck, (byte)code, MqttPacketType.SubAck);
                layout.PropertiesLength = MqttPropertyCodec.GetContentLength(packet.HasProperties ? packet.Properties : null, (int)MqttPacketType.SubAck);
                length += MqttPropertyCodec.GetBlockLength(layout.PropertiesLength);
            }
            MqttFixedHeader.GetPacketSize(length, MqttPacketType.SubAck);
            layout.RemainingLength = (int)length;
            return layout;
        }

        public static void Write(SubAckPacket packet, MqttProtocolVersion version, MqttPacketLayout layout, MqttBufferWriter output)
        {
            MqttFixedHeader.Write(output, MqttPacketType.SubAck, 0, layout.RemainingLength);
            output.WriteUInt16(packet.PacketId);
            if (version == MqttProtocolVersion.V500)
                MqttPropertyCodec.Write(output, packet.HasProperties ? packet.Properties : null, (int)MqttPacketType.SubAck, layout.PropertiesLength);
            var codes = packet.ReasonCodes;
            for (var i = 0; i < codes.Count; i++)
            {
                var code = (byte)codes[i];
                output.WriteByte(version == MqttProtocolVersion.V500 || code <= 2 ? code : (byte)0x80);
            }
        }

        public static SubAckPacket Read(ref MqttPacketReader reader, MqttProtocolVersion version)
        {
            var packet = new SubAckPacket { PacketId = reader.ReadUInt16("packet identifier") };
            if (packet.PacketId == 0)
                throw MqttProtocolErrors.ProtocolError("MQTT-2.2.1-3", "SUBACK needs a non-zero packet identifier");
            if (version == MqttProtocolVersion.V500)
            {
                var properties = MqttPropertyCodec.Read(ref reader, (int)MqttPacketType.SubAck);
                if (properties != null) packet.Properties = properties;
            }
            if (reader.EndOfData)
                throw MqttProtocolErrors.ProtocolError("MQTT-3.9.3-1", "SUBACK carries no reason code");
            while (!reader.EndOfData)
            {
                var code = reader.ReadByte("reason code");
                if (version == MqttProtocolVersion.V500) MqttReasonCodeTables.Check(MqttReasonCodeTables.SubAck, code, MqttPacketType.SubAck);
                else if (code > 2 && code != 0x80)
                    throw MqttProtocolErrors.ProtocolError("MQTT-3.9.3-2", "SUBACK return code 0x" + code.ToString("X2") + " is reserved");
                packet.ReasonCodes.Add((SubAckReasonCode)code);
            }
            return packet;
        }
    }
}
