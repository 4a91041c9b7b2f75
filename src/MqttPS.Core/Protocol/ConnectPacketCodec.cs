using MqttPS.Core.Topics;

namespace MqttPS.Core.Protocol
{
    /// <summary>CONNECT (section 3.1). Encoded with the packet's own <see cref="ConnectPacket.ProtocolVersion"/>.</summary>
    internal static class ConnectPacketCodec
    {
        private const string ProtocolNameV31 = "MQIsdp";
        private const string ProtocolName = "MQTT";

        private const byte UsernameFlag = 0x80;
        private const byte PasswordFlag = 0x40;
        private const byte WillRetainFlag = 0x20;
        private const byte WillQoSMask = 0x18;
        private const byte WillFlag = 0x04;
        private const byte CleanStartFlag = 0x02;
        private const byte ReservedFlag = 0x01;

        public static MqttPacketLayout Measure(ConnectPacket packet)
        {
            var version = packet.ProtocolVersion;
            if (version != MqttProtocolVersion.V310 && version != MqttProtocolVersion.V311 && version != MqttProtocolVersion.V500)
            {
                throw MqttProtocolErrors.Create(MqttReasonCode.UnsupportedProtocolVersion, null,
                    "cannot encode a CONNECT for protocol level " + (int)version);
            }
            var layout = new MqttPacketLayout();
            long length = 2 + (version == MqttProtocolVersion.V310 ? ProtocolNameV31.Length : ProtocolName.Length) + 1 + 1 + 2;
            if (version == MqttProtocolVersion.V500)
            {
                if (packet.HasProperties) CheckAuthenticationMethod(packet.Properties, "CONNECT");
                layout.PropertiesLength = MqttPropertyCodec.GetContentLength(packet.HasProperties ? packet.Properties : null, (int)MqttPacketType.Connect);
                length += MqttPropertyCodec.GetBlockLength(layout.PropertiesLength);
            }
            length += 2 + MqttUtf8.GetValidatedByteCount(packet.ClientId ?? string.Empty, "client identifier");

            var will = packet.Will;
            if (will != null)
            {
                if ((byte)will.QoS > 2)
                    throw MqttProtocolErrors.Malformed("MQTT-3.1.2-12", "the will QoS must be 0, 1 or 2, not " + (int)will.QoS);
                ValidateWillTopic(will.Topic);
                if (version == MqttProtocolVersion.V500)
                {
                    layout.WillPropertiesLength = MqttPropertyCodec.GetContentLength(will.HasProperties ? will.Properties : null, MqttPropertyRules.WillContext);
                    length += MqttPropertyCodec.GetBlockLength(layout.WillPropertiesLength);
                }
                length += 2 + MqttUtf8.GetValidatedByteCount(will.Topic, "will topic");
                length += 2 + BinaryLength(will.Payload, "will payload");
            }
            if (packet.Username != null) length += 2 + MqttUtf8.GetValidatedByteCount(packet.Username, "user name");
            if (packet.Password != null)
            {
                if (packet.Username == null && version != MqttProtocolVersion.V500)
                {
                    throw MqttProtocolErrors.ProtocolError("MQTT-3.1.2-22",
                        "MQTT " + VersionName(version) + " does not allow a password without a user name");
                }
                length += 2 + BinaryLength(packet.Password, "password");
            }
            MqttFixedHeader.GetPacketSize(length, MqttPacketType.Connect);
            layout.RemainingLength = (int)length;
            return layout;
        }

        public static void Write(ConnectPacket packet, MqttPacketLayout layout, MqttBufferWriter output)
        {
            var version = packet.ProtocolVersion;
            MqttFixedHeader.Write(output, MqttPacketType.Connect, 0, layout.RemainingLength);
            output.WriteString(version == MqttProtocolVersion.V310 ? ProtocolNameV31 : ProtocolName);
            output.WriteByte((byte)((byte)version | (packet.IsBridge ? 0x80 : 0)));

            byte flags = 0;
            if (packet.CleanStart) flags |= CleanStartFlag;
            var will = packet.Will;
            if (will != null)
            {
                flags |= WillFlag;
                flags |= (byte)((byte)will.QoS << 3);
                if (will.Retain) flags |= WillRetainFlag;
            }
            if (packet.Username != null) flags |= UsernameFlag;
            if (packet.Password != null) flags |= PasswordFlag;
            output.WriteByte(flags);
            output.WriteUInt16(packet.KeepAliveSeconds);

            if (version == MqttProtocolVersion.V500)
                MqttPropertyCodec.Write(output, packet.HasProperties ? packet.Properties : null, (int)MqttPacketType.Connect, layout.PropertiesLength);
            output.WriteString(packet.ClientId ?? string.Empty);
            if (will != null)
            {
                if (version == MqttProtocolVersion.V500)
                    MqttPropertyCodec.Write(output, will.HasProperties ? will.Properties : null, MqttPropertyRules.WillContext, layout.WillPropertiesLength);
                output.WriteString(will.Topic);
                output.WriteBinaryData(will.Payload);
            }
            if (packet.Username != null) output.WriteString(packet.Username);
            if (packet.Password != null) output.WriteBinaryData(packet.Password);
        }

