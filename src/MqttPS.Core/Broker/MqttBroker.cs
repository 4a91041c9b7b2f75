using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using MqttPS.Core.Messages;
using MqttPS.Core.Protocol;
using MqttPS.Core.Topics;

namespace MqttPS.Core.Broker
{
    /// <summary>
    /// An MQTT 3.1 / 3.1.1 / 5.0 broker embedded in the process (Start-MqttBroker). Listeners hand connections to
    /// <see cref="BrokerConnection"/>s; sessions, subscriptions, retained messages and wills live here.
    /// </summary>
    public sealed class MqttBroker : IDisposable
    {
        [ThreadStatic] private static List<SubscriptionEntry> _matchBuffer;

        private readonly List<IMqttBrokerListener> _listeners = new List<IMqttBrokerListener>();
        private readonly ConcurrentDictionary<BrokerConnection, Task> _connections = new ConcurrentDictionary<BrokerConnection, Task>();
        private readonly object _attachLock = new object();
        private readonly SubscriptionRouter _router = new SubscriptionRouter();
        private readonly WillScheduler _wills = new WillScheduler();
        private CancellationTokenSource _stop;
        private Task _housekeeping;
        private long _clientIdCounter;
        private long _internalErrors;

        public MqttBroker(MqttBrokerOptions options = null)
        {
            Options = options ?? new MqttBrokerOptions();
            Authenticator = Options.Authenticator ?? new AllowAllAuthenticator(Options.AllowAnonymous);
            Authorizer = Options.Authorizer ?? AllowAllAuthorizer.Instance;
            Retained = new MqttRetainedStore(OnRetainedChanged, Options.MaxRetainedMessages);
        }

        public MqttBrokerOptions Options { get; }
        public bool IsRunning { get; private set; }
        public DateTimeOffset StartedAt { get; private set; }

        /// <summary>The bound endpoints of all listeners (after start).</summary>
        public IReadOnlyList<IPEndPoint> Endpoints
        {
            get
            {
                var result = new List<IPEndPoint>();
                lock (_listeners) foreach (var l in _listeners) if (l.LocalEndPoint != null) result.Add(l.LocalEndPoint);
                return result;
            }
        }

        /// <summary>The port of the first listener (the one actually bound when <see cref="MqttBrokerOptions.Port"/> is 0).</summary>
        public int Port { get { var e = Endpoints; return e.Count > 0 ? e[0].Port : 0; } }

        public MqttRetainedStore Retained { get; }

        /// <summary>Broker events (connections, subscriptions, messages, drops, retained changes). Handlers run on the
        /// network threads: keep them short.</summary>
        public event EventHandler<MqttBrokerEvent> EventRaised;

        internal IMqttBrokerAuthenticator Authenticator { get; }
        internal IMqttBrokerAuthorizer Authorizer { get; }
        internal BrokerCounters Counters { get; } = new BrokerCounters();
        internal SessionStore Sessions { get; } = new SessionStore();
        internal int ConnectedCount => Counters.ClientsConnected;

        /// <summary>Unexpected exceptions caught at a connection boundary (each closed only its connection).</summary>
        public long InternalErrors => Interlocked.Read(ref _internalErrors);

        // ------------------------------------------------------------------ lifecycle

        public async Task StartAsync(CancellationToken cancellationToken = default)
        {
            if (IsRunning) throw new InvalidOperationException("the broker is already running");
            _stop = new CancellationTokenSource();
            var listeners = new List<IMqttBrokerListener> { new MqttTcpListener(Options.BindAddress, Options.Port) };
            foreach (var extra in Options.AdditionalListeners)
            {
                if (extra.Kind != MqttListenerKind.Tcp)
                    throw new NotSupportedException(extra.Kind + " listeners are not available in the broker core yet; add them through MqttBrokerOptions.CustomListeners");
                listeners.Add(new MqttTcpListener(extra.BindAddress, extra.Port));
            }
            listeners.AddRange(Options.CustomListeners);
            if (Options.Persistence != null)
            {
                foreach (var m in Options.Persistence.LoadRetained())
                    Retained.Set(BrokerMessage.FromMqttMessage(m, MonotonicClock.NowMilliseconds).WithRetain(true));
            }
            try
            {
                foreach (var l in listeners)
                {
                    await l.StartAsync(OnAcceptedAsync, _stop.Token).ConfigureAwait(false);
                    lock (_listeners) _listeners.Add(l);
                }
            }
            catch
            {
                foreach (var l in _listeners) { try { await l.StopAsync().ConfigureAwait(false); } catch (Exception) { } }
                lock (_listeners) _listeners.Clear();
                throw;
            }
            StartedAt = DateTimeOffset.Now;
            IsRunning = true;
            _housekeeping = HousekeepingLoopAsync(_stop.Token);
        }

