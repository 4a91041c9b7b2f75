using System.Collections.Generic;
using System.Management.Automation;
using MqttPS.Core.Shell;

namespace MqttPS.Commands
{
    /// <summary>Stop-MqttBroker: stops embedded brokers, disconnecting their clients.</summary>
    [Cmdlet(VerbsLifecycle.Stop, "MqttBroker", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = "Name")]
    [OutputType(typeof(MqttEmbeddedBroker))]
    public sealed class StopMqttBrokerCommand : MqttCmdlet
    {
        [Parameter(ParameterSetName = "InputObject", Mandatory = true, Position = 0, ValueFromPipeline = true)]
        public MqttEmbeddedBroker[] Broker { get; set; }

        // Optional, and the default set: without a name the command stops the only broker, and
        // Tab after the command name offers names (with a no-argument set as the default, PowerShell could not tell which positional parameter Tab is for).
        [Parameter(ParameterSetName = "Name", Position = 0)]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(BrokerNameCompleter))]
        public string[] Name { get; set; }

        [Parameter(ParameterSetName = "All", Mandatory = true)]
        public SwitchParameter All { get; set; }

        [Parameter]
        public SwitchParameter PassThru { get; set; }

        protected override void ProcessRecord()
        {
            var targets = new List<MqttEmbeddedBroker>();
            switch (ParameterSetName)
            {
                case "Name" when Name != null:
                    foreach (var pattern in Name)
                    {
                        var found = Session.Brokers.Find(pattern);
                        if (found.Count == 0 && !WildcardName.HasWildcards(pattern))
                            WriteError(ErrorRecords.From(new MqttShellException("BrokerNotFound", ShellErrorCategory.ObjectNotFound, "There is no broker named " + ShellText.Quote(pattern) + " in this session (Get-MqttBroker lists them).", pattern)));
                        targets.AddRange(found);
                    }
                    break;
                case "All":
                    targets.AddRange(Session.Brokers.All);
                    break;
                case "InputObject":
                    targets.AddRange(Broker);
                    break;
                default:
                    // No argument: the session's only broker, as Get-MqttBrokerClient does.
                    MqttEmbeddedBroker only = null;
                    if (!Try(() => only = Session.Brokers.TheOnlyOne("Stop-MqttBroker <name>, or -All"))) return;
                    targets.Add(only);
                    break;
            }
            foreach (var b in targets)
            {
                var clients = b.IsRunning ? b.ClientCount : 0;
                if (!ShouldProcess(b.Name + " (" + (b.Uri ?? b.State) + ", " + clients + " clients connected)", "Stop broker")) continue;
                if (Try(() => Session.StopBroker(b, this), b, "BrokerStopFailed") && PassThru) WriteObject(b);
            }
        }
    }
}