        /// <remarks>
        /// Which errors get a CONNACK follows mosquitto: failures before the protocol version is known, in the
        /// connect flags or keep alive, and in user name / password close the connection silently
        /// (<see cref="MqttProtocolException.SuppressReply"/>), and so does every error of a 3.1/3.1.1 CONNECT
        /// except an unsupported protocol level (return code 1); in 5.0 a bad client identifier is 0x85 Client
        /// Identifier not valid and everything else is answered with its reason code.
        /// </remarks>
        public static ConnectPacket Read(ref MqttPacketReader reader, byte firstByte, MqttDecodeRole role)
        {
            var packet = new ConnectPacket();
            MqttProtocolVersion version;
            bool isBridge;
            try
            {
                version = ReadProtocolVersion(ref reader, out isBridge);
            }
            catch (MqttProtocolException exception) when (exception.ReasonCode != MqttReasonCode.UnsupportedProtocolVersion)
            {
                throw MqttFixedHeader.Silent(exception);
            }
            packet.ProtocolVersion = version;
            packet.IsBridge = isBridge;
            if (version == MqttProtocolVersion.V500) return ReadRest(ref reader, packet, firstByte, role);
            try
            {
                return ReadRest(ref reader, packet, firstByte, role);
            }
            catch (MqttProtocolException exception)
            {
                // MQTT 3.1/3.1.1 CONNACK return codes cover none of these errors: close without CONNACK
                // [MQTT-3.2.2-6] (mosquitto does so even for an invalid client identifier).
                throw MqttFixedHeader.Silent(exception);
            }
        }

        private static ConnectPacket ReadRest(ref MqttPacketReader reader, ConnectPacket packet, byte firstByte, MqttDecodeRole role)
        {
            var version = packet.ProtocolVersion;
            var v31 = version == MqttProtocolVersion.V310;
            if (!v31) MqttFixedHeader.ValidateConnectFlags(firstByte);

            var flags = ReadConnectFlags(ref reader, version);
            packet.CleanStart = (flags & CleanStartFlag) != 0;
            try
            {
                packet.KeepAliveSeconds = reader.ReadUInt16("keep alive");
            }
            catch (MqttProtocolException exception)
            {
                throw MqttFixedHeader.Silent(exception);
            }

            if (version == MqttProtocolVersion.V500)
            {
                var properties = MqttPropertyCodec.Read(ref reader, (int)MqttPacketType.Connect, role);
                if (properties != null)
                {
                    CheckAuthenticationMethod(properties, "CONNECT");
                    packet.Properties = properties;
                }
            }

            // The client identifier may be empty [MQTT-3.1.3-6]; whether to assign one is the server's choice.
            // A present but invalid one is answered with 0x85 [MQTT-3.1.3-4] (mosquitto does the same).
            var clientIdLength = reader.ReadStringLength("client identifier");
            try
            {
                packet.ClientId = reader.DecodeString(clientIdLength);
            }
            catch (MqttProtocolException exception)
            {
                throw MqttProtocolErrors.Create(MqttReasonCode.ClientIdentifierNotValid, exception.SpecReference ?? "MQTT-3.1.3-4",
                    "invalid client identifier: " + exception.Message);
            }

            if ((flags & WillFlag) != 0)
            {
                var will = new MqttWillMessage
                {
                    QoS = (MqttQualityOfService)((flags & WillQoSMask) >> 3),
                    Retain = (flags & WillRetainFlag) != 0,
                };
                if (version == MqttProtocolVersion.V500)
                {
                    var willProperties = MqttPropertyCodec.Read(ref reader, MqttPropertyRules.WillContext, role);
                    if (willProperties != null) will.Properties = willProperties;
                }
                will.Topic = reader.ReadString("will topic");
                ValidateWillTopic(will.Topic);
                will.Payload = reader.ReadBinaryData("will payload");
                packet.Will = will;
            }

            try
            {
                // MQTT 3.1 clients are known to set the user name / password flag and send nothing; mosquitto
                // tolerates it for 3.1 only, and so do we.
                if ((flags & UsernameFlag) != 0 && !(v31 && reader.EndOfData)) packet.Username = reader.ReadString("user name");
                if ((flags & PasswordFlag) != 0 && !(v31 && reader.EndOfData)) packet.Password = reader.ReadBinaryData("password");
            }
            catch (MqttProtocolException exception)
            {
                throw MqttFixedHeader.Silent(exception);
            }

            if (!reader.EndOfData)
            {
                throw MqttProtocolErrors.Malformed("MQTT-3.1.3-1", reader.Remaining
                    + " bytes follow the last field the CONNECT flags announce");
            }
            return packet;
        }

