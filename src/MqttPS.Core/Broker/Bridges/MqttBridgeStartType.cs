namespace MqttPS.Core.Broker.Bridges
{
    /// <summary>When a bridge connects (mosquitto's start_type).</summary>
    public enum MqttBridgeStartType
    {
        /// <summary>At broker start, and again after every loss (with the restart back-off).</summary>
        Automatic,

        /// <summary>When <see cref="MqttBridgeOptions.Threshold"/> messages wait to go out; disconnects after
        /// <see cref="MqttBridgeOptions.IdleTimeout"/> without traffic.</summary>
        Lazy,

        /// <summary>At broker start only; not again after the connection ends.</summary>
        Once,
    }
}
