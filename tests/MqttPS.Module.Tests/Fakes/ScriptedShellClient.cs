using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using MqttPS.Core.Messages;
using MqttPS.Core.Protocol;
using MqttPS.Core.Shell;

namespace MqttPS.Module.Tests.Fakes
{
    /// <summary>
    /// A client whose broker answers are decided by the test: each publish waits for the test to complete it
    /// (or completes at once with <see cref="AutoAcknowledge"/>), so window size, order and failure handling can
    /// be observed exactly. Messages are injected from another thread, as a network thread would deliver them.
    /// </summary>
    public sealed class ScriptedShellClient : IMqttShellClient
    {
        private readonly object _gate = new object();

        public ScriptedShellClient(MqttProtocolVersion version = MqttProtocolVersion.V500, int windowLimit = 20)
        {
            ProtocolVersion = version;
            PublishWindowLimit = windowLimit;
        }

        public string ClientId { get; set; } = "scripted";
        public bool IsConnected { get; set; }
        public MqttProtocolVersion ProtocolVersion { get; }
        public string BrokerUri => "mqtt://scripted:1883";
        public int PublishWindowLimit { get; }
        public bool SupportsSubscriptionIdentifiers { get; set; }
        public bool IsReconnecting { get; set; }
        public int OfflinePublishes { get; set; }
        public int OfflineQueueCapacity { get; set; } = 1000;
        public int ReconnectCount { get; set; }
        public string StoppedReconnecting { get; private set; }
        public Action<string> Trace { get; set; }
        public Func<MqttMessage, Task> MessageHandler { get; set; }
        public event Action<string> StateChanged;
        public event Action<string> Closed;

        public bool AutoAcknowledge { get; set; }
        public Func<MqttTopicSubscription, SubAckReasonCode> SubAck { get; set; } = s => (SubAckReasonCode)(byte)s.QoS;
        public Exception ConnectFailure { get; set; }
        public int MaxInFlight { get; private set; }
        public List<(MqttMessage Message, TaskCompletionSource<MqttPublishOutcome> Completion)> Publishes { get; } = new List<(MqttMessage, TaskCompletionSource<MqttPublishOutcome>)>();
        public ConcurrentQueue<string> Unsubscribed { get; } = new ConcurrentQueue<string>();
        public ConcurrentQueue<string> Subscribed { get; } = new ConcurrentQueue<string>();
        /// <summary>Every SUBSCRIBE as sent: its subscriptions and subscription identifier.</summary>
        public ConcurrentQueue<(MqttTopicSubscription[] Subscriptions, uint? Identifier)> SubscribePackets { get; } = new ConcurrentQueue<(MqttTopicSubscription[], uint?)>();
        public bool Disconnected { get; private set; }
        public bool Disposed { get; private set; }

        public Task<bool> ConnectAsync(CancellationToken cancellationToken)
        {
            Trace?.Invoke("-> CONNECT client_id=" + ClientId);
            if (ConnectFailure != null) return Task.FromException<bool>(ConnectFailure);
            IsConnected = true;
            Trace?.Invoke("<- CONNACK reason=Success");
            return Task.FromResult(false);
        }

        /// <summary>The in-flight window asked for with the last publish (0: the connection's).</summary>
        public int LastWindowRequested { get; private set; }

        public Task<MqttPublishOutcome> PublishAsync(MqttMessage message, int maxInflight, CancellationToken cancellationToken)
        {
            LastWindowRequested = maxInflight;
            return PublishAsync(message, cancellationToken);
        }

        public Task<MqttPublishOutcome> PublishAsync(MqttMessage message, CancellationToken cancellationToken)
        {
            var tcs = new TaskCompletionSource<MqttPublishOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_gate)
            {
                Publishes.Add((message, tcs));
                // Counted when each publish starts: how many started publishes are still unanswered.
                var inFlight = Publishes.Count(p => !p.Completion.Task.IsCompleted);
                MaxInFlight = Math.Max(MaxInFlight, inFlight);
            }
            Trace?.Invoke("-> PUBLISH topic=" + message.Topic);
            cancellationToken.Register(() => tcs.TrySetCanceled());
            if (AutoAcknowledge) tcs.TrySetResult(new MqttPublishOutcome(0));
            return tcs.Task;
        }

        public (MqttMessage Message, TaskCompletionSource<MqttPublishOutcome> Completion) Publish(int index)
        {
            lock (_gate) return Publishes[index];
        }

        public int PublishCount { get { lock (_gate) return Publishes.Count; } }

        public Task<IReadOnlyList<SubAckReasonCode>> SubscribeAsync(IReadOnlyList<MqttTopicSubscription> subscriptions, uint? subscriptionIdentifier, CancellationToken cancellationToken)
        {
            SubscribePackets.Enqueue((subscriptions.ToArray(), subscriptionIdentifier));
            foreach (var s in subscriptions) Subscribed.Enqueue(s.TopicFilter);
            IReadOnlyList<SubAckReasonCode> codes = subscriptions.Select(s => SubAck(s)).ToList();
            return Task.FromResult(codes);
        }

        public Task UnsubscribeAsync(IReadOnlyList<string> topicFilters, CancellationToken cancellationToken)
        {
            foreach (var f in topicFilters) Unsubscribed.Enqueue(f);
            return Task.CompletedTask;
        }

        public Task DisconnectAsync(CancellationToken cancellationToken)
        {
            Disconnected = true;
            IsConnected = false;
            return Task.CompletedTask;
        }

        /// <summary>Delivers a message on another thread, as the network would.</summary>
        public Task DeliverAsync(MqttMessage message) => Background.Run(() => MessageHandler?.Invoke(message));

        /// <summary>Delivers a message; the task completes when it is accepted (when a real client would acknowledge it).</summary>
        public Task Deliver(MqttMessage message) => MessageHandler?.Invoke(message) ?? Task.CompletedTask;

        public void StopReconnecting(string reason)
        {
            StoppedReconnecting = reason;
            IsReconnecting = false;
        }

        public void RaiseState(string state) => StateChanged?.Invoke(state);

        public void Lose(string reason)
        {
            IsConnected = false;
            StateChanged?.Invoke("Disconnected");
            Closed?.Invoke(reason);
        }

        public void Dispose()
        {
            Disposed = true;
            IsConnected = false;
        }
    }

    public sealed class ScriptedClientFactory : IMqttShellClientFactory
    {
        public ScriptedClientFactory(Func<MqttConnectionSettings, ScriptedShellClient> create = null)
        {
            _create = create ?? (s => new ScriptedShellClient(s.ProtocolVersion) { ClientId = s.ClientId ?? "scripted" });
        }

        private readonly Func<MqttConnectionSettings, ScriptedShellClient> _create;
        public List<ScriptedShellClient> Created { get; } = new List<ScriptedShellClient>();

        public IMqttShellClient Create(MqttConnectionSettings settings)
        {
            var c = _create(settings);
            Created.Add(c);
            return c;
        }
    }
}
