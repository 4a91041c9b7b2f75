using System;
using MqttPS.Core.Shell;

namespace MqttPS
{
    /// <summary>
    /// The source object of a background subscription's PowerShell event subscriber, as Get-EventSubscriber shows it.
    /// PowerShell tells a subscriber that has a source object when it is unsubscribed (Unregister-Event, Stop-Job on
    /// the action's job), and that is how those commands end the MQTT subscription too. The messages themselves are
    /// raised with PSEventManager.GenerateEvent, so that $Event.MessageData is the message; <see cref="MessageReceived"/>
    /// is only the hook PowerShell attaches to and is never raised.
    /// </summary>
    public sealed class SubscriptionEventSource
    {
        public SubscriptionEventSource(MqttSubscription subscription)
        {
            Subscription = subscription;
        }

        public MqttSubscription Subscription { get; }

#pragma warning disable CS0067 // never raised: see the class summary
        public event EventHandler MessageReceived;
#pragma warning restore CS0067

        public override string ToString() => Subscription.ToString();
    }
}
