namespace MqttPS.Core.Broker
{
    /// <summary>Base of what the subscription index holds: one client's subscription, or a shared subscription group.</summary>
    internal abstract class SubscriptionEntry
    {
    }
}
