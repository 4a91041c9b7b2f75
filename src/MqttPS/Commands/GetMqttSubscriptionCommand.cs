using System.Management.Automation;
using MqttPS.Core.Shell;

namespace MqttPS.Commands
{
    /// <summary>Get-MqttSubscription: lists the session's subscriptions (background ones, and streaming ones while they run).</summary>
    [Cmdlet(VerbsCommon.Get, "MqttSubscription", DefaultParameterSetName = "All")]
    [OutputType(typeof(MqttSubscription))]
    public sealed class GetMqttSubscriptionCommand : MqttCmdlet
    {
        [Parameter(ParameterSetName = "Id", Mandatory = true, Position = 0)]
        [ArgumentCompleter(typeof(SubscriptionIdCompleter))]
        public int[] Id { get; set; }

        [Parameter(ParameterSetName = "SourceIdentifier", Mandatory = true)]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(SourceIdentifierCompleter))]
        public string SourceIdentifier { get; set; }

        [Parameter(ParameterSetName = "All")]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        public string Topic { get; set; }

        [Parameter(ParameterSetName = "All", ValueFromPipeline = true)]
        [ValidateNotNull]
        public MqttConnection Connection { get; set; }

        protected override void ProcessRecord()
        {
            var found = Session.Subscriptions.Find(Id, SourceIdentifier, Topic, Connection);
            if (found.Count == 0 && Id != null)
            {
                WriteError(ErrorRecords.From(new MqttShellException("SubscriptionNotFound", ShellErrorCategory.ObjectNotFound,
                    "There is no subscription with id " + string.Join(", ", Id) + ".", Id)));
            }
            else if (found.Count == 0 && SourceIdentifier != null && !WildcardName.HasWildcards(SourceIdentifier))
            {
                WriteError(ErrorRecords.From(new MqttShellException("SubscriptionNotFound", ShellErrorCategory.ObjectNotFound,
                    "There is no subscription with source identifier '" + SourceIdentifier + "'.", SourceIdentifier)));
            }
            WriteObject(found, true);
        }
    }
}
