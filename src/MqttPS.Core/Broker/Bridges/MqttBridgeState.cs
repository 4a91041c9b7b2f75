namespace MqttPS.Core.Broker.Bridges
{
    /// <summary>Where a bridge's connection to its remote broker stands.</summary>
    public enum MqttBridgeState
    {
        /// <summary>Trying an address.</summary>
        Connecting,

        /// <summary>Connected: messages flow both ways.</summary>
        Connected,

        /// <summary>Not connected; the next attempt comes after the restart back-off.</summary>
        Waiting,

        /// <summary>A lazy bridge waiting for enough messages to connect.</summary>
        Idle,

        /// <summary>Not running (broker stopped, or a start_type once bridge whose connection ended).</summary>
        Stopped,
    }
}
