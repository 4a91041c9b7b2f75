namespace MqttPS.Core.Protocol
{
    /// <summary>What the measuring pass of the encoder learned, so the writing pass need not measure again.</summary>
    internal struct MqttPacketLayout
    {
        public int RemainingLength;
        public int PropertiesLength;
        public int WillPropertiesLength;

        /// <summary>UTF-8 length of the PUBLISH topic, so the writer encodes it without counting again.</summary>
        public int TopicLength;
    }
}
