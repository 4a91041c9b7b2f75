using System;
using System.Text;
using MqttPS.Core.Messages;

namespace MqttPS.Core.Shell
{
    /// <summary>
    /// What Publish-MqttMessage sends for a piped message object. Unchanged, it is its exact payload bytes (an
    /// -AsJson view re-serialised could differ in spacing or number format). Changed by the user on its way
    /// through the pipeline ($_.Payload = ..., or a property of an -AsJson payload), it is the new value: sending
    /// the old bytes would silently drop the change.
    /// </summary>
    public static class RepublishPayload
    {
        private static readonly UTF8Encoding LenientUtf8 = new UTF8Encoding(false, false);

        /// <param name="message">The piped message.</param>
        /// <param name="json">How the caller's objects (an -AsJson view: PSCustomObjects) become JSON; used in full
        /// depth here to tell a changed view from an unchanged one.</param>
        /// <returns>The original bytes, or the replaced payload for <see cref="PayloadEncoder"/>.</returns>
        public static object Resolve(MqttMessage message, JsonConversion json = null)
        {
            if (message == null) throw new ArgumentNullException(nameof(message));
            var bytes = message.PayloadBytes;
            var view = message.Payload;
            switch (view)
            {
                case null:
                    return bytes;
                case byte[] replacedBytes:
                    return replacedBytes;
                case string text:
                    if (text == (message.PayloadText ?? LenientUtf8.GetString(bytes))) return bytes;
                    // -AsJson on the JSON string "on" shows on: unchanged, that is still the original bytes.
                    if (message.PayloadText != null && JsonParser.TryParse(message.PayloadText, out var quoted, out _) && quoted is string original && original == text)
                        return bytes;
                    return text;
            }
            var originalText = message.PayloadText;
            var full = (json ?? new JsonConversion()).WithDepth(JsonConversion.MaximumDepth);
            if (originalText != null && JsonParser.TryParse(originalText, out var parsed, out _) && full.Serialize(parsed) == full.Serialize(view))
                return bytes;
            return view;
        }
    }
}
