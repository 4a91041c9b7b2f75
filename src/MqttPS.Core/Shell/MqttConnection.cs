using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using MqttPS.Core.Messages;
using MqttPS.Core.Protocol;

namespace MqttPS.Core.Shell
{
    /// <summary>
    /// A named connection in a PowerShell session, what Connect-Mqtt returns. Several subscriptions can share it:
    /// received messages are routed to every subscription whose filter matches, and a filter is unsubscribed at
    /// the broker only when the last subscription using it goes.
    /// </summary>
    public sealed class MqttConnection : IDisposable
    {
        private readonly object _gate = new object();
        private readonly List<IMessageSink> _sinks = new List<IMessageSink>();
        private readonly Dictionary<string, int> _filterUsers = new Dictionary<string, int>(StringComparer.Ordinal);
        private VerboseQueue _traceTarget;
        private readonly Action<string> _traceHandler;
        private long _messagesSent;
        private long _messagesReceived;
        private string _lastState;
        private bool _closed;

        public MqttConnection(string name, IMqttShellClient client, MqttConnectionSettings settings)
        {
            Name = name ?? throw new ArgumentNullException(nameof(name));
            Client = client ?? throw new ArgumentNullException(nameof(client));
            Settings = settings ?? throw new ArgumentNullException(nameof(settings));
            client.MessageReceived += OnMessageReceived;
            client.StateChanged += OnStateChanged;
            client.Closed += OnClosed;
            _traceHandler = line => Volatile.Read(ref _traceTarget)?.Add(line);
        }

        public string Name { get; }
        public string ClientId => Client.ClientId;
        public string Broker => Client.BrokerUri;
        public MqttProtocolVersion ProtocolVersion => Client.ProtocolVersion;
        public bool IsConnected => !_closed && Client.IsConnected;
        public string State => _closed ? "Closed" : Client.IsConnected ? "Connected" : (_lastState ?? "Disconnected");
        public bool IsDefault { get; internal set; }
        public bool SessionPresent { get; internal set; }
        public DateTimeOffset ConnectedAt { get; internal set; }
        public long MessagesSent => Interlocked.Read(ref _messagesSent);
        public long MessagesReceived => Interlocked.Read(ref _messagesReceived);

        /// <summary>The topic filters subscribed through this connection.</summary>
        public string[] Subscriptions { get { lock (_gate) return _filterUsers.Keys.OrderBy(k => k, StringComparer.Ordinal).ToArray(); } }

        public IMqttShellClient Client { get; }
        /// <summary>Not public: it holds the password, and PowerShell shows (Format-List, ConvertTo-Json,
        /// Export-Clixml) every public property of an output object.</summary>
        internal MqttConnectionSettings Settings { get; }

        /// <summary>
        /// Opens a connection: validates the settings, creates the client and connects, waiting on the pipeline
        /// thread. The CONNECT/CONNACK exchange shows in -Verbose.
        /// </summary>
        public static MqttConnection Open(string name, MqttConnectionSettings settings, IMqttShellClientFactory factory, IShellHost host)
        {
            settings.Validate();
            var client = factory.Create(settings);
            var connection = new MqttConnection(name, client, settings);
            try
            {
                var verbose = new VerboseQueue();
                using (connection.CaptureTrace(verbose))
                {
                    var present = PipelineWait.Wait(client.ConnectAsync(host.Stopping), host, verbose,
                        settings.ConnectTimeout + TimeSpan.FromSeconds(1), "the broker at " + client.BrokerUri + " to accept the connection");
                    connection.SessionPresent = present;
                    connection.ConnectedAt = DateTimeOffset.Now;
                }
                return connection;
            }
            catch (Exception e)
            {
                connection.Dispose();
                if (e is OperationCanceledException) throw;
                throw new MqttShellException(e is TimeoutException ? "ConnectTimeout" : "ConnectFailed", ShellErrorClassifier.CategoryOf(e),
                    "Could not connect to " + client.BrokerUri + ": " + e.Message, settings.Broker, e);
            }
        }

