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
        [ArgumentCompleter(typeof(BrokerNameCompleter))]
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
                        WriteError(ErrorRecords.From(new MqttShellException("BrokerNotFound", ShellErrorCategory.ObjectNotFound, "There is no broker named " + ShellText.Quote(BrokerName) + " in this session.", BrokerName)));
                        return;
                    }
                    broker = found[0];
                    break;
                default:
                    broker = null;
                    if (!Try(() => broker = Session.Brokers.TheOnlyOne("Get-MqttBrokerClient -BrokerName <name>, or pipe it in"))) return;
                    break;
            }
            WriteObject(broker.GetClients(ClientId), true);
        }
    }
}
