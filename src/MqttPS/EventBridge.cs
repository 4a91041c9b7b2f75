using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Threading;
using MqttPS.Core.Messages;
using MqttPS.Core.Shell;

namespace MqttPS
{
    /// <summary>
    /// Background subscriptions (-Action / -SourceIdentifier): the subscription's messages become PowerShell engine
    /// events in arrival order, raised through the session's PSEventManager from the subscription's event pump
    /// (a thread-pool thread, never the network thread). The engine runs the action, or queues the event for
    /// Wait-Event and Get-Event. The message is $Event.MessageData (and $args[0] in the action); $Event.Sender is the
    /// subscription. At most a window of events is raised and not yet consumed: with -Action, checkpoints raised after
    /// the messages (a hidden subscriber whose action runs after theirs) say which actions have run; without, the
    /// session's event queue is looked at for the events still there. Unregister-Event and Stop-Job end the MQTT
    /// subscription as well.
    /// </summary>
    internal static class EventBridge
    {
        public static void Register(PSCmdlet cmdlet, MqttSubscription subscription, ScriptBlock action, Action<MqttSubscription> endSubscription)
        {
            var events = cmdlet.Events;
            var sourceIdentifier = subscription.SourceIdentifier;
            // Another event subscriber (Register-EngineEvent, Register-ObjectEvent) under the same identifier would
            // receive these events too, and Unregister-MqttSubscription could not tell them apart.
            if (System.Linq.Enumerable.Any(events.GetEventSubscribers(sourceIdentifier)))
                throw new MqttShellException("SourceIdentifierInUse", ShellErrorCategory.ResourceExists,
                    "An event subscriber with the source identifier '" + sourceIdentifier + "' already exists (see Get-EventSubscriber); unregister it first or pick another -SourceIdentifier.",
                    sourceIdentifier);
            var registration = new Registration(events, cmdlet.JobRepository, subscription, action != null, endSubscription);
            // supportEvent false, like Register-ObjectEvent -Action: SubscribeEvent itself adds the action's job to
            // the job repository (Get-Job lists it, Receive-Job shows its output). Adding it again would throw.
            // With no action the events are queued for Wait-Event and Get-Event.
            var subscriber = events.SubscribeEvent(registration.Source, nameof(SubscriptionEventSource.MessageReceived), sourceIdentifier, null, action, false, false);
            registration.Attach(subscriber);
            subscription.EventRegistration = registration;
            subscription.Job = subscriber.Action;
            subscription.AttachEvents(registration, action != null ? Math.Min(MqttSubscription.ActionEventWindow, subscription.QueueSize) : subscription.QueueSize);
        }

        /// <summary>Removes the PowerShell side of a background subscription: its event subscribers and its action's job.</summary>
        public static void Unregister(MqttSubscription subscription)
        {
            (subscription.EventRegistration as Registration)?.Close(true);
            subscription.EventRegistration = null;
        }

        private sealed class Registration : IMessageEventTarget
        {
            private static readonly ScriptBlock CheckpointAction = ScriptBlock.Create("$Event.MessageData.Invoke()");
            private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);
            private readonly PSEventManager _events;
            private readonly JobRepository _jobs;
            private readonly MqttSubscription _subscription;
            private readonly Action<MqttSubscription> _endSubscription;
            private readonly string _checkpointIdentifier;
            private readonly List<PSEventArgs> _sinceCheckpoint = new List<PSEventArgs>();
            private readonly Queue<KeyValuePair<PSEventArgs[], Action>> _checkpoints = new Queue<KeyValuePair<PSEventArgs[], Action>>();
            private PSEventSubscriber _subscriber;
            private PSEventSubscriber _checkpointSubscriber;
            private Timer _poll;
            private int _closed;

            public Registration(PSEventManager events, JobRepository jobs, MqttSubscription subscription, bool hasAction, Action<MqttSubscription> endSubscription)
            {
                _events = events;
                _jobs = jobs;
                _subscription = subscription;
                _endSubscription = endSubscription;
                Source = new SubscriptionEventSource(subscription);
                if (hasAction)
                {
                    _checkpointIdentifier = subscription.SourceIdentifier + ".Checkpoint." + Guid.NewGuid().ToString("n");
                    // A support event: hidden from Get-EventSubscriber and Get-Job, like PowerShell's own helpers.
                    _checkpointSubscriber = events.SubscribeEvent(null, null, _checkpointIdentifier, null, CheckpointAction, true, false);
                }
            }

