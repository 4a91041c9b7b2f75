using System.Text;

namespace MqttPS.Core.Broker
{
    /// <summary>
    /// Finds which string field of a rejected CONNECT holds invalid UTF-8, U+0000 or a control character, because the answer depends on
    /// the field: a bad client identifier gets CONNACK 0x85, a bad will topic 0x81, a bad user name only a close.
    /// Works on the raw packet bytes; tolerant of truncation (returns null).
    /// </summary>
    internal static class ConnectFieldLocator
    {
        private static readonly UTF8Encoding StrictUtf8 = new UTF8Encoding(false, true);

        public const string ClientIdentifier = "client identifier";
        public const string WillTopic = "will topic";
        public const string UserName = "user name";

        public static string FindInvalidStringField(byte[] buffer, int offset, int count)
        {
            var end = offset + count;
            var pos = offset + 1;
            if (!SkipVariableByteInteger(buffer, ref pos, end, out _)) return null;
            if (!ReadLength(buffer, ref pos, end, out var nameLength)) return null;
            pos += nameLength;
            if (pos + 4 > end) return null;
            var level = buffer[pos++];
            var flags = buffer[pos++];
            pos += 2; // keep alive
            if (level == 5)
            {
                if (!SkipVariableByteInteger(buffer, ref pos, end, out var propertiesLength)) return null;
                pos += (int)propertiesLength;
            }
            if (!IsValidString(buffer, ref pos, end, out var ok)) return null;
            if (!ok) return ClientIdentifier;
            if ((flags & 0x04) != 0)
            {
                if (level == 5)
                {
                    if (!SkipVariableByteInteger(buffer, ref pos, end, out var willPropertiesLength)) return null;
                    pos += (int)willPropertiesLength;
                }
                if (!IsValidString(buffer, ref pos, end, out ok)) return null;
                if (!ok) return WillTopic;
                if (!ReadLength(buffer, ref pos, end, out var payloadLength)) return null;
                pos += payloadLength;
            }
            if ((flags & 0x80) != 0)
            {
                if (!IsValidString(buffer, ref pos, end, out ok)) return null;
                if (!ok) return UserName;
            }
            return null;
        }

        private static bool ReadLength(byte[] b, ref int pos, int end, out int length)
        {
            length = 0;
            if (pos + 2 > end) return false;
            length = (b[pos] << 8) | b[pos + 1];
            pos += 2;
            return true;
        }

        private static bool IsValidString(byte[] b, ref int pos, int end, out bool valid)
        {
            valid = false;
            if (!ReadLength(b, ref pos, end, out var length) || pos + length > end) return false;
            try
            {
                var s = StrictUtf8.GetString(b, pos, length);
                valid = s.IndexOf('\0') < 0 && !ProtocolErrorPolicy.HasControlCharacters(s);
            }
            catch (DecoderFallbackException) { valid = false; }
            pos += length;
            return true;
        }

        private static bool SkipVariableByteInteger(byte[] b, ref int pos, int end, out long value)
        {
            value = 0;
            long multiplier = 1;
            for (var i = 0; i < 4; i++)
            {
                if (pos >= end) return false;
                var x = b[pos++];
                value += (x & 0x7F) * multiplier;
                multiplier *= 128;
                if ((x & 0x80) == 0) return true;
            }
            return false;
        }
    }
}