        /// <summary>Stops listening and closes every connection (5.0 clients get DISCONNECT 0x8B Server shutting down).</summary>
        public async Task StopAsync(CancellationToken cancellationToken = default)
        {
            if (!IsRunning) return;
            IsRunning = false;
            _stop.Cancel();
            List<IMqttBrokerListener> listeners;
            lock (_listeners) { listeners = new List<IMqttBrokerListener>(_listeners); _listeners.Clear(); }
            foreach (var l in listeners) { try { await l.StopAsync().ConfigureAwait(false); } catch (Exception) { } }
            foreach (var c in _connections.Keys) c.CloseWithReason(DisconnectReasonCode.ServerShuttingDown, "broker stopping");
            var all = Task.WhenAll(_connections.Values);
            await Task.WhenAny(all, Task.Delay(3000, cancellationToken)).ConfigureAwait(false);
            foreach (var c in _connections.Keys) c.Abort("broker stopped");
            if (_housekeeping != null) { try { await _housekeeping.ConfigureAwait(false); } catch (OperationCanceledException) { } }
        }

        public void Dispose()
        {
            if (!IsRunning) return;
            IsRunning = false;
            _stop?.Cancel();
            lock (_listeners) { foreach (var l in _listeners) l.Dispose(); _listeners.Clear(); }
            foreach (var c in _connections.Keys) c.Abort("broker disposed");
        }

        private Task OnAcceptedAsync(MqttAcceptedConnection accepted)
        {
            if (!IsRunning && _stop.IsCancellationRequested)
            {
                accepted.Stream.Dispose();
                accepted.OnClose?.Invoke();
                return Task.CompletedTask;
            }
            var connection = new BrokerConnection(this, accepted);
            var tcs = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            _connections[connection] = tcs.Task;
            return RunConnectionAsync(connection, tcs);
        }

        private async Task RunConnectionAsync(BrokerConnection connection, TaskCompletionSource<bool> done)
        {
            try { await connection.RunAsync().ConfigureAwait(false); }
            catch (Exception e) { ReportInternalError(connection, e); }
            finally
            {
                _connections.TryRemove(connection, out _);
                done.TrySetResult(true);
            }
        }

        private async Task HousekeepingLoopAsync(CancellationToken ct)
        {
            var connectTimeout = (long)Options.ConnectTimeout.TotalMilliseconds;
            var interval = (int)Math.Max(50, Math.Min(1000, connectTimeout / 4));
            long lastSessionSweep = 0, lastRetainedSweep = MonotonicClock.NowMilliseconds;
            while (!ct.IsCancellationRequested)
            {
                try { await Task.Delay(interval, ct).ConfigureAwait(false); }
                catch (OperationCanceledException) { return; }
                try
                {
                    var now = MonotonicClock.NowMilliseconds;
                    KeepAliveMonitor.Check(_connections.Keys, now, connectTimeout);
                    var due = _wills.TakeDue(now);
                    if (due != null) foreach (var will in due) PublishWill(will);
                    if (now - lastSessionSweep >= 1000)
                    {
                        lastSessionSweep = now;
                        foreach (var s in Sessions.All)
                        {
                            if (!s.IsOnline && s.ExpiresAtMilliseconds <= now) EndSession(s, "session expired");
                        }
                    }
                    if (now - lastRetainedSweep >= 60000)
                    {
                        lastRetainedSweep = now;
                        Retained.RemoveExpired(now);
                    }
                }
                catch (Exception e)
                {
                    ReportInternalError(null, e);
                }
            }
        }

        // ------------------------------------------------------------------ API

        /// <summary>Publishes a message as the broker itself (the cmdlets use this against the embedded broker).</summary>
        public Task PublishAsync(MqttMessage message)
        {
            if (message == null) throw new ArgumentNullException(nameof(message));
            MqttTopic.ValidateTopicName(message.Topic);
            Publish(BrokerMessage.FromMqttMessage(message, MonotonicClock.NowMilliseconds));
            return Task.CompletedTask;
        }

