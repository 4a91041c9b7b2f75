using System;
using System.Collections.Generic;
using System.Management.Automation;
using MqttPS.Core.Messages;
using MqttPS.Core.Shell;

namespace MqttPS.Commands
{
    /// <summary>
    /// Get-MqttRetainedMessage: the retained messages under topic filters. Against any broker it subscribes and
    /// collects retained messages until a quiet period passes; against an embedded broker (-EmbeddedBroker) it
    /// reads the broker's store directly.
    /// </summary>
    [Cmdlet(VerbsCommon.Get, "MqttRetainedMessage", DefaultParameterSetName = "Connection")]
    [OutputType(typeof(MqttMessage))]
    public sealed class GetMqttRetainedMessageCommand : MqttCmdlet
    {
        private MqttConnection _connection;
        private bool _transient;

        [Parameter(Position = 0)]
        [ValidateNotNullOrEmpty]
        public string[] Topic { get; set; } = { "#" };

        [Parameter(ParameterSetName = "Connection")]
        [Parameter(ParameterSetName = "Broker")]
        [ValidateRange(50, 60000)]
        public int QuietMilliseconds { get; set; } = 500;

        [Parameter(ParameterSetName = "Connection")]
        [Parameter(ParameterSetName = "Broker")]
        [ValidateRange(1, 3600)]
        public int TimeoutSeconds { get; set; } = 30;

        [Parameter]
        public SwitchParameter AsString { get; set; }

        [Parameter]
        public SwitchParameter AsJson { get; set; }

        [Parameter]
        public SwitchParameter AsBytes { get; set; }

        [Parameter(ParameterSetName = "Connection")]
        [ValidateNotNull]
        public MqttConnection Connection { get; set; }

        [Parameter(ParameterSetName = "Broker", Mandatory = true)]
        [ValidateNotNullOrEmpty]
        [BrokerAddressTransformation]
        public string Broker { get; set; }

        [Parameter(ParameterSetName = "Broker")]
        [ValidateRange(1, 65535)]
        public int Port { get; set; }

        [Parameter(ParameterSetName = "Broker")]
        [Credential]
        public PSCredential Credential { get; set; }

        [Parameter(ParameterSetName = "Embedded", Mandatory = true, ValueFromPipeline = true)]
        [ValidateNotNull]
        public MqttEmbeddedBroker EmbeddedBroker { get; set; }

        protected override void ProcessRecord()
        {
            var format = PayloadFormats.From(this, AsString, AsJson, AsBytes);
            IReadOnlyList<MqttMessage> messages;
            if (EmbeddedBroker != null)
            {
                messages = Require(() => EmbeddedBroker.ListRetained(Topic), Topic, "GetRetainedFailed");
            }
            else
            {
                if (_connection == null)
                    _connection = ResolveConnection(Connection, Broker, MyInvocation.BoundParameters.ContainsKey(nameof(Port)) ? Port : (int?)null, Credential, out _transient);
                var request = new SubscriptionRequest { TopicFilters = Topic, QoS = Core.Protocol.MqttQualityOfService.AtLeastOnce };
                messages = Require(() => RetainedMessageCollector.Collect(_connection, request, this, Verbose,
                    TimeSpan.FromMilliseconds(QuietMilliseconds), TimeSpan.FromSeconds(TimeoutSeconds), Session.OperationTimeout), Topic, "GetRetainedFailed");
            }
            foreach (var m in messages)
            {
                try
                {
                    WriteObject(MessageCopy.WithPayloadFormat(m, format, PSConvert.FromJson));
                }
                catch (FormatException e)
                {
                    WriteError(ErrorRecords.From(new MqttShellException("PayloadNotJson", ShellErrorCategory.InvalidData, e.Message, m, e)));
                }
            }
        }

        protected override void CleanUp()
        {
            if (_transient) _connection?.Close(null, TimeSpan.FromSeconds(5));
        }
    }
}
