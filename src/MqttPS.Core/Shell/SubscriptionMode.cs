namespace MqttPS.Core.Shell
{
    /// <summary>Stream: messages go to the pipeline of the cmdlet that subscribed. Event: they raise PowerShell
    /// events in the background (-Action / -SourceIdentifier).</summary>
    public enum SubscriptionMode
    {
        Stream,
        Event,
    }
}