        private static byte ReadConnectFlags(ref MqttPacketReader reader, MqttProtocolVersion version)
        {
            var flags = reader.ReadByte("connect flags");
            var willFlag = (flags & WillFlag) != 0;
            var willQoS = (flags & WillQoSMask) >> 3;
            // MQTT 3.1 had no reserved-bit rule; mosquitto ignores the bit there.
            if ((flags & ReservedFlag) != 0 && version != MqttProtocolVersion.V310)
                throw FlagError(MqttProtocolErrors.Malformed("MQTT-3.1.2-3", "the reserved bit 0 of the CONNECT flags must be 0"));
            if (!willFlag && willQoS != 0)
                throw FlagError(MqttProtocolErrors.Malformed("MQTT-3.1.2-11", "the will QoS must be 0 when the will flag is 0"));
            if (!willFlag && (flags & WillRetainFlag) != 0)
                throw FlagError(MqttProtocolErrors.Malformed("MQTT-3.1.2-13", "will retain must be 0 when the will flag is 0"));
            if (willQoS == 3)
                throw FlagError(MqttProtocolErrors.Malformed("MQTT-3.1.2-12", "the will QoS must not be 3"));
            if ((flags & PasswordFlag) != 0 && (flags & UsernameFlag) == 0 && version != MqttProtocolVersion.V500)
            {
                throw FlagError(MqttProtocolErrors.ProtocolError("MQTT-3.1.2-22",
                    "MQTT " + VersionName(version) + " does not allow the password flag without the user name flag"));
            }
            return flags;
        }

        private static MqttProtocolException FlagError(MqttProtocolException exception) => MqttFixedHeader.Silent(exception);

        /// <summary>
        /// Reads protocol name and level. An unknown name is a Protocol Error (the server may close without
        /// CONNACK [MQTT-3.1.2-1]); a known name with a level this server does not speak is Unsupported Protocol
        /// Version 0x84, which the server answers with CONNACK 0x84 / 3.1.1 return code 1 [MQTT-3.1.2-2]. Levels 0x83
        /// and 0x84 are mosquitto's bridge markers (3.1 and 3.1.1 with the high bit) and set <paramref name="isBridge"/>.
        /// </summary>
        internal static MqttProtocolVersion ReadProtocolVersion(ref MqttPacketReader reader, out bool isBridge)
        {
            string expectedName;
            var name = reader.ReadString("protocol name");
            var level = reader.ReadByte("protocol level");
            isBridge = (level & 0x80) != 0;
            var version = (MqttProtocolVersion)(level & 0x7F);
            // The high bit is not part of any MQTT protocol level: only mosquitto's bridge markers 0x83 (3.1) and
            // 0x84 (3.1.1) carry it. 0x85 and the rest are unsupported levels [MQTT-3.1.2-2].
            if (isBridge && version == MqttProtocolVersion.V500) version = (MqttProtocolVersion)level;
            if (name == ProtocolName)
            {
                if (version == MqttProtocolVersion.V311 || version == MqttProtocolVersion.V500) return version;
                expectedName = ProtocolName;
            }
            else if (name == ProtocolNameV31)
            {
                if (version == MqttProtocolVersion.V310) return version;
                expectedName = ProtocolNameV31;
            }
            else
            {
                throw MqttProtocolErrors.ProtocolError("MQTT-3.1.2-1", "unknown protocol name '" + name + "' in CONNECT");
            }
            throw MqttProtocolErrors.Create(MqttReasonCode.UnsupportedProtocolVersion, "MQTT-3.1.2-2",
                "unsupported protocol level " + level + " for protocol name '" + expectedName + "'");
        }

        /// <summary>Section 3.1.2.11.10 / 3.2.2.3.18 / 3.15.2.2.3: Authentication Data needs a method.</summary>
        internal static void CheckAuthenticationMethod(MqttProperties properties, string packetName)
        {
            if (properties.AuthenticationData != null && properties.AuthenticationMethod == null)
            {
                throw MqttProtocolErrors.ProtocolError(null,
                    "Authentication Data without an Authentication Method in " + packetName);
            }
        }

        /// <summary>The will topic must be a valid topic name (0x90 Topic Name invalid, which CONNACK names for it).</summary>
        private static void ValidateWillTopic(string topic)
        {
            if (!MqttTopic.Check(topic ?? string.Empty, false, out var specReference, out var message))
                throw MqttProtocolErrors.Create(MqttReasonCode.TopicNameInvalid, specReference, "invalid will topic: " + message);
        }

        private static int BinaryLength(byte[] data, string what)
        {
            var length = data?.Length ?? 0;
            if (length > 65535) throw MqttProtocolErrors.Malformed("MQTT-1.5.6", "the " + what + " is longer than 65,535 bytes");
            return length;
        }

        internal static string VersionName(MqttProtocolVersion version) =>
            version == MqttProtocolVersion.V310 ? "3.1" : version == MqttProtocolVersion.V311 ? "3.1.1" : "5.0";
    }
}
