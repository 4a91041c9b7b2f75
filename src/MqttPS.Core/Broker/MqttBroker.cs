using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using MqttPS.Core.Broker.Listeners;
using MqttPS.Core.Broker.Persistence;
using MqttPS.Core.Broker.Security;
using MqttPS.Core.Broker.SysTopics;
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
        /// <summary>Open connections (the value is unused; each connection holds its own run task).</summary>
        private readonly ConcurrentDictionary<BrokerConnection, bool> _connections = new ConcurrentDictionary<BrokerConnection, bool>();
        private readonly object _attachLock = new object();
        private readonly SubscriptionRouter _router = new SubscriptionRouter();
        private readonly WillScheduler _wills = new WillScheduler();
        private CancellationTokenSource _stop;
        private Task _housekeeping;
        private long _clientIdCounter;
        private long _internalErrors;
        private readonly ConcurrentDictionary<IPAddress, int> _connectionsPerAddress = new ConcurrentDictionary<IPAddress, int>();
        private MqttFilePersistence _ownedPersistence;
        private MqttSysTopicPublisher _sys;
        private bool _restoring;
        private long _expiredSessions;
        private long _socketsOpened;
        private readonly ConcurrentDictionary<MqttListenerOptions, int> _connectedPerListener = new ConcurrentDictionary<MqttListenerOptions, int>();
        private readonly List<Bridges.MqttBridge> _bridges = new List<Bridges.MqttBridge>();

        public MqttBroker(MqttBrokerOptions options = null)
        {
            Options = options ?? new MqttBrokerOptions();
            // Password and ACL files load here, so a bad line is reported (with its number) before anything listens.
            Authenticator = Options.Authenticator ?? (Options.PasswordFile != null
                ? new MqttPasswordFileAuthenticator(PasswordFile.Load(Options.PasswordFile), Options.AllowAnonymous)
                : (IMqttBrokerAuthenticator)new AllowAllAuthenticator(Options.AllowAnonymous));
            Authorizer = Options.Authorizer ?? (Options.AclFile != null ? new MqttAclAuthorizer(AclFile.Load(Options.AclFile)) : (IMqttBrokerAuthorizer)AllowAllAuthorizer.Instance);
            Retained = new MqttRetainedStore(OnRetainedChanged, Options.MaxRetainedMessages);
            // Bridges are checked here too, so a wrong one is an error before anything listens.
            var names = new HashSet<string>(StringComparer.Ordinal);
            var localIds = new HashSet<string>(StringComparer.Ordinal);
            foreach (var bridge in Options.Bridges)
            {
                bridge.Validate();
                if (!names.Add(bridge.Name)) throw new ArgumentException("Two bridges are named '" + bridge.Name + "'.");
                if (!localIds.Add(bridge.ResolvedLocalClientId))
                    throw new ArgumentException("The bridge '" + bridge.Name + "' has the local client id '" + bridge.ResolvedLocalClientId + "' of another bridge: give each its own.");
                _bridges.Add(new Bridges.MqttBridge(this, bridge));
            }
        }

        /// <summary>The broker's bridges (<see cref="MqttBrokerOptions.Bridges"/>), running while the broker runs.</summary>
        public IReadOnlyList<Bridges.MqttBridge> Bridges => _bridges;

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
        /// network threads, on Linux the socket loop's own thread that serves every client: keep them short and never
        /// block in them (queue the event and handle it elsewhere). While no handler is attached, no events are built
        /// (one per routed message otherwise).</summary>
        public event EventHandler<MqttBrokerEvent> EventRaised;

        internal IMqttBrokerAuthenticator Authenticator { get; }
        internal IMqttBrokerAuthorizer Authorizer { get; }

        /// <summary>The persistence in use (Options.Persistence, or the store opened on Options.PersistencePath), or null.</summary>
        internal IMqttBrokerPersistence Persistence { get; private set; }

        /// <summary>What opening the persistence directory found (null without <see cref="MqttBrokerOptions.PersistencePath"/>).</summary>
        public MqttRecoveryReport PersistenceRecovery => _ownedPersistence?.Store.Recovery;
        internal BrokerCounters Counters { get; } = new BrokerCounters();
        internal SessionStore Sessions { get; } = new SessionStore();
        internal int ConnectedCount => Counters.ClientsConnected;

        /// <summary>Clients connected through a listener that has a connection limit of its own.</summary>
        internal int ConnectedCountOn(MqttListenerOptions listener) => _connectedPerListener.TryGetValue(listener, out var n) ? n : 0;

        /// <summary>Connections not yet fully ended (a closed clean session is gone once its connection is off this count).</summary>
        internal int OpenConnectionCount => _connections.Count;

        /// <summary>Unexpected exceptions caught at a connection boundary (each closed only its connection).</summary>
        public long InternalErrors => Interlocked.Read(ref _internalErrors);

        // ------------------------------------------------------------------ lifecycle

        public async Task StartAsync(CancellationToken cancellationToken = default)
        {
            if (IsRunning) throw new InvalidOperationException("the broker is already running");
            _stop = new CancellationTokenSource();
            var listeners = new List<IMqttBrokerListener>();
            foreach (var listener in Options.ResolveListeners())
            {
                if (listener.Kind == MqttListenerKind.Tcp) listeners.Add(new MqttTcpListener(listener.BindAddress, listener.Port) { UseEpoll = Options.UseEpollSockets, Listener = listener });
                else
                {
                    var transport = new MqttTransportListener(listener);
                    transport.HandshakeFailed += (remote, why) => Raise(new MqttBrokerEvent
                    {
                        Kind = MqttBrokerEventKind.ClientDisconnected,
                        Reason = "refused on " + transport.Name + " from " + remote + ": " + why,
                    });
                    listeners.Add(transport);
                }
            }
            listeners.AddRange(Options.CustomListeners);
            Persistence = Options.Persistence;
            if (Persistence == null && !string.IsNullOrEmpty(Options.PersistencePath))
                Persistence = _ownedPersistence = MqttFilePersistence.Open(Options.PersistencePath, Options.PersistenceDurability);
            if (Persistence != null) RestoreFromPersistence();
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
                // Not running, so Dispose would skip it: close the store opened above (writer thread, file handles).
                _ownedPersistence?.Dispose();
                _ownedPersistence = null;
                Persistence = null;
                throw;
            }
            StartedAt = DateTimeOffset.Now;
            IsRunning = true;
            _housekeeping = HousekeepingLoopAsync(_stop.Token);
            if (Options.SysInterval > TimeSpan.Zero)
            {
                _sys = new MqttSysTopicPublisher(GetStatistics, PublishSystemMessageAsync, new MqttSysTopicOptions { Interval = Options.SysInterval });
                _sys.Start();
            }
            foreach (var bridge in _bridges) await bridge.StartAsync(cancellationToken).ConfigureAwait(false);
        }

        /// <summary>An in-process connection to this broker (a bridge's link to it): returns the client's end of it.</summary>
        internal System.IO.Stream ConnectInternal(string name)
        {
            Transport.InProcessStream.CreatePair(out var client, out var server);
            var accepted = new MqttAcceptedConnection(server, new Transport.InProcessEndPoint(name), name) { IsInternal = true };
            _ = OnAcceptedAsync(accepted);
            return client;
        }

        internal void OnBridgeStateChanged(Bridges.MqttBridge bridge, string what)
        {
            if (EventRaised != null)
                Raise(new MqttBrokerEvent { Kind = MqttBrokerEventKind.BridgeStateChanged, ClientId = bridge.Name, Reason = "bridge '" + bridge.Name + "' " + what });
        }

        /// <summary>Stops listening and closes every connection (5.0 clients get DISCONNECT 0x8B Server shutting down).</summary>
        public async Task StopAsync(CancellationToken cancellationToken = default)
        {
            if (!IsRunning) return;
            // First the bridges, while their connections still work: they tell the remote brokers they are going.
            foreach (var bridge in _bridges) { try { await bridge.StopAsync().ConfigureAwait(false); } catch (Exception e) { ReportInternalError(null, e); } }
            IsRunning = false;
            _stop.Cancel();
            List<IMqttBrokerListener> listeners;
            lock (_listeners) { listeners = new List<IMqttBrokerListener>(_listeners); _listeners.Clear(); }
            foreach (var l in listeners) { try { await l.StopAsync().ConfigureAwait(false); } catch (Exception) { } }
            foreach (var c in _connections.Keys) c.CloseWithReason(DisconnectReasonCode.ServerShuttingDown, "broker stopping");
            var runs = new List<Task>();
            foreach (var c in _connections.Keys) if (c.Run != null) runs.Add(c.Run);
            var all = Task.WhenAll(runs);
            await Task.WhenAny(all, Task.Delay(3000, cancellationToken)).ConfigureAwait(false);
            foreach (var c in _connections.Keys) c.Abort("broker stopped");
            if (_housekeeping != null) { try { await _housekeeping.ConfigureAwait(false); } catch (OperationCanceledException) { } }
            if (_sys != null) { await _sys.StopAsync().ConfigureAwait(false); _sys.Dispose(); _sys = null; }
            // Graceful stop: everything recorded is written before the files close.
            _ownedPersistence?.Dispose();
            _ownedPersistence = null;
        }

        public void Dispose()
        {
            if (!IsRunning) return;
            IsRunning = false;
            _stop?.Cancel();
            lock (_listeners) { foreach (var l in _listeners) l.Dispose(); _listeners.Clear(); }
            foreach (var bridge in _bridges) bridge.Abort();
            foreach (var c in _connections.Keys) c.Abort("broker disposed");
            _sys?.Dispose();
            _ownedPersistence?.Dispose();
            _ownedPersistence = null;
        }

        private void RestoreFromPersistence()
        {
            var now = MonotonicClock.NowMilliseconds;
            _restoring = true;
            try
            {
                foreach (var m in Persistence.LoadRetained())
                {
                    if (!AgeExpiry(m)) continue;
                    Retained.Set(BrokerMessage.FromMqttMessage(m, now).WithRetain(true));
                }
                foreach (var stored in Persistence.LoadSessions())
                {
                    var session = new MqttSession(this, stored.ClientId)
                    {
                        SessionExpiryInterval = stored.SessionExpiryInterval,
                        IsPersisted = true,
                        Username = stored.Owner,
                        OwnerKnown = stored.OwnerKnown,
                    };
                    // The session was offline from the moment the broker went down; its expiry counts from the restart.
                    session.ExpiresAtMilliseconds = ExpiryTime(stored.SessionExpiryInterval, now);
                    foreach (var s in stored.Subscriptions.Values)
                    {
                        string shareName = null, matchFilter = s.TopicFilter;
                        if (s.TopicFilter.StartsWith("$share/", StringComparison.Ordinal) && !SharedSubscription.TryParse(s.TopicFilter, out shareName, out matchFilter)) continue;
                        var options = new MqttTopicSubscription(s.TopicFilter, s.QoS) { NoLocal = s.NoLocal, RetainAsPublished = s.RetainAsPublished, RetainHandling = s.RetainHandling };
                        var subscription = new Subscription(session, s.TopicFilter, matchFilter, shareName, options, s.SubscriptionIdentifier);
                        session.Subscriptions[s.TopicFilter] = subscription;
                        _router.Add(subscription);
                    }
                    foreach (var incoming in stored.IncomingQoS2)
                        session.InflightIn[incoming.Key] = new IncomingQoS2Message(BrokerMessage.FromMqttMessage(incoming.Value, now));
                    foreach (var q in stored.Messages.Values)
                    {
                        var m = q.Message;
                        if (!AgeExpiry(m))
                        {
                            Persistence.SessionMessageCompleted(stored.ClientId, q.Sequence);
                            continue;
                        }
                        var subscriptionIdentifier = m.HasSubscriptionIdentifiers ? m.SubscriptionIdentifiers[0] : 0u;
                        var delivery = new QueuedMessage(BrokerMessage.FromMqttMessage(m, now), m.QoS, m.Retain, subscriptionIdentifier) { StoreSequence = q.Sequence };
                        if (q.PacketId != 0)
                        {
                            // In flight before the restart, with this packet id: PUBLISH again with DUP, or (PUBREC was
                            // received) only PUBREL/PUBCOMP remain [MQTT-4.4.0-1].
                            session.RestoreInflight(delivery, q.PacketId, q.State == InFlightState.ReleaseSent);
                            continue;
                        }
                        // Never sent: queued, they go out with fresh packet ids once the client is back.
                        session.QueueAdd(delivery);
                    }
                    Sessions.Put(session);
                }
            }
            finally
            {
                _restoring = false;
            }
        }

        /// <summary>Counts the time spent on disk against a message's expiry interval; false when it has expired.</summary>
        private static bool AgeExpiry(MqttMessage m)
        {
            if (!m.MessageExpiryInterval.HasValue) return true;
            var waited = (DateTimeOffset.Now - m.Timestamp).TotalSeconds;
            if (waited <= 0) return true;
            if (waited >= m.MessageExpiryInterval.Value) return false;
            m.MessageExpiryInterval = (uint)Math.Ceiling(m.MessageExpiryInterval.Value - waited);
            return true;
        }

        /// <summary>The broker's own $SYS messages: retained and routed, but not counted as received PUBLISHes.</summary>
        private Task PublishSystemMessageAsync(MqttMessage message)
        {
            Publish(BrokerMessage.FromMqttMessage(message, MonotonicClock.NowMilliseconds), countAsReceived: false);
            return Task.CompletedTask;
        }

        private Task OnAcceptedAsync(MqttAcceptedConnection accepted)
        {
            Interlocked.Increment(ref _socketsOpened);
            if (!IsRunning && _stop.IsCancellationRequested)
            {
                accepted.Stream.Dispose();
                accepted.OnClose?.Invoke();
                return Task.CompletedTask;
            }
            var address = (accepted.RemoteEndPoint as IPEndPoint)?.Address;
            if (address != null && Options.MaxConnectionsPerAddress > 0)
            {
                // Counted from accept, before CONNECT: a flood of silent sockets from one host is refused at once.
                if (_connectionsPerAddress.AddOrUpdate(address, 1, (_, n) => n + 1) > Options.MaxConnectionsPerAddress)
                {
                    ReleaseAddress(address);
                    accepted.Stream.Dispose();
                    accepted.OnClose?.Invoke();
                    Raise(new MqttBrokerEvent { Kind = MqttBrokerEventKind.ClientDisconnected, Reason = "refused: more than " + Options.MaxConnectionsPerAddress + " connections from " + address });
                    return Task.CompletedTask;
                }
            }
            var connection = new BrokerConnection(this, accepted);
            // Registered before it runs (it removes itself when it ends, see OnConnectionEnded). The run task is kept on
            // the connection rather than replacing the entry's value, which would allocate a second entry per connection.
            _connections[connection] = true;
            var run = connection.RunAsync();
            connection.Run = run;
            return run;
        }

        /// <summary>The last thing a connection's run does: it no longer counts against its address and is forgotten.</summary>
        internal void OnConnectionEnded(BrokerConnection connection)
        {
            // Counted at accept iff the same condition held (the options do not change while running).
            if (Options.MaxConnectionsPerAddress > 0 && connection.RemoteEndPoint is IPEndPoint remote && remote.Address != null)
                ReleaseAddress(remote.Address);
            _connections.TryRemove(connection, out _);
        }

        private void ReleaseAddress(IPAddress address)
        {
            if (_connectionsPerAddress.AddOrUpdate(address, 0, (_, n) => n - 1) <= 0)
                ((ICollection<KeyValuePair<IPAddress, int>>)_connectionsPerAddress).Remove(new KeyValuePair<IPAddress, int>(address, 0));
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
                    KeepAliveMonitor.Check(_connections, now, connectTimeout);
                    var due = _wills.TakeDue(now);
                    if (due != null) foreach (var will in due) PublishWill(will.Will, will.Publisher, will.Authorizer);
                    if (now - lastSessionSweep >= 1000)
                    {
                        lastSessionSweep = now;
                        foreach (var s in Sessions.All)
                        {
                            if (!s.IsOnline && s.ExpiresAtMilliseconds <= now)
                            {
                                EndSession(s, "session expired");
                                Interlocked.Increment(ref _expiredSessions);
                            }
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
                // Connected but its session not attached yet (the CONNACK has not gone out).
                if (session == null) continue;
                var info = new MqttBrokerClientInfo
                {
                    ClientId = c.ClientId,
                    RemoteEndPoint = c.RemoteEndPoint,
                    Username = c.Username,
                    ProtocolVersion = c.ProtocolVersion,
                    KeepAliveSeconds = c.KeepAliveSeconds,
                    ConnectedAt = c.ConnectedAt,
                    CleanStart = c.CleanStart,
                    IsBridge = c.IsBridge,
                    PacketsReceived = c.PacketsReceived,
                    PacketsSent = c.PacketsSent,
                };
                lock (session)
                {
                    var filters = session.SubscriptionFilters();
                    filters.Sort(StringComparer.Ordinal);
                    info.Subscriptions = filters;
                    info.QueuedMessages = session.QueueCount;
                    info.InFlightMessages = session.InflightOutCount;
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

        /// <summary>The broker's figures now: the one source of Get-MqttBroker's statistics and the $SYS tree.</summary>
        public MqttBrokerStatistics GetStatistics()
        {
            int persistent = 0, sessions = 0;
            long stored = 0, storedBytes = 0;
            foreach (var session in Sessions.All)
            {
                sessions++;
                lock (session)
                {
                    if (session.SessionExpiryInterval > 0) persistent++;
                    stored += session.QueueCount + session.InflightOutCount;
                    storedBytes += session.QueuedBytes;
                }
            }
            var connected = Counters.ClientsConnected;
            var retained = Retained.Count;
            return new MqttBrokerStatistics
            {
                StartedAt = StartedAt,
                Uptime = IsRunning ? DateTimeOffset.Now - StartedAt : TimeSpan.Zero,
                ClientsConnected = connected,
                ClientsTotal = Counters.ClientsTotal,
                ClientsMaximum = Counters.ClientsMaximum,
                SessionsPersistent = persistent,
                // mosquitto's clients/total: connected clients plus disconnected sessions that are kept.
                SessionsTotal = Math.Max(sessions, connected),
                SessionsExpired = Interlocked.Read(ref _expiredSessions),
                SocketsOpened = Interlocked.Read(ref _socketsOpened),
                MessagesReceived = Counters.MessagesReceived,
                MessagesSent = Counters.MessagesSent,
                BytesReceived = Counters.BytesReceived,
                BytesSent = Counters.BytesSent,
                PublishReceived = Counters.PublishReceived,
                PublishSent = Counters.PublishSent,
                PublishDropped = Counters.PublishDropped,
                RetainedMessages = retained,
                Subscriptions = _router.Count,
                SharedSubscriptions = _router.SharedCount,
                // mosquitto counts retained and session messages alike in its store.
                StoredMessages = stored + retained,
                StoredMessageBytes = storedBytes,
                Bridges = _bridges.Select(b => b.GetStatistics()).ToList(),
            };
        }

        // ------------------------------------------------------------------ routing

        /// <summary>Stores (if retained) and routes one message; returns the number of subscriptions it went to.</summary>
        internal int Publish(BrokerMessage message, bool countAsReceived = true)
        {
            if (countAsReceived) Counters.AddPublishReceived();
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
                MqttClientIdentity receiver = null;
                // The rules of the listener the session's client came through (per_listener_settings), else the broker's.
                var authorizer = session.Authorizer ?? Authorizer;
                if (!(authorizer is AllowAllAuthorizer))
                {
                    // An offline session is checked as its owner; whoever resumes it is checked again at sending.
                    receiver = session.Connection?.Identity ?? new MqttClientIdentity(session.ClientId, session.Username, MqttProtocolVersion.V311);
                    if (!authorizer.CanReceive(receiver, message.Topic)) continue;
                }
                var qos = Options.UpgradeOutgoingQoS || message.QoS > subscription.QoS ? subscription.QoS : message.QoS;
                // Live messages carry RETAIN=0 unless the subscription asked for Retain As Published [MQTT-3.3.1-12/13].
                var retain = subscription.RetainAsPublished && message.Retain;
                lock (session) session.Deliver(new QueuedMessage(message, qos, retain, subscription.SubscriptionIdentifier) { AuthorizedFor = receiver });
            }
            matches.Clear();
            if (EventRaised != null)
                Raise(new MqttBrokerEvent { Kind = MqttBrokerEventKind.MessagePublished, ClientId = message.SenderClientId, Topic = message.Topic, Message = message.ToMqttMessage(now) });
            return delivered;
        }

        /// <summary>Publishes a will in the name of the client that set it: checked against that client's rights now, as
        /// they were at CONNECT (a custom authorizer's answer may have changed meanwhile).</summary>
        private void PublishWill(BrokerMessage will, MqttClientIdentity publisher, IMqttBrokerAuthorizer authorizer)
        {
            if (!authorizer.CanPublish(publisher, will.Topic))
            {
                OnMessageDropped(will.SenderClientId, will, "will not authorized for '" + will.Topic + "' (" + (publisher.Username == null ? "anonymous client" : "user '" + publisher.Username + "'") + ")");
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
                existed = session.TryGetSubscription(subscription.TopicFilter, out var old);
                if (existed) _router.Remove(old);
                session.Subscriptions[subscription.TopicFilter] = subscription;
                _router.Add(subscription);
                if (session.IsPersisted)
                    Persistence?.SubscriptionAdded(session.ClientId, new MqttTopicSubscription(subscription.TopicFilter, subscription.QoS)
                    {
                        NoLocal = subscription.NoLocal, RetainAsPublished = subscription.RetainAsPublished, RetainHandling = subscription.RetainHandling,
                    }, subscription.SubscriptionIdentifier);
            }
            if (EventRaised != null)
                Raise(new MqttBrokerEvent { Kind = MqttBrokerEventKind.SubscriptionAdded, ClientId = session.ClientId, Topic = subscription.TopicFilter, ReasonCode = (byte)subscription.QoS });
            return existed;
        }

        internal bool RemoveSubscription(MqttSession session, string topicFilter)
        {
            lock (session)
            {
                if (!session.TryGetSubscription(topicFilter, out var old)) return false;
                session.Subscriptions.Remove(topicFilter);
                _router.Remove(old);
                if (session.IsPersisted) Persistence?.SubscriptionRemoved(session.ClientId, topicFilter);
            }
            if (EventRaised != null)
                Raise(new MqttBrokerEvent { Kind = MqttBrokerEventKind.SubscriptionRemoved, ClientId = session.ClientId, Topic = topicFilter });
            return true;
        }

        // ------------------------------------------------------------------ sessions

        internal string AssignClientId(string prefix = null)
            => (prefix ?? Options.AssignedClientIdPrefix ?? Options.Name + "-") + Guid.NewGuid().ToString("N").Substring(0, 12) + "-" + Interlocked.Increment(ref _clientIdCounter);

        /// <summary>When an offline session with this expiry interval ends (monotonic milliseconds); a session that
        /// never expires by itself is kept for <see cref="MqttBrokerOptions.PersistentClientExpiration"/> when set.</summary>
        private long ExpiryTime(uint sessionExpiryInterval, long now)
        {
            if (sessionExpiryInterval != uint.MaxValue) return now + sessionExpiryInterval * 1000L;
            var limit = Options.PersistentClientExpiration;
            return limit.HasValue ? now + (long)limit.Value.TotalMilliseconds : long.MaxValue;
        }

        /// <summary>
        /// Gives <paramref name="connection"/> its session: a new one, or the existing one for the client id (taking it
        /// over from a connection still using it, which is closed with 0x8E [MQTT-3.1.4-3]). Sends the CONNACK and
        /// then retransmits what was in flight, all under the session lock so no delivery overtakes the CONNACK.
        /// Returns null, having changed nothing, when the session belongs to another user: a session is its owner's,
        /// and another user may neither read it, take it over nor discard it with a clean start (the caller refuses
        /// the CONNECT as not authorized).
        /// </summary>
        internal MqttSession AttachSession(BrokerConnection connection, string clientId, bool cleanStart, uint sessionExpiry, ConnAckPacket connAck)
        {
            BrokerConnection previous = null;
            WillScheduler.PendingWill expiredWill = null;
            MqttSession session;
            lock (_attachLock)
            {
                var existing = Sessions.Get(clientId);
                // The sweep ends expired sessions only once a second: one past its expiry is gone for a client that
                // comes back before the sweep reaches it too, so it is not resumed [MQTT-3.1.2-23].
                if (existing != null && !existing.IsOnline && existing.ExpiresAtMilliseconds <= MonotonicClock.NowMilliseconds)
                {
                    DiscardSession(existing);
                    Interlocked.Increment(ref _expiredSessions);
                    expiredWill = _wills.TakeForSessionEnd(existing);
                    existing = null;
                }
                if (existing != null && !existing.IsOwnedBy(connection.Username)) return null;
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
                    session.Username = connection.Username;
                    session.Authorizer = connection.Authorizer;
                    session.OwnerKnown = true;
                    if (Persistence != null)
                    {
                        if (sessionExpiry > 0)
                        {
                            Persistence.SessionCreated(clientId, sessionExpiry, session.Username);
                            session.IsPersisted = true;
                        }
                        else if (session.IsPersisted)
                        {
                            Persistence.SessionRemoved(clientId);
                            session.IsPersisted = false;
                        }
                    }
                    // [MQTT-3.2.2-2/3]: session present only when a stored session is resumed.
                    connAck.SessionPresent = existing != null;
                    // Before the CONNACK: a client that has it (the send can complete at once) must find itself in
                    // GetClients.
                    connection.Session = session;
                    connection.Send(connAck);
                    session.ResendInflight();
                }
            }
            if (expiredWill != null) PublishWill(expiredWill.Will, expiredWill.Publisher, expiredWill.Authorizer);
            previous?.CloseWithReason(DisconnectReasonCode.SessionTakenOver, "session taken over by a new connection with the same client id");
            Counters.ClientConnected();
            if (connection.Listener != null && connection.Listener.MaxConnections > 0) _connectedPerListener.AddOrUpdate(connection.Listener, 1, (_, n) => n + 1);
            if (EventRaised != null)
                Raise(new MqttBrokerEvent { Kind = MqttBrokerEventKind.ClientConnected, ClientId = clientId, Reason = connection.RemoteEndPoint?.ToString() });
            return session;
        }

        internal void OnConnectionClosed(BrokerConnection connection, string reason, MqttWillMessage will)
        {
            if (!connection.IsConnected) return;
            Counters.ClientDisconnected();
            if (connection.Listener != null && connection.Listener.MaxConnections > 0) _connectedPerListener.AddOrUpdate(connection.Listener, 0, (_, n) => n - 1);
            var session = connection.Session;
            var now = MonotonicClock.NowMilliseconds;
            bool owner;
            uint expiry;
            lock (session)
            {
                owner = session.Connection == connection;
                if (owner) session.Connection = null;
                expiry = session.SessionExpiryInterval;
                if (owner) session.ExpiresAtMilliseconds = ExpiryTime(expiry, now);
            }
            if (will != null)
            {
                var message = BrokerMessage.FromWill(will, connection.ClientId, now);
                uint delay = connection.V5 && will.HasProperties ? will.Properties.WillDelayInterval ?? 0 : 0;
                if (delay == 0) PublishWill(message, connection.Identity, connection.Authorizer);
                else if (owner)
                {
                    // The will waits for its delay, but never outlives the session [MQTT-3.1.3-9].
                    if (expiry == 0) PublishWill(message, connection.Identity, connection.Authorizer);
                    else _wills.Schedule(session, message, connection.Identity, connection.Authorizer, now + Math.Min(delay, expiry) * 1000L);
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
            if (will != null) PublishWill(will.Will, will.Publisher, will.Authorizer);
        }

        private void DiscardSession(MqttSession session)
        {
            int dropped;
            lock (session)
            {
                session.IsDiscarded = true;
                if (session.SubscriptionCount > 0)
                {
                    foreach (var s in session.Subscriptions.Values) _router.Remove(s);
                    session.Subscriptions.Clear();
                }
                dropped = session.QueueCount;
                session.QueueClear();
                session.ClearInflight();
            }
            Sessions.Remove(session);
            if (session.IsPersisted)
            {
                session.IsPersisted = false;
                Persistence?.SessionRemoved(session.ClientId);
            }
        }

        // ------------------------------------------------------------------ events

        internal void OnMessageDropped(string clientId, BrokerMessage message, string why, string topic = null)
        {
            Counters.AddPublishDropped();
            if (EventRaised != null)
                Raise(new MqttBrokerEvent { Kind = MqttBrokerEventKind.MessageDropped, ClientId = clientId, Topic = message?.Topic ?? topic, Message = message?.ToMqttMessage(MonotonicClock.NowMilliseconds), Reason = why });
        }

        /// <summary>Retained messages a subscriber did not get: counted (publish/messages/dropped) and reported once.</summary>
        internal void OnRetainedCut(string clientId, long count, string why)
        {
            Counters.AddPublishDropped(count);
            if (EventRaised != null)
                Raise(new MqttBrokerEvent { Kind = MqttBrokerEventKind.MessageDropped, ClientId = clientId, Reason = count + " retained message(s) not delivered: " + why });
        }

        internal void OnConnectRefused(BrokerConnection connection, ConnectReasonCode code, string why)
        {
            if (EventRaised != null)
                Raise(new MqttBrokerEvent { Kind = MqttBrokerEventKind.ClientDisconnected, ClientId = connection.ClientId, Reason = why, ReasonCode = (byte)code });
        }

        private void OnRetainedChanged(string topic, BrokerMessage message, string clearedBy)
        {
            // $SYS topics are the broker's own live figures: republished every interval, never restored from disk (stale).
            if (!_restoring && !topic.StartsWith("$SYS/", StringComparison.Ordinal)) Persistence?.RetainedChanged(topic, message?.ToMqttMessage(MonotonicClock.NowMilliseconds));
            if (EventRaised != null)
                Raise(new MqttBrokerEvent { Kind = MqttBrokerEventKind.RetainedMessageChanged, Topic = topic, ClientId = message?.SenderClientId ?? clearedBy, Message = message?.ToMqttMessage(MonotonicClock.NowMilliseconds), Reason = message == null ? "cleared" : "set" });
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