        public IReadOnlyList<MqttBrokerClientInfo> GetClients()
        {
            var result = new List<MqttBrokerClientInfo>();
            foreach (var c in _connections.Keys)
            {
                if (!c.IsConnected || c.IsClosing) continue;
                var session = c.Session;
                var info = new MqttBrokerClientInfo
                {
                    ClientId = c.ClientId,
                    RemoteEndPoint = c.RemoteEndPoint,
                    Username = c.Username,
                    ProtocolVersion = c.ProtocolVersion,
                    KeepAliveSeconds = c.KeepAliveSeconds,
                    ConnectedAt = c.ConnectedAt,
                    CleanStart = c.CleanStart,
                    MessagesReceived = c.PacketsReceived,
                    MessagesSent = c.PacketsSent,
                };
                lock (session)
                {
                    var filters = session.SubscriptionFilters();
                    filters.Sort(StringComparer.Ordinal);
                    info.Subscriptions = filters;
                    info.QueuedMessages = session.Queue.Count;
                    info.InFlightMessages = session.InflightOut.Count;
                    info.SessionExpiryInterval = session.SessionExpiryInterval;
                }
                result.Add(info);
            }
            result.Sort((a, b) => string.CompareOrdinal(a.ClientId, b.ClientId));
            return result;
        }

        /// <summary>Closes a client's connection (5.0: DISCONNECT with <paramref name="reason"/> first). False when no
        /// client with that id is connected.</summary>
        public Task<bool> DisconnectClientAsync(string clientId, DisconnectReasonCode reason = DisconnectReasonCode.AdministrativeAction)
        {
            var session = Sessions.Get(clientId ?? string.Empty);
            var connection = session?.Connection;
            if (connection == null) return Task.FromResult(false);
            connection.CloseWithReason(reason, "disconnected by the administrator (" + reason + ")");
            return Task.FromResult(true);
        }

        public MqttBrokerStatistics GetStatistics()
        {
            var persistent = 0;
            foreach (var s in Sessions.All) if (s.SessionExpiryInterval > 0) persistent++;
            return new MqttBrokerStatistics
            {
                StartedAt = StartedAt,
                Uptime = IsRunning ? DateTimeOffset.Now - StartedAt : TimeSpan.Zero,
                ClientsConnected = Counters.ClientsConnected,
                ClientsTotal = Counters.ClientsTotal,
                ClientsMaximum = Counters.ClientsMaximum,
                SessionsPersistent = persistent,
                MessagesReceived = Counters.MessagesReceived,
                MessagesSent = Counters.MessagesSent,
                BytesReceived = Counters.BytesReceived,
                BytesSent = Counters.BytesSent,
                PublishReceived = Counters.PublishReceived,
                PublishSent = Counters.PublishSent,
                PublishDropped = Counters.PublishDropped,
                RetainedMessages = Retained.Count,
                Subscriptions = _router.Count,
            };
        }

        // ------------------------------------------------------------------ routing

        /// <summary>Stores (if retained) and routes one message; returns the number of subscriptions it went to.</summary>
        internal int Publish(BrokerMessage message)
        {
            Counters.AddPublishReceived();
            var now = MonotonicClock.NowMilliseconds;
            if (message.Retain) Retained.Set(message);
            if (message.IsExpired(now)) return 0;
            var matches = _matchBuffer ?? (_matchBuffer = new List<SubscriptionEntry>());
            matches.Clear();
            _router.Match(message.Topic, matches);
            var delivered = 0;
            for (var i = 0; i < matches.Count; i++)
            {
                var subscription = matches[i] as Subscription ?? ((SharedSubscriptionGroup)matches[i]).PickNext(message.SenderClientId);
                if (subscription == null) continue;
                var session = subscription.Session;
                // A match counts (no 0x10 No matching subscribers) even when No Local then skips it, as in mosquitto.
                delivered++;
                // No Local: not back to the publisher's own subscription [MQTT-3.8.3-3].
                if (subscription.NoLocal && message.SenderClientId != null && message.SenderClientId == session.ClientId) continue;
                if (!(Authorizer is AllowAllAuthorizer))
                {
                    var receiver = session.Connection?.Identity ?? new MqttClientIdentity(session.ClientId, null, MqttProtocolVersion.V311);
                    if (!Authorizer.CanReceive(receiver, message.Topic)) continue;
                }
                var qos = message.QoS < subscription.QoS ? message.QoS : subscription.QoS;
                // Live messages carry RETAIN=0 unless the subscription asked for Retain As Published [MQTT-3.3.1-12/13].
                var retain = subscription.RetainAsPublished && message.Retain;
                lock (session) session.Deliver(new QueuedMessage(message, qos, retain, subscription.SubscriptionIdentifier));
            }
            matches.Clear();
            if (EventRaised != null)
                Raise(new MqttBrokerEvent { Kind = MqttBrokerEventKind.MessagePublished, ClientId = message.SenderClientId, Topic = message.Topic, Message = message.ToMqttMessage(now) });
            return delivered;
        }

