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
    /// A named connection in a PowerShell session, what Connect-Mqtt returns. Several subscriptions can share it,
    /// even on the same topic filter: the users of a filter share one broker subscription at the highest QoS any of
    /// them asked for (lowered again when that user leaves), and a newcomer's retained messages reach that newcomer
    /// only, so a short look at a filter (Get-MqttRetainedMessage, a streaming subscription with -TimeoutSeconds)
    /// never disturbs a long-running subscription on it. A filter is unsubscribed at the broker when its last user goes.
    /// </summary>
    public sealed class MqttConnection : IPublishTarget, IDisposable
    {
        private static readonly Task Accepted = Task.CompletedTask;
        private readonly object _gate = new object();
        private readonly List<IMessageSink> _sinks = new List<IMessageSink>();
        private readonly Dictionary<string, FilterEntry> _filters = new Dictionary<string, FilterEntry>(StringComparer.Ordinal);
        private Route[] _routes = new Route[0];
        private uint _lastSubscriptionId;
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
            client.MessageHandler = OnMessageReceived;
            client.StateChanged += OnStateChanged;
            client.Closed += OnClosed;
            _traceHandler = line => Volatile.Read(ref _traceTarget)?.Add(line);
        }

        public string Name { get; }
        public string ClientId => Client.ClientId;
        public string Broker => Client.BrokerUri;
        public MqttProtocolVersion ProtocolVersion => Client.ProtocolVersion;
        public bool IsConnected => !_closed && Client.IsConnected;
        /// <summary>One word, for tables and scripts: Connected, Reconnecting, Lost (ended without Disconnect-Mqtt;
        /// <see cref="LostReason"/> says why) or Closed (by Disconnect-Mqtt).</summary>
        public string State => _closed ? "Closed" : Client.IsConnected ? "Connected" : (_lastState ?? "Disconnected");

        /// <summary>Lost or closed: the connection is over, and its name may be given to a new one.</summary>
        internal bool IsEnded => _closed || LostReason != null;
        public bool IsDefault { get; internal set; }
        public bool SessionPresent { get; internal set; }
        public DateTimeOffset ConnectedAt { get; internal set; }
        public long MessagesSent => Interlocked.Read(ref _messagesSent);
        public long MessagesReceived => Interlocked.Read(ref _messagesReceived);

        /// <summary>Lost, and reconnecting automatically (-AutoReconnect): publishes wait in the offline queue.</summary>
        public bool IsReconnecting => !_closed && Client.IsReconnecting;

        /// <summary>Publishes waiting in the offline queue while the connection reconnects (-AutoReconnect).</summary>
        public int QueuedMessages => _closed ? 0 : Client.OfflinePublishes;

        /// <summary>How many publishes the offline queue takes (Connect-Mqtt -OfflineQueueSize).</summary>
        public int OfflineQueueSize => Client.OfflineQueueCapacity;

        /// <summary>Automatic reconnects so far (-AutoReconnect).</summary>
        public int ReconnectCount => Client.ReconnectCount;

        /// <summary>Why the connection was lost (broker gone, network down, session taken over), once it has ended
        /// without Disconnect-Mqtt; else null.</summary>
        public string LostReason { get; private set; }

        /// <summary>The connection that took this one's session over (same client id, same broker), or null.</summary>
        public string TakenOverBy { get; private set; }

        /// <summary>The topic filters subscribed through this connection.</summary>
        public string[] Subscriptions { get { lock (_gate) return _filters.Keys.OrderBy(k => k, StringComparer.Ordinal).ToArray(); } }

        /// <summary>Plumbing, not public: Format-List * and ConvertTo-Json show every public property.</summary>
        internal IMqttShellClient Client { get; }

        /// <summary>How many QoS 1/2 messages may be in flight at once on this connection: the broker's Receive
        /// Maximum (MQTT 5.0), or the window of a 3.1.1/3.1 connection (-MaxInflightMessages).</summary>
        public int MaxInflightMessages => Client.PublishWindowLimit;
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
                throw ConnectFailure.Describe(e, settings, client.BrokerUri, address => ConnectFailure.ProbeTls(address, TimeSpan.FromSeconds(3), host.Stopping));
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

        /// <summary>
        /// Adds <paramref name="sink"/> as a user of its filters and subscribes where the broker subscription must
        /// change: a new filter; a higher QoS than the filter's users had; or retained messages for the newcomer
        /// (routed to it alone: the broker marks them RETAIN [MQTT-3.3.1-8], live messages are not [MQTT-3.3.1-9]).
        /// The sink is registered before the SUBSCRIBE goes out, so retained messages arriving right after the
        /// SUBACK are not missed. Throws when the broker refuses a filter, leaving things as they were.
        /// </summary>
        public void Subscribe(IMessageSink sink, IReadOnlyList<MqttTopicSubscription> subscriptions, IShellHost host, VerboseQueue verbose, TimeSpan timeout)
        {
            EnsureOpen();
            var plan = new List<KeyValuePair<FilterEntry, MqttTopicSubscription>>();
            var warnings = new List<string>();
            lock (_gate)
            {
                foreach (var s in subscriptions)
                {
                    if (!_filters.TryGetValue(s.TopicFilter, out var existing)) continue;
                    if (existing.NoLocal != s.NoLocal || existing.RetainAsPublished != s.RetainAsPublished)
                        throw new MqttShellException("SubscriptionOptionsConflict", ShellErrorCategory.InvalidOperation,
                            "The connection '" + Name + "' already subscribes to '" + s.TopicFilter + "'" + OptionsText(existing.NoLocal, existing.RetainAsPublished) +
                            "; one connection has one broker subscription per filter, so a second one must use the same -NoLocal and -RetainAsPublished. Use another connection for different options.",
                            s.TopicFilter);
                    if (sink.RetainedOnly && existing.RetainAsPublished)
                        throw new MqttShellException("RetainedReadWouldDisturb", ShellErrorCategory.InvalidOperation,
                            "The connection '" + Name + "' subscribes to '" + s.TopicFilter + "' with -RetainAsPublished, so its live messages carry the retain flag too and re-sent retained messages would reach that subscription; read them over another connection (-Broker).",
                            s.TopicFilter);
                }
                _sinks.Add(sink);
                foreach (var s in subscriptions)
                {
                    var wantsRetained = s.RetainHandling != RetainHandling.DoNotSend;
                    if (!_filters.TryGetValue(s.TopicFilter, out var entry))
                    {
                        entry = new FilterEntry(s.TopicFilter, s.NoLocal, s.RetainAsPublished, NextSubscriptionId(), s.QoS);
                        entry.Users.Add(new FilterUser(sink, s.QoS));
                        if (wantsRetained) entry.Replay.Add(sink);
                        _filters.Add(s.TopicFilter, entry);
                        plan.Add(new KeyValuePair<FilterEntry, MqttTopicSubscription>(entry, s));
                        continue;
                    }
                    // A retained-only user (Get-MqttRetainedMessage) takes the filter at the QoS it has.
                    var qos = sink.RetainedOnly ? MqttQualityOfService.AtMostOnce : s.QoS;
                    entry.Users.Add(new FilterUser(sink, qos));
                    if (wantsRetained && entry.RetainAsPublished)
                    {
                        warnings.Add("The connection '" + Name + "' already subscribes to '" + s.TopicFilter + "' with -RetainAsPublished: its retained messages are not sent again for this subscription, since they would reach the other one too.");
                        wantsRetained = false;
                    }
                    var raised = qos > entry.QoS;
                    if (!raised && !wantsRetained) continue;
                    if (raised) entry.QoS = qos;
                    plan.Add(new KeyValuePair<FilterEntry, MqttTopicSubscription>(entry, Resubscription(entry, wantsRetained)));
                    if (wantsRetained || ProtocolVersion != MqttProtocolVersion.V500)
                    {
                        // From now on retained messages on this filter are this SUBSCRIBE's: the newcomer's, or (3.1.1,
                        // where every SUBSCRIBE re-sends them) nobody's.
                        entry.Replay.Clear();
                        if (wantsRetained) entry.Replay.Add(sink);
                    }
                }
                PublishRoutes();
            }
            foreach (var w in warnings) host?.WriteWarning(w);
            if (plan.Count == 0) return;
            try
            {
                IReadOnlyList<SubAckReasonCode> codes;
                using (CaptureTrace(verbose))
                {
                    codes = PipelineWait.Wait(SendSubscribes(plan, host.Stopping), host, verbose, timeout,
                        "the broker to acknowledge the subscription to " + string.Join(", ", plan.Select(p => p.Value.TopicFilter)));
                }
                for (var i = 0; i < plan.Count; i++)
                {
                    var code = (byte)codes[i];
                    if (code >= 0x80)
                    {
                        throw new MqttShellException("SubscribeRejected", ShellErrorClassifier.CategoryOf((MqttReasonCode)code),
                            "The broker refused the subscription to '" + plan[i].Value.TopicFilter + "': " + ReasonText.Describe(code) + ".",
                            plan[i].Value.TopicFilter);
                    }
                }
            }
            catch
            {
                Release(sink, host, verbose, timeout);
                throw;
            }
        }

        private static readonly TimeSpan AnswerWaitAfterStop = TimeSpan.FromSeconds(1);

        /// <summary>Removes <paramref name="sink"/>: filters no other sink uses are unsubscribed at the broker, and a
        /// filter whose remaining users asked for less is subscribed again at their highest QoS (5.0: without
        /// re-sending retained messages). Never throws: it runs in finally blocks and on Ctrl+C, where the connection
        /// may already be gone.</summary>
        public void Release(IMessageSink sink, IShellHost host, VerboseQueue verbose, TimeSpan timeout)
        {
            var unused = new List<string>();
            var lowered = new List<KeyValuePair<FilterEntry, MqttTopicSubscription>>();
            lock (_gate)
            {
                if (!_sinks.Remove(sink)) return;
                foreach (var filter in sink.TopicFilters.Distinct(StringComparer.Ordinal))
                {
                    if (!_filters.TryGetValue(filter, out var entry)) continue;
                    entry.Users.RemoveAll(u => ReferenceEquals(u.Sink, sink));
                    entry.Replay.Remove(sink);
                    if (entry.Users.Count == 0)
                    {
                        _filters.Remove(filter);
                        unused.Add(filter);
                        continue;
                    }
                    var qos = entry.Users.Max(u => u.QoS);
                    if (qos >= entry.QoS) continue;
                    entry.QoS = qos;
                    lowered.Add(new KeyValuePair<FilterEntry, MqttTopicSubscription>(entry, Resubscription(entry, false)));
                    if (ProtocolVersion != MqttProtocolVersion.V500) entry.Replay.Clear();
                }
                PublishRoutes();
            }
            if ((unused.Count == 0 && lowered.Count == 0) || !IsConnected) return;
            try
            {
                // Not tied to the host's stop token: Ctrl+C is exactly when the unsubscribe must still go out.
                // After Ctrl+C the UNSUBSCRIBE still goes out, but the prompt does not wait long for a broker that does
                // not answer it.
                if (host != null && host.Stopping.IsCancellationRequested && timeout > AnswerWaitAfterStop) timeout = AnswerWaitAfterStop;
                using (var cts = new CancellationTokenSource(timeout))
                // The trace is captured before the UNSUBSCRIBE is sent, so that -Verbose shows it as it shows SUBSCRIBE.
                using (host != null ? CaptureTrace(verbose) : null)
                {
                    var tasks = new List<Task>();
                    if (unused.Count > 0) tasks.Add(Client.UnsubscribeAsync(unused, cts.Token));
                    if (lowered.Count > 0) tasks.Add(SendSubscribes(lowered, cts.Token));
                    var task = Task.WhenAll(tasks);
                    if (host != null) PipelineWait.TryWait(task, new UnstoppableHost(host), verbose, timeout);
                    else task.Wait(timeout);
                    if (task.IsFaulted) _ = task.Exception;
                }
            }
            catch (Exception e) when (e is AggregateException || e is OperationCanceledException || e is ObjectDisposedException || e is InvalidOperationException)
            {
                // The subscription is gone from this session either way; a dead connection has no subscriptions to remove.
            }
        }

        /// <summary>The SUBSCRIBE that changes an existing filter's broker subscription. Only 5.0 can ask for no
        /// retained messages; in 3.1.1 every SUBSCRIBE re-sends them [MQTT-3.8.4-3], to be routed by the caller.</summary>
        private MqttTopicSubscription Resubscription(FilterEntry entry, bool wantsRetained) =>
            new MqttTopicSubscription(entry.Filter, entry.QoS)
            {
                NoLocal = entry.NoLocal,
                RetainAsPublished = entry.RetainAsPublished,
                RetainHandling = wantsRetained || ProtocolVersion != MqttProtocolVersion.V500 ? RetainHandling.SendAtSubscribe : RetainHandling.DoNotSend,
            };

        /// <summary>One SUBSCRIBE per filter where the broker tags messages with subscription identifiers (each filter
        /// has its own, so a message goes exactly to the users of the filters it matched), else one for all.
        /// The result has one reason code per planned subscription, in order.</summary>
        private Task<IReadOnlyList<SubAckReasonCode>> SendSubscribes(List<KeyValuePair<FilterEntry, MqttTopicSubscription>> plan, CancellationToken cancellationToken)
        {
            if (plan.All(p => p.Key.SubscriptionId == null))
                return Client.SubscribeAsync(plan.Select(p => p.Value).ToList(), null, cancellationToken);
            var parts = plan.Select(p => Client.SubscribeAsync(new[] { p.Value }, p.Key.SubscriptionId, cancellationToken)).ToArray();
            return Task.WhenAll(parts).ContinueWith(t =>
            {
                var all = t.GetAwaiter().GetResult();
                return (IReadOnlyList<SubAckReasonCode>)all.Select(codes => codes.Count > 0 ? codes[0] : (SubAckReasonCode)0x80).ToList();
            }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        private uint? NextSubscriptionId()
        {
            if (ProtocolVersion != MqttProtocolVersion.V500 || !Client.SupportsSubscriptionIdentifiers) return null;
            // 1 to 268,435,455 [MQTT-3.8.2-2]; a session would need that many filters before wrapping round.
            _lastSubscriptionId = _lastSubscriptionId >= 268435455 ? 1 : _lastSubscriptionId + 1;
            return _lastSubscriptionId;
        }

        private static string OptionsText(bool noLocal, bool retainAsPublished)
        {
            if (!noLocal && !retainAsPublished) return " without -NoLocal and -RetainAsPublished";
            return " with " + (noLocal && retainAsPublished ? "-NoLocal and -RetainAsPublished" : noLocal ? "-NoLocal (and without -RetainAsPublished)" : "-RetainAsPublished (and without -NoLocal)");
        }

        /// <summary>Caller holds _gate. The network thread routes with this snapshot, without a lock.</summary>
        private void PublishRoutes()
        {
            var routes = new Route[_filters.Count];
            var i = 0;
            foreach (var e in _filters.Values)
            {
                routes[i++] = new Route(e.Filter, e.SubscriptionId, e.RetainAsPublished,
                    e.Users.Where(u => !u.Sink.RetainedOnly).Select(u => u.Sink).Distinct().ToArray(), e.Replay.ToArray());
            }
            Volatile.Write(ref _routes, routes);
        }

        /// <summary>Releases every sink and removes them without talking to the broker, when the connection closes.</summary>
        private IMessageSink[] DetachAll()
        {
            lock (_gate)
            {
                var all = _sinks.ToArray();
                _sinks.Clear();
                _filters.Clear();
                PublishRoutes();
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

        /// <summary>Another connection of the session now uses this one's client id at the same broker, which ends
        /// this one's session there: it must not reconnect and take the session back.</summary>
        internal void MarkTakenOver(string byConnection)
        {
            TakenOverBy = byConnection;
            Client.StopReconnecting("its session was taken over by the connection '" + byConnection + "' (same client id '" + ClientId + "')");
        }

        public void Dispose()
        {
            if (_closed) return;
            _closed = true;
            foreach (var sink in DetachAll()) sink.OnConnectionClosed("the connection '" + Name + "' was closed", false);
            Client.MessageHandler = null;
            Client.StateChanged -= OnStateChanged;
            Client.Closed -= OnClosed;
            Client.Dispose();
        }

        public override string ToString() => Name + " (" + ClientId + " @ " + Broker + ")";

        /// <summary>
        /// Routes a received message (network thread, arrival order) to the users of the filters it matched: by the
        /// subscription identifiers it carries (5.0), else by topic. A message the broker marks retained is a
        /// re-sent retained message and goes to the filter's newest user that asked for them only. Returns when the
        /// message is accepted by all of them, which is when the engine acknowledges it.
        /// </summary>
        private Task OnMessageReceived(MqttMessage message)
        {
            Interlocked.Increment(ref _messagesReceived);
            var routes = Volatile.Read(ref _routes);
            var byIdentifier = message.HasSubscriptionIdentifiers;
            List<IMessageSink> delivered = null;
            IMessageSink first = null;
            Task single = null;
            List<Task> waits = null;
            foreach (var route in routes)
            {
                var matches = byIdentifier && route.SubscriptionId.HasValue
                    ? message.SubscriptionIdentifiers.Contains(route.SubscriptionId.Value)
                    : TopicValidation.Matches(route.Filter, message.Topic);
                if (!matches) continue;
                var targets = message.Retain && !route.RetainAsPublished ? route.Replay : route.Live;
                foreach (var sink in targets)
                {
                    // A sink whose filters overlap takes one copy of each message.
                    if (first == null) first = sink;
                    else if (ReferenceEquals(first, sink) || (delivered != null && delivered.Contains(sink))) continue;
                    else (delivered ?? (delivered = new List<IMessageSink>())).Add(sink);
                    var accepted = sink.Offer(message);
                    if (accepted.IsCompleted) continue;
                    if (single == null) single = accepted;
                    else (waits ?? (waits = new List<Task> { single })).Add(accepted);
                }
            }
            if (waits != null) return Task.WhenAll(waits);
            return single ?? Accepted;
        }

        private void OnStateChanged(string state)
        {
            // Once lost for good the state stays so; a late "Disconnected" from another thread must not hide it. The
            // client reports "Reconnecting (connection reset)": the state is the first word.
            if (LostReason == null)
            {
                var open = state.IndexOf(" (", StringComparison.Ordinal);
                _lastState = open < 0 ? state : state.Substring(0, open);
            }
            Volatile.Read(ref _traceTarget)?.Add("connection " + Name + ": " + state);
        }

        /// <summary>The connection ended without Disconnect-Mqtt (broker gone, network lost, no automatic
        /// reconnect): streaming subscriptions on it end instead of waiting forever.</summary>
        private void OnClosed(string reason)
        {
            LostReason = reason;
            _lastState = "Lost";
            foreach (var sink in DetachAll()) sink.OnConnectionClosed("the connection '" + Name + "' was lost: " + reason, true);
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

        /// <summary>One topic filter of the connection: its broker subscription and who uses it.</summary>
        private sealed class FilterEntry
        {
            public FilterEntry(string filter, bool noLocal, bool retainAsPublished, uint? subscriptionId, MqttQualityOfService qos)
            {
                Filter = filter;
                NoLocal = noLocal;
                RetainAsPublished = retainAsPublished;
                SubscriptionId = subscriptionId;
                QoS = qos;
            }

            public string Filter { get; }
            public bool NoLocal { get; }
            public bool RetainAsPublished { get; }
            public uint? SubscriptionId { get; }
            /// <summary>The QoS of the broker subscription: the highest any user asked for.</summary>
            public MqttQualityOfService QoS { get; set; }
            public List<FilterUser> Users { get; } = new List<FilterUser>();
            /// <summary>Who gets the retained messages the broker (re)sends: the user whose SUBSCRIBE asked for them last.</summary>
            public List<IMessageSink> Replay { get; } = new List<IMessageSink>();
        }

        private struct FilterUser
        {
            public FilterUser(IMessageSink sink, MqttQualityOfService qos)
            {
                Sink = sink;
                QoS = qos;
            }

            public IMessageSink Sink { get; }
            public MqttQualityOfService QoS { get; }
        }

        /// <summary>An immutable view of a filter entry for the network thread.</summary>
        private sealed class Route
        {
            public Route(string filter, uint? subscriptionId, bool retainAsPublished, IMessageSink[] live, IMessageSink[] replay)
            {
                Filter = filter;
                SubscriptionId = subscriptionId;
                RetainAsPublished = retainAsPublished;
                Live = live;
                Replay = replay;
            }

            public string Filter { get; }
            public uint? SubscriptionId { get; }
            public bool RetainAsPublished { get; }
            public IMessageSink[] Live { get; }
            public IMessageSink[] Replay { get; }
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
