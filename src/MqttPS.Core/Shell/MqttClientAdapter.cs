using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using MqttPS.Core.Client;
using MqttPS.Core.Messages;
using MqttPS.Core.Protocol;

namespace MqttPS.Core.Shell
{
    /// <summary>The engine's <see cref="MqttClient"/> as the cmdlets see it.</summary>
    public sealed class MqttClientAdapter : IMqttShellClient
    {
        private readonly MqttClient _client;

        public MqttClientAdapter(MqttClient client)
        {
            _client = client ?? throw new ArgumentNullException(nameof(client));
            _client.MessageReceived += OnMessageReceived;
            _client.ConnectionStateChanged += OnConnectionStateChanged;
        }

        public MqttClient Client => _client;
        public string ClientId => _client.ClientId ?? _client.Options.ClientId;
        public bool IsConnected => _client.IsConnected;
        public MqttProtocolVersion ProtocolVersion => _client.IsConnected || _client.LastConnectResult != null ? _client.ProtocolVersion : _client.Options.ProtocolVersion;
        public string BrokerUri => _client.Address.ToString();
        public int PublishWindowLimit => _client.InflightWindow;
        public bool SupportsSubscriptionIdentifiers =>
            _client.LastConnectResult != null && _client.ProtocolVersion == MqttProtocolVersion.V500 && _client.LastConnectResult.SubscriptionIdentifiersAvailable;
        public bool IsReconnecting => _client.State == MqttConnectionState.Reconnecting;
        public int OfflinePublishes => _client.OfflinePublishes;
        public int OfflineQueueCapacity => _client.Options.OfflineQueueCapacity;
        public int ReconnectCount => _client.ReconnectCount;

        public Action<string> Trace
        {
            get => _client.Trace;
            set => _client.Trace = value;
        }

        public Func<MqttMessage, Task> MessageHandler { get; set; }
        public event Action<string> StateChanged;
        public event Action<string> Closed;

        public async Task<bool> ConnectAsync(CancellationToken cancellationToken)
        {
            var result = await _client.ConnectAsync(cancellationToken).ConfigureAwait(false);
            return result.SessionPresent;
        }

        public async Task<MqttPublishOutcome> PublishAsync(MqttMessage message, int maxInflight, CancellationToken cancellationToken)
        {
            try
            {
                var result = await _client.PublishAsync(message, maxInflight, cancellationToken).ConfigureAwait(false);
                return new MqttPublishOutcome((byte)result.ReasonCode, result.ReasonString, result.PacketId);
            }
            catch (MqttPublishException e)
            {
                // A refusal is an answer, not a failure of the connection: report its reason code like a success.
                // (Its reason string is the broker's own text, if any: the exception's message would say it all twice.)
                return new MqttPublishOutcome((byte)e.Result.ReasonCode, e.Result.ReasonString, e.Result.PacketId);
            }
            catch (InvalidOperationException e) when (!_client.IsConnected)
            {
                throw NotConnected("publish to " + ShellText.Quote(message.Topic), message.Topic, e);
            }
        }

        public async Task<IReadOnlyList<SubAckReasonCode>> SubscribeAsync(IReadOnlyList<MqttTopicSubscription> subscriptions, uint? subscriptionIdentifier, CancellationToken cancellationToken)
        {
            try
            {
                var result = await _client.SubscribeAsync(subscriptions, subscriptionIdentifier, cancellationToken).ConfigureAwait(false);
                return result.ReasonCodes;
            }
            catch (InvalidOperationException e) when (!_client.IsConnected)
            {
                throw NotConnected("subscribe", null, e);
            }
        }

        public async Task UnsubscribeAsync(IReadOnlyList<string> topicFilters, CancellationToken cancellationToken)
        {
            try
            {
                await _client.UnsubscribeAsync(topicFilters, cancellationToken).ConfigureAwait(false);
            }
            catch (InvalidOperationException e) when (!_client.IsConnected)
            {
                throw NotConnected("unsubscribe", null, e);
            }
        }

        /// <summary>"Not connected" is a connection problem to the user, not a misuse of the engine's API: said in the
        /// cmdlets' terms, with what to do.</summary>
        private MqttShellException NotConnected(string operation, object target, Exception inner)
        {
            var state = _client.State == MqttConnectionState.Reconnecting
                ? "is reconnecting to " + BrokerUri + "; try again once it is back (Get-MqttConnection shows its State)"
                : "to " + BrokerUri + " is closed; open a new one with Connect-Mqtt (-AutoReconnect restores lost connections by itself)";
            return new MqttShellException("NotConnected", ShellErrorCategory.ConnectionError, "Cannot " + operation + ": the connection " + state + ".", target, inner);
        }

        public Task DisconnectAsync(CancellationToken cancellationToken) =>
            _client.DisconnectAsync(DisconnectReasonCode.NormalDisconnection, cancellationToken);

        public void StopReconnecting(string reason) => _client.StopReconnecting(reason);

        private void OnMessageReceived(object sender, MqttMessageReceivedEventArgs e)
        {
            // The shell routes every message itself, to queues of its own that push back through the engine
            // (Defer) instead of the client's receive queue.
            e.Handled = true;
            var accepted = MessageHandler?.Invoke(e.Message);
            if (accepted != null && !accepted.IsCompleted) e.Defer(accepted);
        }

        private void OnConnectionStateChanged(object sender, MqttConnectionStateChangedEventArgs e)
        {
            var text = e.State.ToString();
            if (e.Reason != null) text += " (" + e.Reason + ")";
            StateChanged?.Invoke(text);
            if (e.State == MqttConnectionState.Disconnected && !e.WillReconnect)
                Closed?.Invoke(e.Reason ?? "disconnected");
        }

        public void Dispose()
        {
            _client.MessageReceived -= OnMessageReceived;
            _client.ConnectionStateChanged -= OnConnectionStateChanged;
            _client.Dispose();
        }
    }
}
