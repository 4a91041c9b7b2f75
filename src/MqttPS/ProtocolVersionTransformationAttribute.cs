using System.Management.Automation;
using MqttPS.Core.Shell;

namespace MqttPS
{
    /// <summary>
    /// -ProtocolVersion is text checked by [ValidateSet("3.1", "3.1.1", "5.0")]. A bare 5.0 on the command line
    /// keeps its text, but 5, a variable holding 5.0 (which converts to "5") or a connection's ProtocolVersion
    /// (V311) would fail the set; this maps them to the names first. Anything else reaches ValidateSet as given,
    /// so its error names the value and the choices.
    /// </summary>
    public sealed class ProtocolVersionTransformationAttribute : ArgumentTransformationAttribute
    {
        public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
        {
            var value = inputData is PSObject pso ? pso.BaseObject : inputData;
            return ProtocolVersionText.Normalize(value) ?? inputData;
        }
    }
}
