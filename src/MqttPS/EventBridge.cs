using System.Management.Automation;
using MqttPS.Core.Messages;
using MqttPS.Core.Shell;

namespace MqttPS
{
    /// <summary>
    /// Background subscriptions (-Action / -SourceIdentifier): each message raises a PowerShell engine event
    /// through the session's PSEventManager, which is safe to call from the network thread that received the
    /// message; the engine runs the action, or queues the event for Wait-Event/Get-Event, on its own thread.
    /// The message is $Event.MessageData (and $args[0] in the action); $Event.Sender is the subscription.
    /// </summary>
    internal static class EventBridge
    {
        public static void Register(PSCmdlet cmdlet, MqttSubscription subscription, ScriptBlock action)
        {
            var events = cmdlet.Events;
            var sourceIdentifier = subscription.SourceIdentifier;
            var format = subscription.Format;
            var subscriber = events.SubscribeEvent(null, null, sourceIdentifier, null, action, false, false);
            subscription.EventRegistration = subscriber;
            subscription.Job = subscriber.Action;
            // Like Register-ObjectEvent -Action: the action's job is listed by Get-Job, and Receive-Job shows its output.
            if (subscriber.Action != null) cmdlet.JobRepository.Add(subscriber.Action);
            subscription.EventSink = (s, message) =>
            {
                MqttMessage view;
                try
                {
                    view = MessageCopy.WithPayloadFormat(message, format, PSConvert.FromJson);
                }
                catch (System.FormatException)
                {
                    view = message; // not JSON: the action still sees the message, with its payload as text
                }
                events.GenerateEvent(sourceIdentifier, s, new object[] { view }, PSObject.AsPSObject(view));
            };
        }

        public static void Unregister(PSCmdlet cmdlet, MqttSubscription subscription)
        {
            subscription.EventSink = null;
            if (subscription.EventRegistration is PSEventSubscriber subscriber)
            {
                try { cmdlet.Events.UnsubscribeEvent(subscriber); }
                catch (System.ArgumentException) { /* already removed with Unregister-Event */ }
                if (subscriber.Action != null)
                {
                    try { cmdlet.JobRepository.Remove(subscriber.Action); }
                    catch (System.ArgumentException) { /* already removed with Remove-Job */ }
                }
                subscription.EventRegistration = null;
            }
        }
    }
}
