using System.Management.Automation;
using MqttPS.Core.Shell;

namespace MqttPS.Commands
{
    /// <summary>Get-MqttConnection: lists the session's connections, or the default one.</summary>
    [Cmdlet(VerbsCommon.Get, "MqttConnection", DefaultParameterSetName = "Name")]
    [OutputType(typeof(MqttConnection))]
    public sealed class GetMqttConnectionCommand : MqttCmdlet
    {
        [Parameter(ParameterSetName = "Name", Position = 0)]
        [SupportsWildcards]
        [ArgumentCompleter(typeof(ConnectionNameCompleter))]
        [ValidateNotNullOrEmpty]
        public string[] Name { get; set; }

        [Parameter(ParameterSetName = "Default", Mandatory = true)]
        public SwitchParameter Default { get; set; }

        protected override void EndProcessing()
        {
            if (Default)
            {
                var current = Session.Connections.Default;
                if (current != null) WriteObject(current);
                return;
            }
            if (Name == null)
            {
                WriteObject(Session.Connections.All, true);
                return;
            }
            foreach (var pattern in Name)
            {
                var found = Session.Connections.Find(pattern);
                if (found.Count == 0 && !WildcardName.HasWildcards(pattern))
                    WriteError(ErrorRecords.From(new MqttShellException("ConnectionNotFound", ShellErrorCategory.ObjectNotFound, "There is no connection named " + ShellText.Quote(pattern) + ".", pattern)));
                WriteObject(found, true);
            }
        }
    }
}
