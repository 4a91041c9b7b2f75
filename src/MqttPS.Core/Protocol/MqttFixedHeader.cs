namespace MqttPS.Core.Protocol
{
    /// <summary>
    /// The fixed header (section 2.1): packet type and flags in the first byte, then the Remaining Length.
    /// </summary>
    internal static class MqttFixedHeader
    {
        /// <summary>The largest whole packet: 1 byte, a 4-byte Remaining Length and 268,435,455 bytes.</summary>
        public const long MaximumPacketSize = 1 + VariableByteInteger.MaximumSize + VariableByteInteger.MaximumValue;

        /// <summary>
        /// Checks the first byte as soon as it arrives, so garbage is rejected before any body is buffered.
        /// PUBLISH flags are checked with the packet (they carry DUP/QoS/RETAIN). <paramref name="version"/> null
        /// means nothing but CONNECT may come yet.
        /// </summary>
        public static void ValidateFirstByte(byte firstByte, MqttProtocolVersion? version)
        {
            var type = (MqttPacketType)(firstByte >> 4);
            var flags = firstByte & 0x0F;
            if (type == 0)
                throw MqttProtocolErrors.Malformed("MQTT-2.1.3-1", "packet type 0 is reserved");
            if (version == null && type != MqttPacketType.Connect)
            {
                throw MqttProtocolErrors.ProtocolError("MQTT-3.1.0-1",
                    "the first packet on a connection must be CONNECT, not " + MqttPropertyRules.PacketName(type));
            }
            if (type == MqttPacketType.Auth && version != null && version != MqttProtocolVersion.V500)
                throw MqttProtocolErrors.Malformed("MQTT-2.1.3-1", "packet type 15 (AUTH) is reserved before MQTT 5.0");

            switch (type)
            {
                case MqttPacketType.Publish:
                    return;
                case MqttPacketType.PubRel:
                case MqttPacketType.Subscribe:
                case MqttPacketType.Unsubscribe:
                    // MQTT 3.1 sent these with QoS 1 semantics and allowed the DUP bit on retransmission.
                    if (flags == 0x02 || (flags == 0x0A && version == MqttProtocolVersion.V310)) return;
                    throw MqttProtocolErrors.Malformed("MQTT-2.1.3-1", "the fixed header flags of "
                        + MqttPropertyRules.PacketName(type) + " must be 0010, not " + Bits(flags));
                default:
                    if (flags == 0) return;
                    throw MqttProtocolErrors.Malformed("MQTT-2.1.3-1", "the fixed header flags of "
                        + MqttPropertyRules.PacketName(type) + " must be 0000, not " + Bits(flags));
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
