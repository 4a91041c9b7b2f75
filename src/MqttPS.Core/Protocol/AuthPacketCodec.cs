using System;

namespace MqttPS.Core.Protocol
{
    /// <summary>
    /// AUTH (section 3.15), MQTT 5.0 only. Remaining Length 0 means Success without properties; 1 means a
    /// reason code without properties.
    /// </summary>
    internal static class AuthPacketCodec
    {
        public static MqttPacketLayout Measure(AuthPacket packet, MqttProtocolVersion version)
        {
            if (version != MqttProtocolVersion.V500)
            {
                throw MqttProtocolErrors.ProtocolError(null,
                    "AUTH does not exist in MQTT " + ConnectPacketCodec.VersionName(version));
            }
            MqttReasonCodeTables.Check(MqttReasonCodeTables.Auth, (byte)packet.ReasonCode, MqttPacketType.Auth);
            var properties = packet.HasProperties ? packet.Properties : null;
            Validate(packet.ReasonCode, properties);
            var layout = new MqttPacketLayout();
            layout.PropertiesLength = MqttPropertyCodec.GetContentLength(properties, (int)MqttPacketType.Auth);
            if (layout.PropertiesLength > 0) layout.RemainingLength = (int)Math.Min(int.MaxValue, 1L + MqttPropertyCodec.GetBlockLength(layout.PropertiesLength));
            else if (packet.ReasonCode != AuthReasonCode.Success) layout.RemainingLength = 1;
            MqttFixedHeader.GetPacketSize(layout.RemainingLength, MqttPacketType.Auth);
            return layout;
        }

        public static void Write(AuthPacket packet, MqttPacketLayout layout, MqttBufferWriter output)
        {
            MqttFixedHeader.Write(output, MqttPacketType.Auth, 0, layout.RemainingLength);
            if (layout.RemainingLength > 0) output.WriteByte((byte)packet.ReasonCode);
            if (layout.RemainingLength > 1) MqttPropertyCodec.Write(output, packet.Properties, (int)MqttPacketType.Auth, layout.PropertiesLength);
        }

        public static AuthPacket Read(ref MqttPacketReader reader)
        {
            var packet = new AuthPacket();
            MqttProperties properties = null;
            if (!reader.EndOfData)
            {
                var code = reader.ReadByte("reason code");
                MqttReasonCodeTables.Check(MqttReasonCodeTables.Auth, code, MqttPacketType.Auth);
                packet.ReasonCode = (AuthReasonCode)code;
                if (!reader.EndOfData)
                {
                    properties = MqttPropertyCodec.Read(ref reader, (int)MqttPacketType.Auth);
                    if (properties != null) packet.Properties = properties;
                    if (!reader.EndOfData) throw MqttProtocolErrors.Malformed(null, reader.Remaining + " unexpected bytes at the end of AUTH");
                }
            }
            Validate(packet.ReasonCode, properties);
            return packet;
        }

        /// <summary>
        /// Section 3.15.2.2.2: an authentication exchange step (Continue / Re-authenticate) must name its
        /// Authentication Method; Authentication Data needs one in any case.
        /// </summary>
        private static void Validate(AuthReasonCode reasonCode, MqttProperties properties)
        {
            if (reasonCode != AuthReasonCode.Success && properties?.AuthenticationMethod == null)
                throw MqttProtocolErrors.ProtocolError(null, "AUTH " + reasonCode + " without an Authentication Method");
            if (properties != null) ConnectPacketCodec.CheckAuthenticationMethod(properties, "AUTH");
        }
    }
}
