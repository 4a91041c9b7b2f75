using System;
using System.Management.Automation;
using MqttPS.Core.Client;
using MqttPS.Core.Messages;
using MqttPS.Core.Protocol;
using MqttPS.Core.Shell;

namespace MqttPS.Commands
{
    /// <summary>
    /// Register-MqttSubscription: without -Action or -SourceIdentifier it streams arriving messages to the
    /// pipeline until -Count, -TimeoutSeconds, Ctrl+C or a downstream stop, then unsubscribes; with them it
    /// subscribes in the background and raises PowerShell events, like Register-ObjectEvent.
    /// </summary>
    [Cmdlet(VerbsLifecycle.Register, "MqttSubscription", DefaultParameterSetName = "Stream")]
    [OutputType(typeof(MqttMessage), ParameterSetName = new[] { "Stream" })]
    [OutputType(typeof(MqttSubscription), ParameterSetName = new[] { "Action", "Event" })]
    public sealed class RegisterMqttSubscriptionCommand : MqttCmdlet
    {
        private MqttConnection _connection;
        private bool _transient;
        private MqttSubscription _streaming;

        [Parameter(Mandatory = true, Position = 0)]
        [ValidateNotNullOrEmpty]
        public string[] Topic { get; set; }

        [Parameter]
        [ValidateRange(0, 2)]
        [ArgumentCompleter(typeof(QoSCompleter))]
        public int QoS { get; set; }

        [Parameter]
        public SwitchParameter NoLocal { get; set; }

        [Parameter]
        public SwitchParameter RetainAsPublished { get; set; }

        [Parameter]
        public RetainHandling RetainHandling { get; set; }

        [Parameter(ParameterSetName = "Stream")]
        [ValidateRange(1, int.MaxValue)]
        public int Count { get; set; }

        [Parameter(ParameterSetName = "Stream")]
        [ValidateRange(1, int.MaxValue)]
        public int TimeoutSeconds { get; set; }

        [Parameter(ParameterSetName = "Action", Mandatory = true, Position = 1)]
        [ValidateNotNull]
        public ScriptBlock Action { get; set; }

        [Parameter(ParameterSetName = "Action")]
        [Parameter(ParameterSetName = "Event", Mandatory = true)]
        [ValidateNotNullOrEmpty]
        public string SourceIdentifier { get; set; }

        [Parameter]
        [ValidateRange(1, 10000000)]
        public int QueueSize { get; set; } = BoundedMessageQueue.DefaultCapacity;

        [Parameter]
        public ReceiveOverflowPolicy OverflowPolicy { get; set; } = ReceiveOverflowPolicy.DropOldest;

        [Parameter]
        public SwitchParameter AsString { get; set; }

        [Parameter]
        public SwitchParameter AsJson { get; set; }

        [Parameter]
        public SwitchParameter AsBytes { get; set; }

        [Parameter]
        [ValidateNotNull]
        public MqttConnection Connection { get; set; }

        [Parameter(ParameterSetName = "Stream")]
        [ValidateNotNullOrEmpty]
        [BrokerAddressTransformation]
        public string Broker { get; set; }

        [Parameter(ParameterSetName = "Stream")]
        [ValidateRange(1, 65535)]
        public int Port { get; set; }

        [Parameter(ParameterSetName = "Stream")]
        [Credential]
        public PSCredential Credential { get; set; }

        protected override void EndProcessing()
        {
            var format = PayloadFormats.From(this, AsString, AsJson, AsBytes);
            if (Broker != null && Connection != null)
                ThrowTerminatingError(ErrorRecords.InvalidArgument("ConflictingConnection", "Give either -Connection or -Broker, not both.", Broker));
            _connection = ResolveConnection(Connection, Broker, MyInvocation.BoundParameters.ContainsKey(nameof(Port)) ? Port : (int?)null, Credential, out _transient);
            var request = new SubscriptionRequest
            {
                TopicFilters = Topic,
                QoS = (MqttQualityOfService)QoS,
                NoLocal = NoLocal,
                RetainAsPublished = RetainAsPublished,
                RetainHandling = RetainHandling,
                QueueSize = QueueSize,
                OverflowPolicy = OverflowPolicy,
            };

            if (ParameterSetName != "Stream")
            {
                MqttSubscription created = null;
                MqttSubscription background;
                var session = Session;
                try
                {
                    // Unregister-Event and Stop-Job end the MQTT subscription too, as they end any event source.
                    background = Require(() => session.Subscribe(_connection, request, SubscriptionMode.Event, format, SourceIdentifier, this, Verbose,
                        s => { created = s; EventBridge.Register(this, s, Action, ended => session.Unsubscribe(ended, null, null)); }), Topic, "SubscribeFailed");
                }
                catch
                {
                    // The event was registered before SUBSCRIBE went out (so no message is missed); undo it.
                    if (created != null) EventBridge.Unregister(created);
                    throw;
                }
                WriteObject(background);
                return;
            }

            _streaming = Require(() => Session.Subscribe(_connection, request, SubscriptionMode.Stream, format, null, this, Verbose), Topic, "SubscribeFailed");
            StreamEndReason reason;
            using (_connection.CaptureTrace(Verbose))
            {
                reason = MessageStreamReader.Read(_streaming, this, Verbose,
                    Count > 0 ? Count : (int?)null,
                    TimeoutSeconds > 0 ? TimeSpan.FromSeconds(TimeoutSeconds) : (TimeSpan?)null,
                    Emit);
            }
            var topics = _streaming.Topic;
            WriteVerbose("Subscription to " + topics + " ended: " + reason + ", " + _streaming.MessagesReceived + " messages received.");
            if (reason != StreamEndReason.Stopped)
            {
                // Unsubscribed here, while -Verbose can still show the UNSUBSCRIBE exchange (after Ctrl+C or a
                // downstream Select-Object -First nothing can be written, and CleanUp does it quietly).
                var ended = _streaming;
                _streaming = null;
                Session.Unsubscribe(ended, this, Verbose);
                Verbose?.Flush(this);
            }
            if (reason == StreamEndReason.ConnectionClosed)
                WriteError(ErrorRecords.From(new MqttShellException("ConnectionLost", ShellErrorCategory.ConnectionError,
                    "The connection '" + _connection.Name + "' was lost while subscribed to " + topics +
                    (string.IsNullOrEmpty(_connection.LostReason) ? "" : " (" + _connection.LostReason.TrimEnd('.') + ")") +
                    ". Connect again with Connect-Mqtt, or use -AutoReconnect.", _connection)));
            if (reason == StreamEndReason.Stopped) throw new PipelineStoppedException();
        }

        private void Emit(MqttMessage message)
        {
            MqttMessage view;
            try
            {
                view = MessageCopy.WithPayloadFormat(message, _streaming.Format, PSConvert.FromJson);
            }
            catch (FormatException e)
            {
                WriteError(ErrorRecords.From(new MqttShellException("PayloadNotJson", ShellErrorCategory.InvalidData, e.Message, message, e)));
                return;
            }
            WriteObject(view);
        }

        protected override void CleanUp()
        {
            // Runs after -Count, a timeout, Ctrl+C and a downstream Select-Object -First alike.
            if (_streaming != null)
            {
                var s = _streaming;
                _streaming = null;
                Session.Unsubscribe(s, null, null);
            }
            if (_transient) _connection?.Close(null, TimeSpan.FromSeconds(5));
        }
    }
}
