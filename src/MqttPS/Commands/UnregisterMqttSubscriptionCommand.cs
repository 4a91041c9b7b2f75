using System.Collections.Generic;
using System.Management.Automation;
using MqttPS.Core.Shell;

namespace MqttPS.Commands
{
    /// <summary>Unregister-MqttSubscription: ends background subscriptions and unregisters their events.</summary>
    [Cmdlet(VerbsLifecycle.Unregister, "MqttSubscription", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low, DefaultParameterSetName = "InputObject")]
    [OutputType(typeof(MqttSubscription))]
    public sealed class UnregisterMqttSubscriptionCommand : MqttCmdlet
    {
        [Parameter(ParameterSetName = "InputObject", Mandatory = true, Position = 0, ValueFromPipeline = true)]
        public MqttSubscription[] Subscription { get; set; }

        [Parameter(ParameterSetName = "Id", Mandatory = true)]
        [ArgumentCompleter(typeof(SubscriptionIdCompleter))]
        public int[] Id { get; set; }

        [Parameter(ParameterSetName = "SourceIdentifier", Mandatory = true)]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(SourceIdentifierCompleter))]
        public string SourceIdentifier { get; set; }

        [Parameter(ParameterSetName = "All", Mandatory = true)]
        public SwitchParameter All { get; set; }

        [Parameter]
        public SwitchParameter PassThru { get; set; }

        protected override void ProcessRecord()
        {
            IReadOnlyList<MqttSubscription> targets;
            switch (ParameterSetName)
            {
                case "Id":
                    targets = Session.Subscriptions.Find(ids: Id);
                    if (targets.Count == 0)
                        WriteError(ErrorRecords.From(new MqttShellException("SubscriptionNotFound", ShellErrorCategory.ObjectNotFound,
                            "There is no subscription with id " + string.Join(", ", Id) + ".", Id)));
                    break;
                case "SourceIdentifier":
                    targets = Session.Subscriptions.Find(sourceIdentifier: SourceIdentifier);
                    if (targets.Count == 0 && !WildcardName.HasWildcards(SourceIdentifier))
                        WriteError(ErrorRecords.From(new MqttShellException("SubscriptionNotFound", ShellErrorCategory.ObjectNotFound,
                            "There is no subscription with source identifier '" + SourceIdentifier + "'.", SourceIdentifier)));
                    break;
                case "All":
                    targets = Session.Subscriptions.All;
                    break;
                default:
                    targets = Subscription;
                    break;
            }
            foreach (var s in targets)
            {
                if (!ShouldProcess("#" + s.Id + " " + s.Topic + " on " + s.ConnectionName, "Unsubscribe")) continue;
                EventBridge.Unregister(s);
                if (Try(() => Session.Unsubscribe(s, this, Verbose), s, "UnsubscribeFailed") && PassThru) WriteObject(s);
            }
        }
    }
}
