using System.Management.Automation;
using MqttPS.Core.Broker;
using MqttPS.Core.Shell;

namespace MqttPS.Commands
{
    /// <summary>Get-MqttBrokerClient: the clients connected to an embedded broker.</summary>
    [Cmdlet(VerbsCommon.Get, "MqttBrokerClient", DefaultParameterSetName = "Default")]
    [OutputType(typeof(MqttBrokerClientInfo))]
    public sealed class GetMqttBrokerClientCommand : MqttCmdlet
    {
        [Parameter(Position = 0)]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        public string ClientId { get; set; }

        [Parameter(ParameterSetName = "InputObject", Mandatory = true, ValueFromPipeline = true)]
        public MqttEmbeddedBroker Broker { get; set; }

        [Parameter(ParameterSetName = "Name", Mandatory = true)]
        [ValidateNotNullOrEmpty]
        public string BrokerName { get; set; }

        protected override void ProcessRecord()
        {
            MqttEmbeddedBroker broker;
            switch (ParameterSetName)
            {
                case "InputObject":
                    broker = Broker;
                    break;
                case "Name":
                    var found = Session.Brokers.Find(BrokerName);
                    if (found.Count == 0)
                    {
                        WriteError(ErrorRecords.From(new MqttShellException("BrokerNotFound", ShellErrorCategory.ObjectNotFound, "There is no broker named '" + BrokerName + "' in this session.", BrokerName)));
                        return;
                    }
                    broker = found[0];
                    break;
                default:
                    var all = Session.Brokers.All;
                    if (all.Count != 1)
                    {
                        WriteError(ErrorRecords.From(new MqttShellException(all.Count == 0 ? "BrokerNotFound" : "AmbiguousBroker",
                            all.Count == 0 ? ShellErrorCategory.ObjectNotFound : ShellErrorCategory.InvalidArgument,
                            all.Count == 0 ? "No broker runs in this session; start one with Start-MqttBroker." : "Several brokers run in this session; pick one with -BrokerName or pipe it in.", null)));
                        return;
                    }
                    broker = all[0];
                    break;
            }
            WriteObject(broker.GetClients(ClientId), true);
        }
    }
}
