namespace MqttPS.Core.Shell
{
    /// <summary>How a received payload is presented: the switches -AsString, -AsJson and -AsBytes.</summary>
    public enum PayloadFormat
    {
        /// <summary>Text when the payload is valid UTF-8, otherwise the bytes.</summary>
        Auto,
        /// <summary>Always text; invalid UTF-8 sequences become U+FFFD.</summary>
        String,
        /// <summary>Parsed JSON (objects, arrays, numbers...).</summary>
        Json,
        /// <summary>Always the raw bytes.</summary>
        Bytes,
    }
}
