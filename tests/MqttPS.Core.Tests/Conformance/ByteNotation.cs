using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace MqttPS.Core.Tests.Conformance
{
    /// <summary>
    /// Parses the byte notation of the mosquitto sequences (see their README): hex groups, rN/vN variable byte
    /// integers, sN/mN/kN/HN 16-bit, iN one byte, LN 32-bit, 'text' UTF-8.
    /// </summary>
    public static class ByteNotation
    {
        public static byte[] Parse(string notation)
        {
            var bytes = new List<byte>();
            var i = 0;
            var s = notation ?? string.Empty;
            while (i < s.Length)
            {
                var c = s[i];
                if (char.IsWhiteSpace(c)) { i++; continue; }
                if (c == '\'')
                {
                    var end = s.IndexOf('\'', i + 1);
                    if (end < 0) throw new FormatException("unterminated quote in: " + s);
                    bytes.AddRange(Encoding.UTF8.GetBytes(s.Substring(i + 1, end - i - 1)));
                    i = end + 1;
                    continue;
                }
                var start = i;
                while (i < s.Length && !char.IsWhiteSpace(s[i]) && s[i] != '\'') i++;
                var token = s.Substring(start, i - start);
                AppendToken(token, bytes, s);
            }
            return bytes.ToArray();
        }

        private static void AppendToken(string token, List<byte> bytes, string whole)
        {
            var kind = token[0];
            var rest = token.Substring(1);
            if ("rvsmkHiL".IndexOf(kind) >= 0 && rest.Length > 0 && IsDecimal(rest))
            {
                var n = ulong.Parse(rest, CultureInfo.InvariantCulture);
                switch (kind)
                {
                    case 'r':
                    case 'v':
                        // Encoded as an MQTT variable byte integer even past 2^28 (to build malformed packets).
                        do
                        {
                            var b = (byte)(n % 128);
                            n /= 128;
                            if (n > 0) b |= 0x80;
                            bytes.Add(b);
                        } while (n > 0);
                        return;
                    case 's': case 'm': case 'k': case 'H':
                        bytes.Add((byte)(n >> 8)); bytes.Add((byte)n);
                        return;
                    case 'i':
                        bytes.Add((byte)n);
                        return;
                    case 'L':
                        bytes.Add((byte)(n >> 24)); bytes.Add((byte)(n >> 16)); bytes.Add((byte)(n >> 8)); bytes.Add((byte)n);
                        return;
                }
            }
            if (token.Length % 2 != 0) throw new FormatException("odd hex group '" + token + "' in: " + whole);
            for (var k = 0; k < token.Length; k += 2)
                bytes.Add(byte.Parse(token.Substring(k, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
        }

        private static bool IsDecimal(string s)
        {
            foreach (var ch in s) if (ch < '0' || ch > '9') return false;
            return true;
        }

        public static string ToHex(byte[] data, int count = -1)
        {
            if (data == null) return "(none)";
            if (count < 0) count = data.Length;
            var sb = new StringBuilder(count * 3);
            for (var i = 0; i < count; i++)
            {
                if (i > 0) sb.Append(' ');
                sb.Append(data[i].ToString("X2"));
            }
            return sb.ToString();
        }
    }
}
