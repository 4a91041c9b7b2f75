namespace MqttPS.Core.Protocol
{
    public sealed class ConnectPacket : MqttPacket
    {
        public override MqttPacketType PacketType => MqttPacketType.Connect;

        /// <summary>Protocol level; the protocol name follows from it ("MQIsdp" for 3, "MQTT" otherwise).</summary>
        public MqttProtocolVersion ProtocolVersion { get; set; } = MqttProtocolVersion.V500;

        /// <summary>
        /// Bit 7 of the protocol level: mosquitto's bridge extension ("try_private"), by which a bridging
        /// broker announces itself. Not part of the standard; kept so that bridges can connect.
        /// </summary>
        public bool IsBridge { get; set; }
        public string ClientId { get; set; } = string.Empty;

        /// <summary>Clean Start (5.0) or Clean Session (3.1.1): the same bit.</summary>
        public bool CleanStart { get; set; } = true;
        public ushort KeepAliveSeconds { get; set; }
        public string Username { get; set; }
        public byte[] Password { get; set; }

        /// <summary>The will message, or null when the will flag is 0.</summary>
        public MqttWillMessage Will { get; set; }
    }
}
