using System.Management.Automation;
using MqttPS.Core.Shell;

namespace MqttPS.Commands
{
    /// <summary>Test-MqttTopic: whether topic names match a topic filter (+ and # wildcards, the $ rule).</summary>
    [Cmdlet(VerbsDiagnostic.Test, "MqttTopic")]
    [OutputType(typeof(bool))]
    public sealed class TestMqttTopicCommand : MqttCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [AllowEmptyString]
        public string[] Topic { get; set; }

        [Parameter(Mandatory = true, Position = 1)]
        [AllowEmptyString]
        public string Filter { get; set; }

        protected override void BeginProcessing()
        {
            try
            {
                TopicValidation.RequireTopicFilter(Filter, "Filter");
            }
            catch (MqttShellException e)
            {
                ThrowTerminatingError(ErrorRecords.From(e));
            }
        }

        protected override void ProcessRecord()
        {
            foreach (var topic in Topic)
            {
                if (Try(() => TopicValidation.RequireTopicName(topic, "Topic"), topic, "InvalidTopicName"))
                    WriteObject(TopicValidation.Matches(Filter, topic));
            }
        }
    }
}
