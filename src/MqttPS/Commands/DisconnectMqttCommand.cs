using System.Collections.Generic;
using System.Management.Automation;
using MqttPS.Core.Shell;

namespace MqttPS.Commands
{
    /// <summary>Disconnect-Mqtt: closes connections cleanly (DISCONNECT) and ends their subscriptions.</summary>
    [Cmdlet(VerbsCommunications.Disconnect, "Mqtt", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low, DefaultParameterSetName = "Name")]
    [OutputType(typeof(MqttConnection))]
    public sealed class DisconnectMqttCommand : MqttCmdlet
    {
        [Parameter(ParameterSetName = "Connection", Mandatory = true, Position = 0, ValueFromPipeline = true)]
        public MqttConnection[] Connection { get; set; }

        // Optional, and the default set: without a name the command closes the default connection, and
        // Tab after the command name offers names (with a no-argument set as the default, PowerShell could not tell which positional parameter Tab is for).
        [Parameter(ParameterSetName = "Name", Position = 0)]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(ConnectionNameCompleter))]
        public string[] Name { get; set; }

        [Parameter(ParameterSetName = "All", Mandatory = true)]
        public SwitchParameter All { get; set; }

        [Parameter]
        public SwitchParameter PassThru { get; set; }

        protected override void ProcessRecord()
        {
            var targets = new List<MqttConnection>();
            switch (ParameterSetName)
            {
                case "Connection":
                    targets.AddRange(Connection);
                    break;
                case "Name" when Name != null:
                    foreach (var pattern in Name)
                    {
                        var found = Session.Connections.Find(pattern);
                        if (found.Count == 0 && !WildcardName.HasWildcards(pattern))
                            WriteError(ErrorRecords.From(new MqttShellException("ConnectionNotFound", ShellErrorCategory.ObjectNotFound, "There is no connection named " + ShellText.Quote(pattern) + " (Get-MqttConnection lists them).", pattern)));
                        targets.AddRange(found);
                    }
                    break;
                case "All":
                    targets.AddRange(Session.Connections.All);
                    break;
                default:
                    var current = Session.Connections.Default;
                    if (current == null)
                    {
                        WriteError(ErrorRecords.From(new MqttShellException("NoConnection", ShellErrorCategory.ObjectNotFound, "There is no default connection to disconnect.", null)));
                        return;
                    }
                    targets.Add(current);
                    break;
            }
            foreach (var connection in targets)
            {
                if (!ShouldProcess(connection.Name + " (" + connection.Broker + ")", "Disconnect")) continue;
                if (!Try(() =>
                    {
                        foreach (var ended in Session.Disconnect(connection, this)) EventBridge.Unregister(ended);
                    }, connection, "DisconnectFailed")) continue;
                if (PassThru) WriteObject(connection);
            }
        }
    }
}
