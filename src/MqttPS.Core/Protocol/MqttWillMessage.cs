namespace MqttPS.Core.Protocol
{
    /// <summary>The will of a CONNECT: published by the server when the connection ends without DISCONNECT.</summary>
    public sealed class MqttWillMessage
    {
        private MqttProperties _properties;

        public string Topic { get; set; }
        public byte[] Payload { get; set; } = MqttPacketReader.EmptyBytes;
        public MqttQualityOfService QoS { get; set; }
        public bool Retain { get; set; }

        /// <summary>Will properties (5.0): will delay, payload format, expiry, content type, response topic,
        /// correlation data, user properties.</summary>
        public MqttProperties Properties
        {
            get => _properties ?? (_properties = new MqttProperties());
            set => _properties = value;
        }

        public bool HasProperties => _properties != null;
    }
}
