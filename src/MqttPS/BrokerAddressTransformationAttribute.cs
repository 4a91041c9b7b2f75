using System.Management.Automation;
using MqttPS.Core.Shell;

namespace MqttPS
{
    /// <summary>
    /// -Broker takes an address as text. Given a broker started with Start-MqttBroker instead (Connect-Mqtt $broker),
    /// PowerShell would pass its display text ("lab (mqtt://127.0.0.1:1883)"), which is no address; this passes the
    /// address its clients use. Anything else reaches the parameter as given.
    /// </summary>
    public sealed class BrokerAddressTransformationAttribute : ArgumentTransformationAttribute
    {
        public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
        {
            var value = inputData is PSObject pso ? pso.BaseObject : inputData;
            if (!(value is MqttEmbeddedBroker broker)) return inputData;
            try { return broker.AddressForClients(); }
            catch (MqttShellException e) { throw new ArgumentTransformationMetadataException(e.Message, e); }
        }
    }
}
