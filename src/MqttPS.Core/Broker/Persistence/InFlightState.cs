namespace MqttPS.Core.Broker.Persistence
{
    /// <summary>Where an outgoing QoS 1/2 message stands with its subscriber, so a restarted broker resends PUBLISH
    /// (with DUP) or PUBREL as the specification requires after reconnection [MQTT-4.4.0-1].</summary>
    public enum InFlightState : byte
    {
        /// <summary>PUBLISH sent with this packet id, not yet acknowledged (PUBACK / PUBREC).</summary>
        PublishSent = 1,

        /// <summary>QoS 2: PUBREC received, PUBREL sent, waiting for PUBCOMP.</summary>
        ReleaseSent = 2,
    }
}
