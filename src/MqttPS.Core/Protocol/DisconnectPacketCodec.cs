using System;

namespace MqttPS.Core.Protocol
{
    /// <summary>
    /// DISCONNECT (section 3.14). MQTT 3.1/3.1.1: no variable header at all. 5.0: Remaining Length 0 means
    /// Normal disconnection without properties; 1 means a reason code without properties.
    /// </summary>
    internal static class DisconnectPacketCodec
    {
        public static MqttPacketLayout Measure(DisconnectPacket packet, MqttProtocolVersion version)
        {
            var layout = new MqttPacketLayout();
            if (version == MqttProtocolVersion.V500)
            {
                MqttReasonCodeTables.Check(MqttReasonCodeTables.Disconnect, (byte)packet.ReasonCode, MqttPacketType.Disconnect);
                layout.PropertiesLength = MqttPropertyCodec.GetContentLength(packet.HasProperties ? packet.Properties : null, (int)MqttPacketType.Disconnect);
                if (layout.PropertiesLength > 0) layout.RemainingLength = (int)Math.Min(int.MaxValue, 1L + MqttPropertyCodec.GetBlockLength(layout.PropertiesLength));
                else if (packet.ReasonCode != DisconnectReasonCode.NormalDisconnection) layout.RemainingLength = 1;
            }
            MqttFixedHeader.GetPacketSize(layout.RemainingLength, MqttPacketType.Disconnect);
            return layout;
        }

        public static void Write(DisconnectPacket packet, MqttPacketLayout layout, MqttBufferWriter output)
        {
            MqttFixedHeader.Write(output, MqttPacketType.Disconnect, 0, layout.RemainingLength);
            if (layout.RemainingLength > 0) output.WriteByte((byte)packet.ReasonCode);
            if (layout.RemainingLength > 1) MqttPropertyCodec.Write(output, packet.Properties, (int)MqttPacketType.Disconnect, layout.PropertiesLength);
        }

        public static DisconnectPacket Read(ref MqttPacketReader reader, MqttProtocolVersion version)
        {
            var packet = new DisconnectPacket();
            if (version != MqttProtocolVersion.V500)
            {
                if (!reader.EndOfData)
                {
                    throw MqttProtocolErrors.Malformed(null, "an MQTT " + ConnectPacketCodec.VersionName(version)
                        + " DISCONNECT has no variable header, but its Remaining Length is " + reader.Remaining);
                }
                return packet;
            }
            if (reader.EndOfData) return packet;
            // Any reason code is accepted: the connection closes either way, and refusing an unknown one
            // would only add a DISCONNECT the peer no longer reads (mosquitto just closes too).
            packet.ReasonCode = (DisconnectReasonCode)reader.ReadByte("reason code");
            if (!reader.EndOfData)
            {
                var properties = MqttPropertyCodec.Read(ref reader, (int)MqttPacketType.Disconnect);
                if (properties != null) packet.Properties = properties;
                if (!reader.EndOfData) throw MqttProtocolErrors.Malformed(null, reader.Remaining + " unexpected bytes at the end of DISCONNECT");
            }
            return packet;
        }
    }
}
