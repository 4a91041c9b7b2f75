namespace MqttPS.Core.Protocol
{
    /// <summary>Which side of the connection is decoding: decides direction rules and string strictness.</summary>
    internal enum MqttDecodeRole : byte
    {
        /// <summary>No direction known (MqttPacketParser.Parse): every packet type is accepted.</summary>
        Any,

        /// <summary>
        /// A server decoding what a client sent: CONNACK, SUBACK, UNSUBACK and PINGRESP are Protocol Errors, a
        /// PUBLISH must not carry a Subscription Identifier [MQTT-3.3.4-6], and strings are also refused when
        /// they contain control characters or non-characters (section 1.5.4 allows treating them as
        /// Malformed Packets; mosquitto does, and the broker is compared with it).
        /// </summary>
        Server,

        /// <summary>A client decoding what a server sent: CONNECT, SUBSCRIBE, UNSUBSCRIBE and PINGREQ are Protocol Errors.</summary>
        Client,
    }
}
