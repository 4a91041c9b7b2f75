namespace MqttPS.Core.Client
{
    public enum MqttConnectionState
    {
        Disconnected,
        Connecting,
        Connected,
        /// <summary>The connection was lost and automatic reconnect is waiting or trying.</summary>
        Reconnecting,
        /// <summary>Connected again after a loss (the event's SessionPresent tells whether the session survived).</summary>
        Reconnected,
    }
}
