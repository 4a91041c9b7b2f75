namespace MqttPS.Core.Protocol
{
    /// <summary>The Variable Byte Integer of MQTT (section 1.5.5): 7 bits per byte, at most 4 bytes.</summary>
    internal static class VariableByteInteger
    {
        /// <summary>268,435,455: the largest value four bytes can carry.</summary>
        public const uint MaximumValue = 268435455;

        public const int MaximumSize = 4;

        public static int GetSize(uint value)
        {
            if (value < 128) return 1;
            if (value < 16384) return 2;
            if (value < 2097152) return 3;
            return 4;
        }

        /// <summary>
        /// Reads a VBI from buffer[offset..end). Returns the number of bytes consumed, or 0 when the data ends
        /// before the last byte (more bytes needed). Throws Malformed Packet when a fifth byte would be needed.
        /// </summary>
        public static int TryRead(byte[] buffer, int offset, int end, out uint value)
        {
            value = 0;
            var multiplier = 0;
            for (var i = 0; i < MaximumSize; i++)
            {
                if (offset + i >= end) return 0;
                var b = buffer[offset + i];
                value |= (uint)(b & 0x7F) << multiplier;
                if ((b & 0x80) == 0)
                {
                    if (b == 0 && i > 0)
                    {
                        throw MqttProtocolErrors.Malformed("MQTT-1.5.5-1",
                            "variable byte integer not encoded in the minimum number of bytes (ends with 0x00)");
                    }
                    return i + 1;
                }
                multiplier += 7;
            }
            throw MqttProtocolErrors.Malformed("MQTT-1.5.5-1",
                "variable byte integer longer than 4 bytes (the fourth byte has its continuation bit set)");
        }

        public static int Write(byte[] buffer, int offset, uint value)
        {
            var start = offset;
            do
            {
                var b = (byte)(value & 0x7F);
                value >>= 7;
                if (value != 0) b |= 0x80;
                buffer[offset++] = b;
            }
            while (value != 0);
            return offset - start;
        }
    }
}
