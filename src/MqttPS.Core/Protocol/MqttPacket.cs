namespace MqttPS.Core.Protocol
{
    /// <summary>Base of every MQTT control packet. Packets are plain data; the codec turns them into bytes.</summary>
    public abstract class MqttPacket
    {
        private MqttProperties _properties;

        public abstract MqttPacketType PacketType { get; }

        /// <summary>MQTT 5.0 properties, created on first access; ignored for 3.1/3.1.1.</summary>
        public MqttProperties Properties
        {
            get => _properties ?? (_properties = new MqttProperties());
            set => _properties = value;
        }

        /// <summary>True when properties were set or read, without allocating them.</summary>
        public bool HasProperties => _properties != null;
    }
}