            public SubscriptionEventSource Source { get; }

            public void Attach(PSEventSubscriber subscriber)
            {
                _subscriber = subscriber;
                subscriber.Unsubscribed += (sender, e) =>
                {
                    // Unregister-Event or Stop-Job (not our own Close): end the MQTT subscription like the event source.
                    if (Interlocked.Exchange(ref _closed, 1) != 0) return;
                    CloseHelpers();
                    _endSubscription(_subscription);
                };
            }

            public void Raise(MqttMessage message)
            {
                MqttMessage view;
                try
                {
                    view = MessageCopy.WithPayloadFormat(message, _subscription.Format, PSConvert.FromJson);
                }
                catch (FormatException)
                {
                    view = message; // not JSON: the action still sees the message, with its payload as text
                }
                // In the current thread: events raised one after another reach the action queue in that order.
                var raised = _events.GenerateEvent(_subscription.SourceIdentifier, _subscription, new object[] { view }, PSObject.AsPSObject(view), true, false);
                if (_checkpointSubscriber == null) lock (_checkpoints) _sinceCheckpoint.Add(raised);
            }

            public void RaiseCheckpoint(Action reached)
            {
                if (_checkpointSubscriber != null)
                {
                    // Its action runs after the actions of the events raised before it (the engine runs actions in order).
                    _events.GenerateEvent(_checkpointIdentifier, null, null, PSObject.AsPSObject(reached), true, false);
                    return;
                }
                lock (_checkpoints)
                {
                    _checkpoints.Enqueue(new KeyValuePair<PSEventArgs[], Action>(_sinceCheckpoint.ToArray(), reached));
                    _sinceCheckpoint.Clear();
                    if (_poll == null && Volatile.Read(ref _closed) == 0) _poll = new Timer(_ => Poll(), null, PollInterval, PollInterval);
                }
            }

            /// <summary>Without -Action: a checkpoint is reached when none of its events waits in the event queue any more.</summary>
            private void Poll()
            {
                var waiting = new HashSet<PSEventArgs>();
                try
                {
                    lock (_events.ReceivedEvents.SyncRoot)
                    {
                        foreach (PSEventArgs e in _events.ReceivedEvents)
                            if (string.Equals(e.SourceIdentifier, _subscription.SourceIdentifier, StringComparison.OrdinalIgnoreCase)) waiting.Add(e);
                    }
                }
                catch (Exception)
                {
                    return; // the runspace is closing
                }
                var reached = new List<Action>();
                lock (_checkpoints)
                {
                    while (_checkpoints.Count > 0 && !Array.Exists(_checkpoints.Peek().Key, waiting.Contains))
                        reached.Add(_checkpoints.Dequeue().Value);
                    if (_checkpoints.Count == 0) StopPolling();
                }
                foreach (var r in reached) r();
            }

            /// <summary>Unregister-MqttSubscription, Disconnect-Mqtt, module removal: the PowerShell side goes.</summary>
            public void Close(bool removeJob)
            {
                if (Interlocked.Exchange(ref _closed, 1) != 0) return;
                CloseHelpers();
                if (_subscriber != null)
                {
                    try { _events.UnsubscribeEvent(_subscriber); }
                    catch (ArgumentException) { /* already removed with Unregister-Event */ }
                    if (removeJob && _subscriber.Action != null)
                    {
                        try { _jobs.Remove(_subscriber.Action); }
                        catch (ArgumentException) { /* already removed with Remove-Job */ }
                    }
                }
            }

            private void CloseHelpers()
            {
                if (_checkpointSubscriber != null)
                {
                    try { _events.UnsubscribeEvent(_checkpointSubscriber); }
                    catch (ArgumentException) { }
                }
                lock (_checkpoints)
                {
                    StopPolling();
                    _checkpoints.Clear();
                }
            }

            private void StopPolling()
            {
                _poll?.Dispose();
                _poll = null;
            }
        }
    }
}
