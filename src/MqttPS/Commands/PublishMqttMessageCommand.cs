using System;
using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using MqttPS.Core.Messages;
using MqttPS.Core.Protocol;
using MqttPS.Core.Shell;

namespace MqttPS.Commands
{
    /// <summary>
    /// Publish-MqttMessage: publishes one message per pipeline input. QoS 1/2 messages are sent in a window
    /// (started in ProcessRecord, completions collected as they arrive, the rest awaited in EndProcessing), so a
    /// piped file is not one round trip per line. Each failure is an error record naming its message; a lost
    /// connection is one terminating error that stops the pipeline. While the connection reconnects
    /// (-AutoReconnect) messages go to its offline queue and the command goes on.
    /// </summary>
    [Cmdlet(VerbsData.Publish, "MqttMessage", DefaultParameterSetName = "Connection")]
    [OutputType(typeof(MqttMessage))]
    public sealed class PublishMqttMessageCommand : MqttCmdlet
    {
        private MqttConnection _connection;
        private bool _transient;
        private PublishWindow _window;
        private readonly List<PublishCompletion> _completed = new List<PublishCompletion>();
        private IDisposable _trace;
        private JsonConversion _json;
        private bool _truncationReported;

        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNull]
        public string Topic { get; set; }

        [Parameter(Position = 1, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [AllowNull]
        [AllowEmptyString]
        public object Payload { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ValidateRange(0, 2)]
        [ArgumentCompleter(typeof(QoSCompleter))]
        public int QoS { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true)]
        [SwitchTextTransformation("Retain")]
        public SwitchParameter Retain { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string ContentType { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string ResponseTopic { get; set; }

        [Parameter]
        [ValidateNotNull]
        public object CorrelationData { get; set; }

        [Parameter]
        [ValidateNotNull]
        public IDictionary UserProperty { get; set; }

        [Parameter]
        public uint MessageExpirySeconds { get; set; }

        [Parameter]
        public SwitchParameter PassThru { get; set; }

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

        [Parameter]
        [ValidateRange(0, JsonConversion.MaximumDepth)]
        public int Depth { get; set; } = JsonConversion.DefaultDepth;

        [Parameter]
        [ValidateRange(1, 65535)]
        public int WindowSize { get; set; }

        [Parameter]
        [ValidateRange(1, 86400)]
        public int TimeoutSeconds { get; set; } = 30;

        protected override void BeginProcessing()
        {
            _json = PSConvert.JsonConversion(Depth, StopToken);
            _connection = ResolveConnection(Connection, Broker, MyInvocation.BoundParameters.ContainsKey(nameof(Port)) ? Port : (int?)null, Credential, out _transient);
            var size = WindowSize > 0 ? WindowSize : Math.Max(1, Math.Min(_connection.Client.PublishWindowLimit, 100));
            // -WindowSize is the window of this command's publishes on the connection too (a 3.1.1 broker known to take
            // more than the default 20); without it they share the connection's window.
            var windowSize = WindowSize;
            _window = new PublishWindow(_connection, size, TimeSpan.FromSeconds(TimeoutSeconds),
                (message, cancellationToken) => _connection.PublishAsync(message, windowSize, cancellationToken)) { Notify = Session.AddNotice };
            // For the whole command: acknowledgements arrive between ProcessRecord calls too.
            _trace = _connection.CaptureTrace(Verbose);
        }

        protected override void ProcessRecord()
        {
            var input = PSConvert.Unwrap(Payload);
            var request = new PublishRequest
            {
                Topic = Topic,
                Payload = PayloadOf(input),
                Json = _json,
                PayloadGiven = MyInvocation.BoundParameters.ContainsKey(nameof(Payload)),
                QoS = (MqttQualityOfService)QoS,
                Retain = Retain,
                ContentType = ContentType,
                ResponseTopic = ResponseTopic,
                CorrelationData = PSConvert.Unwrap(CorrelationData),
                UserProperties = UserProperty,
                MessageExpirySeconds = MyInvocation.BoundParameters.ContainsKey(nameof(MessageExpirySeconds)) ? MessageExpirySeconds : (uint?)null,
            };
            MqttMessage message = null;
            var built = Try(() => message = request.ToMessage(_connection.ProtocolVersion), Topic, "InvalidMessage");
            ReportTruncation();
            if (!built) return;
            if (input is MqttMessage original) CarryProperties(original, message);
            Try(() => _window.Submit(message, input ?? Topic, this, Verbose, _completed), message, "PublishFailed");
            Verbose?.Flush(this);
            Report();
        }

        protected override void EndProcessing()
        {
            Try(() => _window.Flush(this, Verbose, _completed), null, "PublishFailed");
            Verbose?.Flush(this);
            Report();
            var queued = _window.LeftInOfflineQueue;
            if (queued > 0)
                WriteWarning("The connection '" + _connection.Name + "' is reconnecting: " + (queued == 1 ? "the message waits" : queued + " messages wait") +
                             " in its offline queue (" + _connection.QueuedMessages + " of " + _connection.OfflineQueueSize + " places taken) and " + (queued == 1 ? "goes" : "go") +
                             " out in order when it is back; QueuedMessages on the connection shows the queue. If it cannot come back, the next MqttPS command says so.");
        }

        protected override void CleanUp()
        {
            _trace?.Dispose();
            _window?.Abandon();
            if (_transient) _connection?.Close(null, TimeSpan.FromSeconds(5));
        }

        private void Report()
        {
            foreach (var c in _completed)
            {
                if (c.Succeeded)
                {
                    if (PassThru) WriteObject(c.Message);
                }
                else
                {
                    WriteError(ErrorRecords.From(c.Error));
                }
            }
            _completed.Clear();
            // One error for a lost connection, not one per remaining input line: it ends the command.
            if (_window.StopError != null) ThrowTerminatingError(ErrorRecords.From(_window.StopError));
        }

        /// <summary>Like ConvertTo-Json: one warning when an object was deeper than -Depth, not one per message.</summary>
        private void ReportTruncation()
        {
            if (_truncationReported || _json.TruncatedCount == 0) return;
            _truncationReported = true;
            WriteWarning("Resulting JSON is truncated as serialization has exceeded the set depth of " + Depth + "; deeper levels were sent as text. Use -Depth to include them.");
        }

        /// <summary>
        /// What to send for a pipeline object. Objects bound by value include message objects and rows with a
        /// Payload property (Import-Csv, PSCustomObject): their Payload is the payload, not the whole object;
        /// a message object is re-published with its exact bytes unless its Payload was changed on the way.
        /// </summary>
        private object PayloadOf(object input)
        {
            switch (input)
            {
                case MqttMessage message:
                    return RepublishPayload.Resolve(message, _json);
                case PSObject pso:
                    var property = pso.Properties["Payload"];
                    return property != null ? PSConvert.PayloadValue(property.Value) : pso;
                default:
                    return PSConvert.PayloadValue(Payload);
            }
        }

        /// <summary>Re-publishing a received message keeps its MQTT 5.0 properties unless given anew.</summary>
        private void CarryProperties(MqttMessage original, MqttMessage message)
        {
            if (_connection.ProtocolVersion != MqttProtocolVersion.V500) return;
            if (message.ContentType == null) message.ContentType = original.ContentType;
            if (message.ResponseTopic == null) message.ResponseTopic = original.ResponseTopic;
            if (message.CorrelationData == null) message.CorrelationData = original.CorrelationData;
            if (!message.HasUserProperties && original.HasUserProperties) message.UserProperties.AddRange(original.UserProperties);
            message.PayloadFormatIndicator = original.PayloadFormatIndicator;
        }
    }
}
