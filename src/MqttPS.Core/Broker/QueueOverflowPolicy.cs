namespace MqttPS.Core.Broker
{
    /// <summary>
    /// What a session does when <see cref="MqttBrokerOptions.MaxQueuedMessagesPerSession"/> messages already wait
    /// for it (offline, or beyond the client's in-flight window). Either way the broker raises a MessageDropped event
    /// and counts the loss in <see cref="MqttBrokerStatistics.PublishDropped"/>.
    /// </summary>
    public enum QueueOverflowPolicy
    {
        /// <summary>Keep what is queued and drop the new message (mosquitto's max_queued_messages behaviour; the default).</summary>
        DropNewest = 0,

        /// <summary>Drop the oldest queued message to make room for the new one (fresh data wins).</summary>
        DropOldest = 1,
    }
}
