using System;
using System.Collections.Generic;
using System.Management.Automation;
using MqttPS.Core.Messages;
using MqttPS.Core.Shell;

namespace MqttPS.Commands
{
    /// <summary>
    /// Clear-MqttRetainedMessage: removes retained messages by exact topic, by filter (looked up first), or from
    /// piped message objects. -WhatIf lists what would be cleared without clearing it.
    /// </summary>
    [Cmdlet(VerbsCommon.Clear, "MqttRetainedMessage", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = "Topic")]
    [OutputType(typeof(string))]
    public sealed class ClearMqttRetainedMessageCommand : MqttCmdlet
    {
        private MqttConnection _connection;
        private bool _transient;
        private PublishWindow _window;
        private readonly List<PublishCompletion> _completed = new List<PublishCompletion>();
        private IDisposable _trace;

        [Parameter(ParameterSetName = "Topic", Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string[] Topic { get; set; }

        [Parameter(ParameterSetName = "Filter", Mandatory = true)]
        [ValidateNotNullOrEmpty]
        public string[] Filter { get; set; }

        [Parameter]
        [ValidateNotNull]
        public MqttConnection Connection { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        [BrokerAddressTransformation]
        public string Broker { get; set; }

        [Parameter]
        [ValidateRange(1, 65535)]
        public int Port { get; set; }

        [Parameter]
        [Credential]
        public PSCredential Credential { get; set; }

        [Parameter]
        [ValidateNotNull]
        public MqttEmbeddedBroker EmbeddedBroker { get; set; }

        [Parameter]
        public SwitchParameter PassThru { get; set; }

        protected override void BeginProcessing()
        {
            var given = (Connection != null ? 1 : 0) + (Broker != null ? 1 : 0) + (EmbeddedBroker != null ? 1 : 0);
            if (given > 1)
                ThrowTerminatingError(ErrorRecords.InvalidArgument("ConflictingConnection", "Give only one of -Connection, -Broker and -EmbeddedBroker.", null));
            if (EmbeddedBroker != null) return;
            _connection = ResolveConnection(Connection, Broker, MyInvocation.BoundParameters.ContainsKey(nameof(Port)) ? Port : (int?)null, Credential, out _transient);
            _window = new PublishWindow(_connection.PublishAsync, Math.Max(1, Math.Min(_connection.Client.PublishWindowLimit, 100)), TimeSpan.FromSeconds(30));
            _trace = _connection.CaptureTrace(Verbose);
        }

        protected override void ProcessRecord()
        {
            IEnumerable<string> topics = Topic;
            if (ParameterSetName == "Filter")
            {
                var found = new List<string>();
                IReadOnlyList<MqttMessage> retained = null;
                if (EmbeddedBroker != null)
                {
                    Try(() => retained = EmbeddedBroker.ListRetained(Filter), Filter, "GetRetainedFailed");
                }
                else
                {
                    var request = new SubscriptionRequest { TopicFilters = Filter, QoS = Core.Protocol.MqttQualityOfService.AtLeastOnce };
                    Try(() => retained = RetainedMessageCollector.Collect(_connection, request, this, Verbose,
                        RetainedMessageCollector.DefaultQuietPeriod, TimeSpan.FromSeconds(30), Session.OperationTimeout), Filter, "GetRetainedFailed");
                }
                if (retained == null) return;
                foreach (var m in retained) found.Add(m.Topic);
                if (found.Count == 0) WriteVerbose("No retained messages under " + string.Join(", ", Filter) + ".");
                topics = found;
            }
            foreach (var topic in topics)
            {
                MqttMessage clear = null;
                if (!Try(() => clear = RetainedMessageClearing.CreateClearMessage(topic), topic, "InvalidTopicName")) continue;
                if (!ShouldProcess(topic, "Clear retained message")) continue;
                if (EmbeddedBroker != null)
                {
                    if (Try(() => EmbeddedBroker.DeleteRetained(topic), topic, "ClearRetainedFailed") && PassThru) WriteObject(topic);
                    continue;
                }
                Try(() => _window.Submit(clear, topic, this, Verbose, _completed), topic, "ClearRetainedFailed");
                Report();
            }
        }

        protected override void EndProcessing()
        {
            if (_window == null) return;
            Try(() => _window.Flush(this, Verbose, _completed), null, "ClearRetainedFailed");
            Verbose?.Flush(this);
            Report();
        }

        private void Report()
        {
            foreach (var c in _completed)
            {
                if (!c.Succeeded) WriteError(ErrorRecords.From(c.Error));
                else if (PassThru) WriteObject(c.Message.Topic);
            }
            _completed.Clear();
        }

        protected override void CleanUp()
        {
            _trace?.Dispose();
            _window?.Abandon();
            if (_transient) _connection?.Close(null, TimeSpan.FromSeconds(5));
        }
    }
}
