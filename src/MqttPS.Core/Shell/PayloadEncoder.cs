using System.Collections.Generic;
using System.Text;

namespace MqttPS.Core.Shell
{
    /// <summary>
    /// Turns whatever a user pipes into Publish-MqttMessage into the bytes of a payload: strings are UTF-8 (no
    /// byte order mark), byte arrays are sent as they are, null is the empty payload, and anything else is
    /// written as compact JSON (<see cref="JsonConversion"/>, as ConvertTo-Json -Compress would write it), so that
    /// objects from Import-Csv or Get-Process arrive as structured data.
    /// </summary>
    public static class PayloadEncoder
    {
        private static readonly UTF8Encoding Utf8NoBom = new UTF8Encoding(false);

        /// <param name="payload">The payload as given.</param>
        /// <param name="json">How objects become JSON (depth, the shell's object model, cancellation); null: the
        /// defaults for plain .NET objects.</param>
        public static byte[] ToBytes(object payload, JsonConversion json = null)
        {
            switch (payload)
            {
                case null:
                    return new byte[0];
                case byte[] bytes:
                    return bytes;
                case string s:
                    return Utf8NoBom.GetBytes(s);
                case char[] chars:
                    return Utf8NoBom.GetBytes(chars);
                case IList<byte> byteList:
                    // e.g. List<byte>: a byte sequence is binary data, not a JSON array of numbers.
                    var copy = new byte[byteList.Count];
                    byteList.CopyTo(copy, 0);
                    return copy;
                default:
                    return Utf8NoBom.GetBytes((json ?? new JsonConversion()).Serialize(payload));
            }
        }

        /// <summary>True when <paramref name="payload"/> would be sent as JSON rather than as text or bytes.</summary>
        public static bool IsStructured(object payload) =>
            !(payload == null || payload is byte[] || payload is string || payload is char[] || payload is IList<byte>);
    }
}
