using System;

namespace MqttPS.Core.Protocol
{
    /// <summary>CONNACK (section 3.2); for 3.1/3.1.1 maps reason codes to and from the return codes 0-5.</summary>
    internal static class ConnAckPacketCodec
    {
        public static MqttPacketLayout Measure(ConnAckPacket packet, MqttProtocolVersion version)
        {
            var layout = new MqttPacketLayout { RemainingLength = 2 };
            if (version == MqttProtocolVersion.V500)
            {
                ValidateReasonCode((byte)packet.ReasonCode);
                layout.PropertiesLength = MqttPropertyCodec.GetContentLength(packet.HasProperties ? packet.Properties : null, (int)MqttPacketType.ConnAck);
                layout.RemainingLength = (int)Math.Min(int.MaxValue, 2L + MqttPropertyCodec.GetBlockLength(layout.PropertiesLength));
            }
            if (version != MqttProtocolVersion.V500) ToReturnCode(packet.ReasonCode); // refuse before writing anything
            else if (packet.HasProperties) ConnectPacketCodec.CheckAuthenticationMethod(packet.Properties, "CONNACK");
            if (packet.SessionPresent && (byte)packet.ReasonCode >= 0x80)
            {
                throw MqttProtocolErrors.ProtocolError(version == MqttProtocolVersion.V500 ? "MQTT-3.2.2-6" : "MQTT-3.2.2-4",
                    "a CONNACK refusing the connection must not set Session Present");
            }
            MqttFixedHeader.GetPacketSize(layout.RemainingLength, MqttPacketType.ConnAck);
            return layout;
        }

        public static void Write(ConnAckPacket packet, MqttProtocolVersion version, MqttPacketLayout layout, MqttBufferWriter output)
        {
            MqttFixedHeader.Write(output, MqttPacketType.ConnAck, 0, layout.RemainingLength);
            // MQTT 3.1 has no Session Present flag: the byte is reserved.
            output.WriteByte((byte)(packet.SessionPresent && version != MqttProtocolVersion.V310 ? 1 : 0));
            if (version == MqttProtocolVersion.V500)
            {
                output.WriteByte((byte)packet.ReasonCode);
                MqttPropertyCodec.Write(output, packet.HasProperties ? packet.Properties : null, (int)MqttPacketType.ConnAck, layout.PropertiesLength);
            }
            else
            {
                output.WriteByte(ToReturnCode(packet.ReasonCode));
            }
        }

        public static ConnAckPacket Read(ref MqttPacketReader reader, MqttProtocolVersion version)
        {
            var packet = new ConnAckPacket();
            var flags = reader.ReadByte("connect acknowledge flags");
            if (version != MqttProtocolVersion.V310)
            {
                if ((flags & 0xFE) != 0)
                {
                    throw MqttProtocolErrors.Malformed("MQTT-3.2.2-1",
                        "bits 7-1 of the CONNACK flags are reserved and must be 0");
                }
                packet.SessionPresent = (flags & 1) != 0;
            }
            var code = reader.ReadByte(version == MqttProtocolVersion.V500 ? "reason code" : "return code");
            if (version == MqttProtocolVersion.V500 && reader.EndOfData && code != 0 && code <= 5)
            {
                // A server that does not speak 5.0 refuses the CONNECT with a 3.1.1 CONNACK (return code 1 =
                // unacceptable protocol version): read it as such, so the client can tell and fall back.
                packet.ReasonCode = FromReturnCode(code);
            }
            else if (version == MqttProtocolVersion.V500)
            {
                ValidateReasonCode(code);
                packet.ReasonCode = (ConnectReasonCode)code;
                var properties = MqttPropertyCodec.Read(ref reader, (int)MqttPacketType.ConnAck);
                if (properties != null)
                {
                    ConnectPacketCodec.CheckAuthenticationMethod(properties, "CONNACK");
                    packet.Properties = properties;
                }
            }
            else
            {
                packet.ReasonCode = FromReturnCode(code);
            }
            if (!reader.EndOfData) throw MqttProtocolErrors.Malformed(null, reader.Remaining + " unexpected bytes at the end of CONNACK");
            if (packet.SessionPresent && code != 0)
            {
                throw MqttProtocolErrors.ProtocolError(version == MqttProtocolVersion.V500 ? "MQTT-3.2.2-6" : "MQTT-3.2.2-4",
                    "a CONNACK refusing the connection must not set Session Present");
            }
            return packet;
        }

        private static void ValidateReasonCode(byte code) =>
            MqttReasonCodeTables.Check(MqttReasonCodeTables.ConnAck, code, MqttPacketType.ConnAck);

        /// <summary>3.1.1 return codes (section 3.2.2.3); failures without an equivalent become Server unavailable.</summary>
        public static byte ToReturnCode(ConnectReasonCode reasonCode)
        {
            switch (reasonCode)
            {
                case ConnectReasonCode.Success: return 0;
                case ConnectReasonCode.UnsupportedProtocolVersion: return 1;
                case ConnectReasonCode.ClientIdentifierNotValid: return 2;
                case ConnectReasonCode.ServerUnavailable:
                case ConnectReasonCode.ServerBusy: return 3;
                case ConnectReasonCode.BadUserNameOrPassword:
                case ConnectReasonCode.BadAuthenticationMethod: return 4;
                case ConnectReasonCode.NotAuthorized:
                case ConnectReasonCode.Banned: return 5;
                default:
                    if ((byte)reasonCode < 0x80)
                        throw MqttProtocolErrors.ProtocolError(null, "CONNACK reason code " + reasonCode + " has no MQTT 3.1.1 return code");
                    return 3;
            }
        }

        public static ConnectReasonCode FromReturnCode(byte returnCode)
        {
            switch (returnCode)
            {
                case 0: return ConnectReasonCode.Success;
                case 1: return ConnectReasonCode.UnsupportedProtocolVersion;
                case 2: return ConnectReasonCode.ClientIdentifierNotValid;
                case 3: return ConnectReasonCode.ServerUnavailable;
                case 4: return ConnectReasonCode.BadUserNameOrPassword;
                case 5: return ConnectReasonCode.NotAuthorized;
                default:
                    throw MqttProtocolErrors.ProtocolError(null, "CONNACK return code " + returnCode + " is reserved (valid are 0 to 5)");
            }
        }
    }
}