        /// <summary>Routes the client's protocol trace into <paramref name="verbose"/> until disposed.</summary>
        /// <remarks>With <paramref name="verbose"/> null (no -Verbose) the client gets no trace callback at all, so it
        /// formats no trace lines.</remarks>
        public IDisposable CaptureTrace(VerboseQueue verbose)
        {
            var previous = Interlocked.Exchange(ref _traceTarget, verbose);
            UpdateTraceHook();
            return new Restore(() =>
            {
                Interlocked.CompareExchange(ref _traceTarget, previous, verbose);
                UpdateTraceHook();
            });
        }

        private void UpdateTraceHook()
        {
            if (_closed) return;
            Client.Trace = Volatile.Read(ref _traceTarget) == null ? null : _traceHandler;
        }

        /// <summary>Registers <paramref name="sink"/> before subscribing, so that retained messages arriving
        /// right after the SUBACK are not missed, then subscribes. Throws when the broker refuses a filter.</summary>
        public void Subscribe(IMessageSink sink, IReadOnlyList<MqttTopicSubscription> subscriptions, IShellHost host, VerboseQueue verbose, TimeSpan timeout)
        {
            EnsureOpen();
            lock (_gate)
            {
                _sinks.Add(sink);
                foreach (var s in subscriptions) _filterUsers[s.TopicFilter] = _filterUsers.TryGetValue(s.TopicFilter, out var n) ? n + 1 : 1;
            }
            try
            {
                IReadOnlyList<SubAckReasonCode> codes;
                using (CaptureTrace(verbose))
                {
                    codes = PipelineWait.Wait(Client.SubscribeAsync(subscriptions, host.Stopping), host, verbose, timeout,
                        "the broker to acknowledge the subscription to " + string.Join(", ", subscriptions.Select(s => s.TopicFilter)));
                }
                for (var i = 0; i < subscriptions.Count; i++)
                {
                    var code = i < codes.Count ? (byte)codes[i] : (byte)0x80;
                    if (code >= 0x80)
                    {
                        throw new MqttShellException("SubscribeRejected", ShellErrorClassifier.CategoryOf((MqttReasonCode)code),
                            "The broker refused the subscription to '" + subscriptions[i].TopicFilter + "': " + ReasonText.Describe(code) + ".",
                            subscriptions[i].TopicFilter);
                    }
                }
            }
            catch
            {
                Release(sink, host, verbose, timeout);
                throw;
            }
        }

        /// <summary>Removes <paramref name="sink"/>; filters no other sink uses are unsubscribed at the broker.
        /// Never throws: it runs in finally blocks and on Ctrl+C, where the connection may already be gone.</summary>
        public void Release(IMessageSink sink, IShellHost host, VerboseQueue verbose, TimeSpan timeout)
        {
            var unused = new List<string>();
            lock (_gate)
            {
                if (!_sinks.Remove(sink)) return;
                foreach (var filter in sink.TopicFilters.Distinct(StringComparer.Ordinal))
                {
                    if (!_filterUsers.TryGetValue(filter, out var n)) continue;
                    if (n <= 1) { _filterUsers.Remove(filter); unused.Add(filter); }
                    else _filterUsers[filter] = n - 1;
                }
            }
            if (unused.Count == 0 || !IsConnected) return;
            try
            {
                // Not tied to the host's stop token: Ctrl+C is exactly when the unsubscribe must still go out.
                using (var cts = new CancellationTokenSource(timeout))
                {
                    var task = Client.UnsubscribeAsync(unused, cts.Token);
                    if (host != null)
                    {
                        using (CaptureTrace(verbose))
                            PipelineWait.TryWait(task, new UnstoppableHost(host), verbose, timeout);
                    }
                    else
                    {
                        task.Wait(timeout);
                    }
                    if (task.IsFaulted) _ = task.Exception;
                }
            }
            catch (Exception e) when (e is AggregateException || e is OperationCanceledException || e is ObjectDisposedException)
            {
                // The subscription is gone from this session either way; a dead connection has no subscriptions to remove.
            }
        }

        /// <summary>Releases every sink and removes them without talking to the broker, when the connection closes.</summary>
        private IMessageSink[] DetachAll()
        {
            lock (_gate)
            {
                var all = _sinks.ToArray();
                _sinks.Clear();
                _filterUsers.Clear();
                return all;
            }
        }

