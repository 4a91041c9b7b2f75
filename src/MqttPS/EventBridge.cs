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
            // Another event subscriber (Register-EngineEvent, Register-ObjectEvent) under the same identifier would
            // receive these events too, and Unregister-MqttSubscription could not tell them apart.
            if (System.Linq.Enumerable.Any(events.GetEventSubscribers(sourceIdentifier)))
                throw new MqttShellException("SourceIdentifierInUse", ShellErrorCategory.ResourceExists,
                    "An event subscriber with the source identifier '" + sourceIdentifier + "' already exists (see Get-EventSubscriber); unregister it first or pick another -SourceIdentifier.",
                    sourceIdentifier);
            // supportEvent false, like Register-ObjectEvent -Action: SubscribeEvent itself adds the action's job to
            // the job repository (Get-Job lists it, Receive-Job shows its output). Adding it again would throw.
            // With no action the events are queued for Wait-Event and Get-Event.
            var subscriber = events.SubscribeEvent(null, null, sourceIdentifier, null, action, false, false);
            subscription.EventRegistration = subscriber;
            subscription.Job = subscriber.Action;
            subscription.EventSink = (s, message) =>
            {
                // Unregister-Event or Stop-Job on the action's job removes the subscriber behind our back. An event
                // nobody subscribes to would pile up in the session's event queue (Get-Event) for good; it is
                // dropped instead, and counted in the subscription's MessagesDropped.
                if (!IsSubscribed(events, sourceIdentifier, subscriber))
                    throw new System.InvalidOperationException("The event subscriber '" + sourceIdentifier + "' was removed; use Unregister-MqttSubscription.");
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

        private static bool IsSubscribed(PSEventManager events, string sourceIdentifier, PSEventSubscriber subscriber)
        {
            foreach (var current in events.GetEventSubscribers(sourceIdentifier))
                if (ReferenceEquals(current, subscriber)) return true;
            return false;
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
