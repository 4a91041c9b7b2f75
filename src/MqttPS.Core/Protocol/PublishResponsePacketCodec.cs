using System;

namespace MqttPS.Core.Protocol
{
    /// <summary>
    /// PUBACK, PUBREC, PUBREL and PUBCOMP (sections 3.4-3.7): a packet identifier, and in 5.0 a reason code
    /// and properties, both omitted when they are Success and empty (Remaining Length 2), or properties only
    /// omitted (Remaining Length 3).
    /// </summary>
    internal static class PublishResponsePacketCodec
    {
        public static MqttPacketLayout Measure(PublishResponsePacket packet, MqttProtocolVersion version)
        {
            var type = packet.PacketType;
            CheckPacketId(packet.PacketId, type);
            var layout = new MqttPacketLayout { RemainingLength = 2 };
            if (version == MqttProtocolVersion.V500)
            {
                ValidateReasonCode(type, packet.ReasonCodeValue);
                layout.PropertiesLength = MqttPropertyCodec.GetContentLength(packet.HasProperties ? packet.Properties : null, (int)type);
                if (layout.PropertiesLength > 0) layout.RemainingLength = (int)Math.Min(int.MaxValue, 3L + MqttPropertyCodec.GetBlockLength(layout.PropertiesLength));
                else if (packet.ReasonCodeValue != 0) layout.RemainingLength = 3;
            }
            MqttFixedHeader.GetPacketSize(layout.RemainingLength, type);
            return layout;
        }

        public static void Write(PublishResponsePacket packet, MqttPacketLayout layout, MqttBufferWriter output)
        {
            var type = packet.PacketType;
            MqttFixedHeader.Write(output, type, type == MqttPacketType.PubRel ? 0x02 : 0, layout.RemainingLength);
            output.WriteUInt16(packet.PacketId);
            if (layout.RemainingLength > 2) output.WriteByte(packet.ReasonCodeValue);
            if (layout.RemainingLength > 3) MqttPropertyCodec.Write(output, packet.Properties, (int)type, layout.PropertiesLength);
        }

        public static PublishResponsePacket Read(ref MqttPacketReader reader, MqttPacketType type, MqttProtocolVersion version)
        {
            PublishResponsePacket packet;
            switch (type)
            {
                case MqttPacketType.PubAck: packet = new PubAckPacket(); break;
                case MqttPacketType.PubRec: packet = new PubRecPacket(); break;
                case MqttPacketType.PubRel: packet = new PubRelPacket(); break;
                default: packet = new PubCompPacket(); break;
            }
            if (version != MqttProtocolVersion.V500 && reader.Remaining != 2)
            {
                throw MqttProtocolErrors.Malformed(null, "the Remaining Length of an MQTT " + ConnectPacketCodec.VersionName(version)
                    + " " + MqttPropertyRules.PacketName(type) + " must be 2, not " + reader.Remaining);
            }
            packet.PacketId = reader.ReadUInt16("packet identifier");
            CheckPacketId(packet.PacketId, type);
            if (!reader.EndOfData)
            {
                packet.ReasonCodeValue = reader.ReadByte("reason code");
                ValidateReasonCode(type, packet.ReasonCodeValue);
                if (!reader.EndOfData)
                {
                    var properties = MqttPropertyCodec.Read(ref reader, (int)type);
                    if (properties != null) packet.Properties = properties;
                    if (!reader.EndOfData)
                        throw MqttProtocolErrors.Malformed(null, reader.Remaining + " unexpected bytes at the end of " + MqttPropertyRules.PacketName(type));
                }
            }
            return packet;
        }

        private static void CheckPacketId(ushort packetId, MqttPacketType type)
        {
            if (packetId == 0)
                throw MqttProtocolErrors.ProtocolError("MQTT-2.2.1-3", MqttPropertyRules.PacketName(type) + " needs a non-zero packet identifier");
        }

        private static void ValidateReasonCode(MqttPacketType type, byte code) =>
            MqttReasonCodeTables.Check(type == MqttPacketType.PubAck || type == MqttPacketType.PubRec
                ? MqttReasonCodeTables.PubAck
                : MqttReasonCodeTables.PubRel, code, type);
    }
}
