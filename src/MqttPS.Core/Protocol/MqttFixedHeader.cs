namespace MqttPS.Core.Protocol
{
    /// <summary>
    /// The fixed header (section 2.1): packet type and flags in the first byte, then the Remaining Length.
    /// </summary>
    internal static class MqttFixedHeader
    {
        /// <summary>
        /// Checks flags and direction once the fixed header is complete, before any body is buffered (after
        /// <see cref="ValidateType"/>). PUBLISH flags are checked with the packet (they carry DUP/QoS/RETAIN),
        /// CONNECT flags once its protocol name is known (MQTT 3.1 did not fix them).
        /// </summary>
        /// <remarks>
        /// Reason codes follow mosquitto where it deviates from the letter of [MQTT-2.1.3-1] ("invalid flags
        /// are a Malformed Packet"): it answers wrong flags on PUBREL, DISCONNECT and AUTH, and the reserved
        /// packet type 0, with 0x82 Protocol Error; all other wrong flags with 0x81.
        /// </remarks>
        public static void ValidateFirstByte(byte firstByte, MqttProtocolVersion? version, MqttDecodeRole role)
        {
            var type = (MqttPacketType)(firstByte >> 4);
            var flags = firstByte & 0x0F;
            if (type == MqttPacketType.Auth && version != MqttProtocolVersion.V500)
                throw MqttProtocolErrors.Malformed("MQTT-2.1.3-1", "packet type 15 (AUTH) is reserved before MQTT 5.0");
            // A server checks CONNACK's direction before anything else (as mosquitto does), the other
            // server-to-client packets after their flags.
            if (role == MqttDecodeRole.Server && type == MqttPacketType.ConnAck) throw WrongDirection(type, "server");

            switch (type)
            {
                case MqttPacketType.Publish:
                case MqttPacketType.Connect:
                    break;
                case MqttPacketType.PubRel:
                case MqttPacketType.Subscribe:
                case MqttPacketType.Unsubscribe:
                    // MQTT 3.1 sent these with QoS 1 semantics and allowed the DUP bit on retransmission.
                    if (flags == 0x02 || (flags == 0x0A && version == MqttProtocolVersion.V310)) break;
                    throw WrongFlags(type, flags, "0010");
                default:
                    if (flags == 0) break;
                    throw WrongFlags(type, flags, "0000");
            }

            if (role == MqttDecodeRole.Server && (type == MqttPacketType.SubAck || type == MqttPacketType.UnsubAck))
                throw WrongDirection(type, "server");
            if (role == MqttDecodeRole.Client && (type == MqttPacketType.Connect || type == MqttPacketType.Subscribe
                                                 || type == MqttPacketType.Unsubscribe || type == MqttPacketType.PingReq))
                throw WrongDirection(type, "client");
        }

        /// <summary>
        /// The checks that need nothing but the first byte: made as soon as it arrives (mosquitto refuses the
        /// reserved packet type 0 before reading its Remaining Length).
        /// </summary>
        public static void ValidateType(byte firstByte, MqttProtocolVersion? version)
        {
            var type = (MqttPacketType)(firstByte >> 4);
            if (version == null && type != MqttPacketType.Connect)
            {
                throw Silent(MqttProtocolErrors.ProtocolError("MQTT-3.1.0-1",
                    "the first packet on a connection must be CONNECT, not " + MqttPropertyRules.PacketName(type)));
            }
            if (type == 0) throw MqttProtocolErrors.ProtocolError("MQTT-2.1.3-1", "packet type 0 is reserved");
        }

        /// <summary>[MQTT-2.1.3-1] for CONNECT, whose flags MQTT 3.1 left unchecked.</summary>
        public static void ValidateConnectFlags(byte firstByte)
        {
            if ((firstByte & 0x0F) != 0) throw Silent(WrongFlags(MqttPacketType.Connect, firstByte & 0x0F, "0000"));
        }

        internal static MqttProtocolException WrongDirection(MqttPacketType type, string receiver) =>
            MqttProtocolErrors.ProtocolError(null, "a " + receiver + " never receives " + MqttPropertyRules.PacketName(type));

        private static MqttProtocolException WrongFlags(MqttPacketType type, int flags, string expected)
        {
            var message = "the fixed header flags of " + MqttPropertyRules.PacketName(type) + " must be " + expected + ", not " + Bits(flags);
            return type == MqttPacketType.PubRel || type == MqttPacketType.Disconnect || type == MqttPacketType.Auth
                ? MqttProtocolErrors.ProtocolError("MQTT-2.1.3-1", message)
                : MqttProtocolErrors.Malformed("MQTT-2.1.3-1", message);
        }

        internal static MqttProtocolException Silent(MqttProtocolException exception)
        {
            exception.SuppressReply = true;
            return exception;
        }

        /// <summary>
        /// Reads the Remaining Length after the first byte: the number of bytes it took, or 0 when more are
        /// needed. A broken one loses the packet boundary, so its error is closed without a reply.
        /// </summary>
        public static int ReadRemainingLength(byte[] buffer, int offset, int end, out uint remainingLength)
        {
            try
            {
                return VariableByteInteger.TryRead(buffer, offset, end, out remainingLength);
            }
            catch (MqttProtocolException exception)
            {
                throw Silent(exception);
            }
        }

        public static byte FirstByte(MqttPacketType type, int flags) => (byte)(((int)type << 4) | flags);

        /// <summary>Total packet size for a Remaining Length; throws Packet Too Large beyond the protocol limit.</summary>
        public static int GetPacketSize(long remainingLength, MqttPacketType type)
        {
            if (remainingLength > VariableByteInteger.MaximumValue)
            {
                throw MqttProtocolErrors.Create(MqttReasonCode.PacketTooLarge, null, "the " + MqttPropertyRules.PacketName(type)
                    + " would need a Remaining Length of " + remainingLength + " bytes; the maximum is 268,435,455");
            }
            return 1 + VariableByteInteger.GetSize((uint)remainingLength) + (int)remainingLength;
        }

        /// <summary>Makes room for the whole packet, then writes the fixed header.</summary>
        public static void Write(MqttBufferWriter output, MqttPacketType type, int flags, int remainingLength)
        {
            output.EnsureCapacity(1 + VariableByteInteger.MaximumSize + remainingLength);
            output.WriteByte(FirstByte(type, flags));
            output.WriteVariableByteInteger((uint)remainingLength);
        }

        private static string Bits(int flags) =>
            System.Convert.ToString(flags, 2).PadLeft(4, '0');
    }
}