        public Task<MqttPublishOutcome> PublishAsync(MqttMessage message, CancellationToken cancellationToken)
            => PublishAsync(message, 0, cancellationToken);

        /// <summary>Publishes with an in-flight window of its own (Publish-MqttMessage -WindowSize); 0: the connection's.</summary>
        public Task<MqttPublishOutcome> PublishAsync(MqttMessage message, int maxInflight, CancellationToken cancellationToken)
        {
            EnsureOpen();
            return CountSent(Client.PublishAsync(message, maxInflight, cancellationToken));
        }

        // Counted before the caller sees the outcome, so MessagesSent is exact as soon as a publish has completed.
        private async Task<MqttPublishOutcome> CountSent(Task<MqttPublishOutcome> publish)
        {
            var outcome = await publish.ConfigureAwait(false);
            if (outcome.Succeeded) Interlocked.Increment(ref _messagesSent);
            return outcome;
        }

        /// <summary>Disconnects cleanly (DISCONNECT packet), then releases the client.</summary>
        public void Close(IShellHost host, TimeSpan timeout)
        {
            if (_closed) return;
            try
            {
                if (Client.IsConnected)
                {
                    var verbose = new VerboseQueue();
                    using (CaptureTrace(verbose))
                    using (var cts = new CancellationTokenSource(timeout))
                    {
                        PipelineWait.TryWait(Client.DisconnectAsync(cts.Token), new UnstoppableHost(host), verbose, timeout);
                    }
                }
            }
            finally
            {
                Dispose();
            }
        }

        public void Dispose()
        {
            if (_closed) return;
            _closed = true;
            foreach (var sink in DetachAll()) sink.OnConnectionClosed("the connection '" + Name + "' was closed");
            Client.MessageReceived -= OnMessageReceived;
            Client.StateChanged -= OnStateChanged;
            Client.Closed -= OnClosed;
            Client.Dispose();
        }

        public override string ToString() => Name + " (" + ClientId + " @ " + Broker + ")";

        private void OnMessageReceived(MqttMessage message)
        {
            Interlocked.Increment(ref _messagesReceived);
            IMessageSink[] sinks;
            lock (_gate) sinks = _sinks.ToArray();
            foreach (var sink in sinks)
            {
                foreach (var filter in sink.TopicFilters)
                {
                    if (TopicValidation.Matches(filter, message.Topic))
                    {
                        sink.Offer(message);
                        break;
                    }
                }
            }
        }

        private void OnStateChanged(string state)
        {
            _lastState = state;
            Volatile.Read(ref _traceTarget)?.Add("connection " + Name + ": " + state);
        }

        /// <summary>The connection ended without Disconnect-Mqtt (broker gone, network lost, no automatic
        /// reconnect): streaming subscriptions on it end instead of waiting forever.</summary>
        private void OnClosed(string reason)
        {
            _lastState = "Lost: " + reason;
            foreach (var sink in DetachAll()) sink.OnConnectionClosed("the connection '" + Name + "' was lost: " + reason);
        }

        private void EnsureOpen()
        {
            if (_closed)
                throw new MqttShellException("ConnectionClosed", ShellErrorCategory.ConnectionError, "The connection '" + Name + "' is closed; open a new one with Connect-Mqtt.", this);
        }

        private sealed class Restore : IDisposable
        {
            private Action _action;
            public Restore(Action action) { _action = action; }
            public void Dispose() { Interlocked.Exchange(ref _action, null)?.Invoke(); }
        }

        /// <summary>A host whose stop token never fires: for clean-up that must finish after Ctrl+C.</summary>
        private sealed class UnstoppableHost : IShellHost
        {
            private readonly IShellHost _inner;
            public UnstoppableHost(IShellHost inner) { _inner = inner; }
            public CancellationToken Stopping => CancellationToken.None;
            public void WriteVerbose(string text) => _inner?.WriteVerbose(text);
            public void WriteWarning(string text) => _inner?.WriteWarning(text);
            public void WriteProgress(string activity, string status, int percentComplete) { }
            public void CompleteProgress(string activity) { }
        }
    }
}
