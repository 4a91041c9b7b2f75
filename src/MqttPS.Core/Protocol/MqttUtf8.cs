using System.Text;

namespace MqttPS.Core.Protocol
{
    /// <summary>
    /// UTF-8 Encoded Strings of MQTT (section 1.5.4): well-formed UTF-8 (RFC 3629: no overlong forms, nothing
    /// above U+10FFFF), no surrogate code points U+D800..U+DFFF [MQTT-1.5.4-1] and no U+0000 [MQTT-1.5.4-2];
    /// at most 65,535 bytes.
    /// </summary>
    internal static class MqttUtf8
    {
        public const int MaximumByteCount = 65535;

        // Encoding.UTF8 would silently replace invalid input with U+FFFD; every string is validated before
        // it reaches it, so the replacement never happens.
        private static readonly Encoding Utf8 = new UTF8Encoding(false, false);

        /// <summary>
        /// Validates bytes received on the wire and decodes them. Throws Malformed Packet. With
        /// <paramref name="strict"/> the code points section 1.5.4 says SHOULD NOT appear (control characters
        /// U+0001..U+001F and U+007F..U+009F, non-characters) are refused as well, as the spec allows.
        /// </summary>
        public static string Decode(byte[] buffer, int offset, int count, bool strict)
        {
            if (count == 0) return string.Empty;
            var end = offset + count;
            var ascii = true;
            for (var i = offset; i < end; i++)
            {
                var b = buffer[i];
                if (b < 0x20 || b == 0x7F) CheckAsciiControl(b, strict, i - offset);
                else if (b >= 0x80) { ascii = false; break; }
            }
            if (!ascii) ValidateMultiByte(buffer, offset, end, strict);
            return Utf8.GetString(buffer, offset, count);
        }

        private static void CheckAsciiControl(byte b, bool strict, int position)
        {
            if (b == 0) throw MqttProtocolErrors.Malformed("MQTT-1.5.4-2", "UTF-8 string contains U+0000");
            if (strict) throw Discouraged(b, position);
        }

        private static MqttProtocolException Discouraged(int codePoint, int position) =>
            MqttProtocolErrors.Malformed(null, "UTF-8 string contains U+" + codePoint.ToString("X4") + " at byte " + position
                + ": control characters and non-characters are refused (MQTT section 1.5.4)");

        private static void ValidateMultiByte(byte[] buffer, int offset, int end, bool strict)
        {
            var i = offset;
            while (i < end)
            {
                int b0 = buffer[i];
                if (b0 < 0x80)
                {
                    if (b0 < 0x20 || b0 == 0x7F) CheckAsciiControl((byte)b0, strict, i - offset);
                    i++;
                    continue;
                }

                int length, codePoint, minimum;
                if (b0 >= 0xC2 && b0 <= 0xDF) { length = 2; codePoint = b0 & 0x1F; minimum = 0x80; }
                else if ((b0 & 0xF0) == 0xE0) { length = 3; codePoint = b0 & 0x0F; minimum = 0x800; }
                else if (b0 >= 0xF0 && b0 <= 0xF4) { length = 4; codePoint = b0 & 0x07; minimum = 0x10000; }
                else throw InvalidUtf8(i - offset, "byte 0x" + b0.ToString("X2") + " cannot start a UTF-8 sequence");

                if (i + length > end) throw InvalidUtf8(i - offset, "UTF-8 sequence cut off at the end of the string");
                for (var k = 1; k < length; k++)
                {
                    int b = buffer[i + k];
                    if ((b & 0xC0) != 0x80) throw InvalidUtf8(i - offset, "missing UTF-8 continuation byte");
                    codePoint = (codePoint << 6) | (b & 0x3F);
                }
                if (codePoint < minimum) throw InvalidUtf8(i - offset, "overlong UTF-8 encoding");
                if (codePoint > 0x10FFFF) throw InvalidUtf8(i - offset, "code point above U+10FFFF");
                if (codePoint >= 0xD800 && codePoint <= 0xDFFF)
                {
                    throw MqttProtocolErrors.Malformed("MQTT-1.5.4-1",
                        "UTF-8 string contains the surrogate code point U+" + codePoint.ToString("X4"));
                }
                if (strict && (codePoint <= 0x9F || (codePoint >= 0xFDD0 && codePoint <= 0xFDEF) || (codePoint & 0xFFFE) == 0xFFFE))
                    throw Discouraged(codePoint, i - offset);
                i += length;
            }
        }

        private static MqttProtocolException InvalidUtf8(int position, string problem) =>
            MqttProtocolErrors.Malformed("MQTT-1.5.4-1", "invalid UTF-8 at byte " + position + " of a string: " + problem);

        /// <summary>
        /// Counts the UTF-8 bytes of a string about to be sent and checks that MQTT allows it: no U+0000, no
        /// unpaired surrogate (it has no UTF-8 form), at most 65,535 bytes.
        /// </summary>
        public static int GetValidatedByteCount(string value, string what)
        {
            var count = 0;
            var length = value.Length;
            for (var i = 0; i < length; i++)
            {
                var c = value[i];
                if (c < 0x80)
                {
                    if (c == 0) throw MqttProtocolErrors.Malformed("MQTT-1.5.4-2", what + " contains U+0000");
                    count++;
                }
                else if (c < 0x800) count += 2;
                else if (char.IsHighSurrogate(c))
                {
                    if (i + 1 >= length || !char.IsLowSurrogate(value[i + 1]))
                        throw MqttProtocolErrors.Malformed("MQTT-1.5.4-1", what + " contains an unpaired surrogate");
                    count += 4;
                    i++;
                }
                else if (char.IsLowSurrogate(c))
                {
                    throw MqttProtocolErrors.Malformed("MQTT-1.5.4-1", what + " contains an unpaired surrogate");
                }
                else count += 3;
            }
            if (count > MaximumByteCount)
                throw MqttProtocolErrors.Malformed("MQTT-1.5.4", what + " is " + count + " bytes of UTF-8; the maximum is 65,535");
            return count;
        }

        /// <summary>Writes an already validated string; returns the bytes written.</summary>
        public static int Write(string value, byte[] buffer, int offset) =>
            value.Length == 0 ? 0 : Utf8.GetBytes(value, 0, value.Length, buffer, offset);
    }
}
