namespace MqttPS.Core.Broker
{
    /// <summary>
    /// A QoS 2 PUBLISH received and acknowledged with PUBREC, held until PUBREL. Like mosquitto, the broker forwards
    /// it when the PUBREL arrives, so a re-sent PUBLISH with the same identifier replaces it instead of being routed
    /// twice (exactly once).
    /// </summary>
    internal sealed class IncomingQoS2Message
    {
        public IncomingQoS2Message(BrokerMessage message)
        {
            Message = message;
        }

        public BrokerMessage Message { get; set; }

        /// <summary>Identical re-sends seen; mosquitto treats a second identical re-send as a protocol error.</summary>
        public int IdenticalResends { get; set; }

        /// <summary>The publish was refused (not authorized); PUBREL is still answered but nothing is routed.</summary>
        public bool Refused { get; set; }
    }
}
