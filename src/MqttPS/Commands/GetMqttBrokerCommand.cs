using System.Management.Automation;
using MqttPS.Core.Shell;

namespace MqttPS.Commands
{
    /// <summary>Get-MqttBroker: the embedded brokers running in this session.</summary>
    [Cmdlet(VerbsCommon.Get, "MqttBroker")]
    [OutputType(typeof(MqttEmbeddedBroker))]
    public sealed class GetMqttBrokerCommand : MqttCmdlet
    {
        [Parameter(Position = 0)]
        [SupportsWildcards]
        [ArgumentCompleter(typeof(BrokerNameCompleter))]
        [ValidateNotNullOrEmpty]
        public string[] Name { get; set; }

        protected override void EndProcessing()
        {
            if (Name == null)
            {
                WriteObject(Session.Brokers.All, true);
                return;
            }
            foreach (var pattern in Name)
            {
                var found = Session.Brokers.Find(pattern);
                if (found.Count == 0 && !WildcardName.HasWildcards(pattern))
                    WriteError(ErrorRecords.From(new MqttShellException("BrokerNotFound", ShellErrorCategory.ObjectNotFound, "There is no broker named " + ShellText.Quote(pattern) + " in this session.", pattern)));
                WriteObject(found, true);
            }
        }
    }
}
