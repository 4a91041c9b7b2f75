using System;
using System.Text;
using MqttPS.Core.Messages;

namespace MqttPS.Core.Shell
{
    /// <summary>Presents a received payload in the format a subscriber asked for (-AsString, -AsJson, -AsBytes).</summary>
    public static class PayloadDecoder
    {
        private static readonly UTF8Encoding LenientUtf8 = new UTF8Encoding(false, false);

        /// <summary>
        /// Returns the payload view. For <see cref="PayloadFormat.Json"/> an empty payload is null, and a payload
        /// that is not JSON throws a <see cref="FormatException"/> naming the topic, so the caller can write an
        /// error for that one message and go on with the next.
        /// </summary>
        public static object Decode(MqttMessage message, PayloadFormat format)
        {
            if (message == null) throw new ArgumentNullException(nameof(message));
            var bytes = message.PayloadBytes;
            switch (format)
            {
                case PayloadFormat.Bytes:
                    return bytes;
                case PayloadFormat.String:
                    return message.PayloadText ?? LenientUtf8.GetString(bytes);
                case PayloadFormat.Json:
                    if (bytes.Length == 0) return null;
                    var text = message.PayloadText;
                    if (text == null) throw new FormatException("The payload of the message on topic '" + message.Topic + "' is not valid UTF-8, so it cannot be JSON.");
                    try
                    {
                        return JsonParser.Parse(text);
                    }
                    catch (FormatException e)
                    {
                        throw new FormatException("The payload of the message on topic '" + message.Topic + "' is not JSON. " + e.Message, e);
                    }
                default:
                    return (object)message.PayloadText ?? bytes;
            }
        }

        /// <summary>A one-line preview of a payload for tables: text up to <paramref name="maximumLength"/>
        /// characters ending in "..." (plain ASCII: consoles of Windows PowerShell 5.1 may lack the ellipsis glyph), or "[n bytes]" for binary data.</summary>
        public static string Preview(MqttMessage message, int maximumLength = 40)
        {
            if (message == null) return string.Empty;
            var text = message.PayloadText;
            if (text == null) return "[" + message.PayloadBytes.Length + " bytes]";
            var flattened = text.Replace("\r", " ").Replace("\n", " ").Replace("\t", " ");
            return flattened.Length <= maximumLength ? flattened : flattened.Substring(0, Math.Max(1, maximumLength - 3)) + "...";
        }
    }
}