        private void PublishWill(BrokerMessage will)
        {
            var identity = new MqttClientIdentity(will.SenderClientId, null, MqttProtocolVersion.V311);
            if (!Authorizer.CanPublish(identity, will.Topic))
            {
                OnMessageDropped(will.SenderClientId, will, "will not authorized for '" + will.Topic + "'");
                return;
            }
            Publish(will);
        }

        /// <summary>Adds or replaces the session's subscription to a filter; true when it replaced one.</summary>
        internal bool AddSubscription(MqttSession session, Subscription subscription)
        {
            bool existed;
            lock (session)
            {
                existed = session.Subscriptions.TryGetValue(subscription.TopicFilter, out var old);
                if (existed) _router.Remove(old);
                session.Subscriptions[subscription.TopicFilter] = subscription;
                _router.Add(subscription);
                if (session.SessionExpiryInterval > 0) Options.Persistence?.SubscriptionsChanged(session.ClientId, session.SubscriptionFilters());
            }
            if (EventRaised != null)
                Raise(new MqttBrokerEvent { Kind = MqttBrokerEventKind.SubscriptionAdded, ClientId = session.ClientId, Topic = subscription.TopicFilter, ReasonCode = (byte)subscription.QoS });
            return existed;
        }

        internal bool RemoveSubscription(MqttSession session, string topicFilter)
        {
            lock (session)
            {
                if (!session.Subscriptions.TryGetValue(topicFilter, out var old)) return false;
                session.Subscriptions.Remove(topicFilter);
                _router.Remove(old);
                if (session.SessionExpiryInterval > 0) Options.Persistence?.SubscriptionsChanged(session.ClientId, session.SubscriptionFilters());
            }
            if (EventRaised != null)
                Raise(new MqttBrokerEvent { Kind = MqttBrokerEventKind.SubscriptionRemoved, ClientId = session.ClientId, Topic = topicFilter });
            return true;
        }

        // ------------------------------------------------------------------ sessions

        internal string AssignClientId()
            => Options.Name + "-" + Guid.NewGuid().ToString("N").Substring(0, 12) + "-" + Interlocked.Increment(ref _clientIdCounter);

        /// <summary>
        /// Gives <paramref name="connection"/> its session: a new one, or the existing one for the client id (taking it
        /// over from a connection still using it, which is closed with 0x8E [MQTT-3.1.4-3]). Sends the CONNACK and
        /// then retransmits what was in flight, all under the session lock so no delivery overtakes the CONNACK.
        /// </summary>
        internal MqttSession AttachSession(BrokerConnection connection, string clientId, bool cleanStart, uint sessionExpiry, ConnAckPacket connAck)
        {
            BrokerConnection previous = null;
            MqttSession session;
            lock (_attachLock)
            {
                var existing = Sessions.Get(clientId);
                if (existing != null)
                {
                    lock (existing)
                    {
                        previous = existing.Connection;
                        existing.Connection = null;
                    }
                    _wills.Cancel(existing);
                    if (cleanStart)
                    {
                        DiscardSession(existing);
                        existing = null;
                    }
                }
                session = existing ?? new MqttSession(this, clientId);
                Sessions.Put(session);
                lock (session)
                {
                    session.SessionExpiryInterval = sessionExpiry;
                    session.ExpiresAtMilliseconds = long.MaxValue;
                    session.Connection = connection;
                    // [MQTT-3.2.2-2/3]: session present only when a stored session is resumed.
                    connAck.SessionPresent = existing != null;
                    connection.Send(connAck);
                    session.ResendInflight();
                }
            }
            previous?.CloseWithReason(DisconnectReasonCode.SessionTakenOver, "session taken over by a new connection with the same client id");
            Counters.ClientConnected();
            if (EventRaised != null)
                Raise(new MqttBrokerEvent { Kind = MqttBrokerEventKind.ClientConnected, ClientId = clientId, Reason = connection.RemoteEndPoint?.ToString() });
            return session;
        }

