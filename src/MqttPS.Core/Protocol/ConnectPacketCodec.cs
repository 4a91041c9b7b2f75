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

        public static ConnectPacket Read(ref MqttPacketReader reader)
        {
            var packet = new ConnectPacket();
            var version = ReadProtocolVersion(ref reader, out var isBridge);
            packet.ProtocolVersion = version;
            packet.IsBridge = isBridge;

            var flags = reader.ReadByte("connect flags");
            if ((flags & ReservedFlag) != 0)
                throw MqttProtocolErrors.Malformed("MQTT-3.1.2-3", "the reserved bit 0 of the CONNECT flags must be 0");
            var willFlag = (flags & WillFlag) != 0;
            var willQoS = (flags & WillQoSMask) >> 3;
            var willRetain = (flags & WillRetainFlag) != 0;
            var usernameFlag = (flags & UsernameFlag) != 0;
            var passwordFlag = (flags & PasswordFlag) != 0;
            if (!willFlag && willQoS != 0)
                throw MqttProtocolErrors.Malformed("MQTT-3.1.2-11", "the will QoS must be 0 when the will flag is 0");
            if (!willFlag && willRetain)
                throw MqttProtocolErrors.Malformed("MQTT-3.1.2-13", "will retain must be 0 when the will flag is 0");
            if (willQoS == 3)
                throw MqttProtocolErrors.Malformed("MQTT-3.1.2-12", "the will QoS must not be 3");
            if (passwordFlag && !usernameFlag && version != MqttProtocolVersion.V500)
            {
                throw MqttProtocolErrors.ProtocolError("MQTT-3.1.2-22",
                    "MQTT " + VersionName(version) + " does not allow the password flag without the user name flag");
            }
            packet.CleanStart = (flags & CleanStartFlag) != 0;
            packet.KeepAliveSeconds = reader.ReadUInt16("keep alive");

            if (version == MqttProtocolVersion.V500)
            {
                var properties = MqttPropertyCodec.Read(ref reader, (int)MqttPacketType.Connect);
                if (properties != null)
                {
                    CheckAuthenticationMethod(properties, "CONNECT");
                    packet.Properties = properties;
                }
            }

            // The client identifier may be empty [MQTT-3.1.3-6]; whether to assign one is the server's choice.
            packet.ClientId = reader.ReadString("client identifier");

            if (willFlag)
            {
                var will = new MqttWillMessage { QoS = (MqttQualityOfService)willQoS, Retain = willRetain };
                if (version == MqttProtocolVersion.V500)
                {
                    var willProperties = MqttPropertyCodec.Read(ref reader, MqttPropertyRules.WillContext);
                    if (willProperties != null) will.Properties = willProperties;
                }
                will.Topic = reader.ReadString("will topic");
                ValidateWillTopic(will.Topic);
                will.Payload = reader.ReadBinaryData("will payload");
                packet.Will = will;
            }

            // MQTT 3.1 clients are known to set the user name / password flag and send nothing; mosquitto
            // tolerates it for 3.1 only, and so do we.
            var lenientV31 = version == MqttProtocolVersion.V310;
            if (usernameFlag && !(lenientV31 && reader.EndOfData)) packet.Username = reader.ReadString("user name");
            if (passwordFlag && !(lenientV31 && reader.EndOfData)) packet.Password = reader.ReadBinaryData("password");

            if (!reader.EndOfData)
            {
                throw MqttProtocolErrors.Malformed("MQTT-3.1.3-1", reader.Remaining
                    + " bytes follow the last field the CONNECT flags announce");
            }
            return packet;
        }

        /// <summary>
        /// Reads protocol name and level. An unknown name is a Protocol Error (the server may close without
        /// CONNACK [MQTT-3.1.2-1]); a known name with a level this server does not speak is Unsupported Protocol
        /// Version 0x84, which the server answers with CONNACK 0x84 / 3.1.1 return code 1 [MQTT-3.1.2-2].
        /// </summary>
        internal static MqttProtocolVersion ReadProtocolVersion(ref MqttPacketReader reader, out bool isBridge)
        {
            string expectedName;
            var name = reader.ReadString("protocol name");
            var level = reader.ReadByte("protocol level");
            isBridge = (level & 0x80) != 0;
            var version = (MqttProtocolVersion)(level & 0x7F);
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

        private static void ValidateWillTopic(string topic)
        {
            if (string.IsNullOrEmpty(topic))
                throw MqttProtocolErrors.Create(MqttReasonCode.TopicNameInvalid, "MQTT-4.7.3-1", "the will topic must not be empty");
            if (MqttTopicSyntax.HasWildcards(topic))
            {
                throw MqttProtocolErrors.Create(MqttReasonCode.TopicNameInvalid, "MQTT-3.1.3-11",
                    "the will topic must be a topic name without wildcard characters: '" + topic + "'");
            }
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
