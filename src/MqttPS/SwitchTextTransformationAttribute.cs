using System.Management.Automation;
using MqttPS.Core.Shell;

namespace MqttPS
{
    /// <summary>
    /// Lets a switch bound by property name take the text of a CSV column ("true", "False", "1", ""): the binder
    /// itself refuses strings for switches ("Boolean parameters accept only Boolean values and numbers"), which
    /// would fail every Import-Csv row with a Retain column. Other values pass through unchanged.
    /// </summary>
    public sealed class SwitchTextTransformationAttribute : ArgumentTransformationAttribute
    {
        private readonly string _parameterName;

        public SwitchTextTransformationAttribute(string parameterName)
        {
            _parameterName = parameterName;
        }

        public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
        {
            var value = inputData is PSObject pso ? pso.BaseObject : inputData;
            switch (value)
            {
                case string text:
                    try
                    {
                        return new SwitchParameter(BooleanText.Parse(text, _parameterName));
                    }
                    catch (MqttShellException e)
                    {
                        throw new ArgumentTransformationMetadataException(e.Message, e);
                    }
                case bool flag:
                    return new SwitchParameter(flag);
                case null:
                    return new SwitchParameter(false); // an empty property of a piped object
                default:
                    return inputData;
            }
        }
    }
}