        internal void OnConnectionClosed(BrokerConnection connection, string reason, MqttWillMessage will)
        {
            if (!connection.IsConnected) return;
            Counters.ClientDisconnected();
            var session = connection.Session;
            var now = MonotonicClock.NowMilliseconds;
            bool owner;
            uint expiry;
            lock (session)
            {
                owner = session.Connection == connection;
                if (owner) session.Connection = null;
                expiry = session.SessionExpiryInterval;
                if (owner && expiry != uint.MaxValue) session.ExpiresAtMilliseconds = now + expiry * 1000L;
            }
            if (will != null)
            {
                var message = BrokerMessage.FromWill(will, connection.ClientId, now);
                uint delay = connection.V5 && will.HasProperties ? will.Properties.WillDelayInterval ?? 0 : 0;
                if (delay == 0) PublishWill(message);
                else if (owner)
                {
                    // The will waits for its delay, but never outlives the session [MQTT-3.1.3-9].
                    if (expiry == 0) PublishWill(message);
                    else _wills.Schedule(session, message, now + Math.Min(delay, expiry) * 1000L);
                }
                // Taken over with a will delay: the client is back on its session, so the will is not sent.
            }
            if (owner && expiry == 0) EndSession(session, "clean session ended");
            if (EventRaised != null)
                Raise(new MqttBrokerEvent { Kind = MqttBrokerEventKind.ClientDisconnected, ClientId = connection.ClientId, Reason = reason });
        }

        private void EndSession(MqttSession session, string why)
        {
            lock (_attachLock)
            {
                lock (session)
                {
                    if (session.IsOnline) return; // reconnected meanwhile
                }
                DiscardSession(session);
            }
            var will = _wills.TakeForSessionEnd(session);
            if (will != null) PublishWill(will);
        }

        private void DiscardSession(MqttSession session)
        {
            int dropped;
            lock (session)
            {
                session.IsDiscarded = true;
                foreach (var s in session.Subscriptions.Values) _router.Remove(s);
                session.Subscriptions.Clear();
                dropped = session.Queue.Count;
                session.Queue.Clear();
                session.InflightOut.Clear();
                session.InflightIn.Clear();
            }
            Sessions.Remove(session);
            if (session.SessionExpiryInterval > 0) Options.Persistence?.SessionRemoved(session.ClientId);
        }

        // ------------------------------------------------------------------ events

        internal void OnMessageDropped(string clientId, BrokerMessage message, string why, string topic = null)
        {
            Counters.AddPublishDropped();
            if (EventRaised != null)
                Raise(new MqttBrokerEvent { Kind = MqttBrokerEventKind.MessageDropped, ClientId = clientId, Topic = message?.Topic ?? topic, Message = message?.ToMqttMessage(MonotonicClock.NowMilliseconds), Reason = why });
        }

        internal void OnConnectRefused(BrokerConnection connection, ConnectReasonCode code, string why)
        {
            if (EventRaised != null)
                Raise(new MqttBrokerEvent { Kind = MqttBrokerEventKind.ClientDisconnected, ClientId = connection.ClientId, Reason = why, ReasonCode = (byte)code });
        }

        private void OnRetainedChanged(string topic, BrokerMessage message)
        {
            Options.Persistence?.RetainedChanged(topic, message?.ToMqttMessage(MonotonicClock.NowMilliseconds));
            if (EventRaised != null)
                Raise(new MqttBrokerEvent { Kind = MqttBrokerEventKind.RetainedMessageChanged, Topic = topic, ClientId = message?.SenderClientId, Message = message?.ToMqttMessage(MonotonicClock.NowMilliseconds), Reason = message == null ? "cleared" : "set" });
        }

        internal void ReportInternalError(BrokerConnection connection, Exception e)
        {
            Interlocked.Increment(ref _internalErrors);
            if (EventRaised != null)
                Raise(new MqttBrokerEvent { Kind = MqttBrokerEventKind.ClientDisconnected, ClientId = connection?.ClientId, Reason = "internal error: " + e });
        }

        private void Raise(MqttBrokerEvent e)
        {
            var handler = EventRaised;
            if (handler == null) return;
            try { handler(this, e); }
            catch (Exception) { /* an observer's failure must not break the broker */ }
        }
    }
}
