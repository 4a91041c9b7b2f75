using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using MqttPS.Core.Client;
using MqttPS.Core.Messages;
using MqttPS.Core.Protocol;
using MqttPS.Core.Transport;

namespace MqttPS.Core.Broker.Bridges
{
    /// <summary>
    /// A running bridge. It has two clients: a local one, connected to its own broker over an in-process connection
    /// as the session <see cref="MqttBridgeOptions.ResolvedLocalClientId"/> (subscribed with No Local to the topics that
    /// go out, so what the bridge brings in never goes back), and a remote one per connection to the remote broker.
    /// Every message is acknowledged to the side it came from only once the other side has it (the clients defer
    /// their acknowledgements, see <see cref="MqttMessageReceivedEventArgs.Defer"/>): a QoS 1/2 message for an
    /// unreachable remote stays in the bridge's session in this broker (bounded by the broker's queue limits, persisted
    /// with it, re-sent after a restart) until the remote acknowledges it. QoS 0 messages are dropped while the remote
    /// is unreachable, and counted (reported once per outage).
    /// </summary>
    public sealed class MqttBridge
    {
        private static readonly TimeSpan PrimaryProbeInterval = TimeSpan.FromSeconds(5);
        private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(3);

        private readonly MqttBroker _broker;
        private readonly object _gate = new object();
        // QoS 1/2 messages from this broker, in arrival order, until the remote has them.
        private readonly LinkedList<PendingOut> _pending = new LinkedList<PendingOut>();
        private readonly SemaphoreSlim _wake = new SemaphoreSlim(0);
        private readonly Random _random = new Random();
        private MqttClient _local;
        private MqttClient _remote;
        private CancellationTokenSource _stop;
        private Task _run;
        private int _addressIndex;
        private bool _privateRefused;
        private bool _qos0DropsReported;
        private long _in, _out, _dropped, _lastActivity;
        private int _connects;
        private TimeSpan _delay;

        internal MqttBridge(MqttBroker broker, MqttBridgeOptions options)
        {
            _broker = broker;
            Options = options;
        }

        public MqttBridgeOptions Options { get; }
        public string Name => Options.Name;
        public MqttBridgeState State { get; private set; } = MqttBridgeState.Stopped;
        public string LastError { get; private set; }
        public string Address { get; private set; }
        public DateTimeOffset? ConnectedSince { get; private set; }

        public MqttBridgeStatistics GetStatistics()
        {
            int queued;
            lock (_gate) queued = _pending.Count;
            // What the bridge's session in this broker holds besides: queued behind its in-flight window.
            var session = _broker.Sessions.Get(Options.ResolvedLocalClientId);
            if (session != null) lock (session) queued = Math.Max(queued, session.InflightOutCount) + session.QueueCount;
            return new MqttBridgeStatistics
            {
                Name = Name,
                State = State,
                Address = Address,
                ConnectedSince = ConnectedSince,
                MessagesIn = Interlocked.Read(ref _in),
                MessagesOut = Interlocked.Read(ref _out),
                MessagesDropped = Interlocked.Read(ref _dropped),
                QueuedMessages = queued,
                Connects = Volatile.Read(ref _connects),
                LastError = LastError,
                Topics = Options.Topics.Select(t => t.ToString()).ToList(),
            };
        }

        // ------------------------------------------------------------------ lifecycle

        internal async Task StartAsync(CancellationToken cancellationToken)
        {
            _stop = new CancellationTokenSource();
            _delay = Options.RestartDelay;
            State = Options.StartType == MqttBridgeStartType.Lazy ? MqttBridgeState.Idle : MqttBridgeState.Connecting;
            // Like mosquitto: the state reads 0 until the first connection.
            if (Options.Notifications) await PublishLocalStateAsync(false).ConfigureAwait(false);
            _local = new MqttClient(LocalOptions());
            _local.MessageReceived += (_, e) => OnLocalMessage(e);
            await _local.ConnectAsync(cancellationToken).ConfigureAwait(false);
            // Retained messages go out at each connection to the remote (SubscribeLocalAsync there), not now.
            await SubscribeLocalAsync(RetainHandling.DoNotSend).ConfigureAwait(false);
            Touch();
            var ct = _stop.Token;
            _run = Task.Run(() => RunAsync(ct));
        }

        internal async Task StopAsync()
        {
            if (_stop == null) return;
            MqttClient remote;
            lock (_gate) { remote = _remote; _remote = null; }
            // An orderly stop sends no will: say "0" on the remote ourselves, before the connection is taken down.
            if (remote != null && Options.Notifications && !Options.NotificationsLocalOnly)
                await WithTimeout(SafePublish(remote, StateMessage(false, remote)), StopTimeout).ConfigureAwait(false);
            _stop.Cancel();
            if (remote != null)
            {
                await WithTimeout(remote.DisconnectAsync(), StopTimeout).ConfigureAwait(false);
                remote.Dispose();
            }
            if (Options.Notifications) await PublishLocalStateAsync(false).ConfigureAwait(false);
            if (_local != null)
            {
                await WithTimeout(_local.DisconnectAsync(), StopTimeout).ConfigureAwait(false);
                _local.Dispose();
            }
            await WithTimeout(_run ?? Task.CompletedTask, StopTimeout).ConfigureAwait(false);
            ConnectedSince = null;
            State = MqttBridgeState.Stopped;
        }

        /// <summary>Ends the bridge at once (the broker is disposed): nothing is said to anyone.</summary>
        internal void Abort()
        {
            _stop?.Cancel();
            MqttClient remote;
            lock (_gate) { remote = _remote; _remote = null; }
            remote?.Dispose();
            _local?.Dispose();
            State = MqttBridgeState.Stopped;
        }

        private static async Task WithTimeout(Task task, TimeSpan timeout)
        {
            try { await Task.WhenAny(task, Task.Delay(timeout)).ConfigureAwait(false); }
            catch (Exception) { }
            if (task.IsFaulted) _ = task.Exception;
        }

        // ------------------------------------------------------------------ the two clients

        private MqttClientOptions LocalOptions()
        {
            var localClean = Options.ResolvedLocalCleanSession;
            return new MqttClientOptions
            {
                Address = new MqttBrokerAddress("bridge." + Name, 1),
                StreamFactory = _ => Task.FromResult<Stream>(_broker.ConnectInternal("bridge " + Name)),
                ClientId = Options.ResolvedLocalClientId,
                ProtocolVersion = MqttProtocolVersion.V500,
                CleanStart = localClean,
                SessionExpiryInterval = localClean ? 0 : uint.MaxValue,
                KeepAliveSeconds = 0,
                // The broker's in-flight window towards the bridge: a lazy bridge must be able to hold its threshold.
                ReceiveMaximum = (ushort)Math.Min(65535, Math.Max(100, Options.Threshold)),
            };
        }

        private MqttClientOptions RemoteOptions(MqttBrokerAddress address, bool announce)
        {
            var v5 = Options.ProtocolVersion == MqttProtocolVersion.V500;
            var o = new MqttClientOptions
            {
                Address = address,
                ClientId = Options.ResolvedRemoteClientId,
                ProtocolVersion = Options.ProtocolVersion,
                CleanStart = Options.CleanSession,
                SessionExpiryInterval = v5 && !Options.CleanSession ? uint.MaxValue : 0,
                KeepAliveSeconds = Options.KeepAliveSeconds,
                Username = Options.RemoteUsername,
                Password = Options.RemotePassword == null ? null : System.Text.Encoding.UTF8.GetBytes(Options.RemotePassword),
                Tls = Options.Tls,
                AnnounceAsBridge = announce,
                MaximumPacketSize = Options.MaximumPacketSize,
                // The window the remote broker may fill before it waits for the bridge's acknowledgements (5.0).
                ReceiveMaximum = 100,
                ConnectTimeout = TimeSpan.FromSeconds(10),
            };
            if (Options.Notifications && !Options.NotificationsLocalOnly)
                o.Will = new MqttWillMessage { Topic = Options.ResolvedNotificationTopic, Payload = new[] { (byte)'0' }, QoS = MqttQualityOfService.AtLeastOnce, Retain = true };
            return o;
        }

        private Task SubscribeLocalAsync(RetainHandling retainHandling)
        {
            var subscriptions = Options.Topics.Where(t => t.GoesOut)
                .Select(t => new MqttTopicSubscription(t.LocalFilter, t.QoS) { NoLocal = true, RetainAsPublished = true, RetainHandling = retainHandling })
                .ToList();
            return subscriptions.Count == 0 ? Task.CompletedTask : _local.SubscribeAsync(subscriptions);
        }

        // ------------------------------------------------------------------ connecting

        private async Task RunAsync(CancellationToken ct)
        {
            while (!ct.IsCancellationRequested)
            {
                try
                {
                    if (Options.StartType == MqttBridgeStartType.Lazy && !ThresholdReached())
                    {
                        State = MqttBridgeState.Idle;
                        while (!ThresholdReached()) await _wake.WaitAsync(ct).ConfigureAwait(false);
                    }
                    var address = Options.Addresses[_addressIndex];
                    State = MqttBridgeState.Connecting;
                    Address = address.ToString();
                    MqttClient remote;
                    try
                    {
                        remote = await ConnectRemoteAsync(address, ct).ConfigureAwait(false);
                    }
                    catch (Exception e) when (!ct.IsCancellationRequested)
                    {
                        LastError = "connecting to " + address + ": " + e.Message;
                        _broker.OnBridgeStateChanged(this, "not connected: " + LastError);
                        NextAddress();
                        await WaitBeforeRetryAsync(ct).ConfigureAwait(false);
                        continue;
                    }
                    var idle = false;
                    try
                    {
                        Interlocked.Increment(ref _connects);
                        _delay = Options.RestartDelay;
                        ConnectedSince = DateTimeOffset.Now;
                        State = MqttBridgeState.Connected;
                        _broker.OnBridgeStateChanged(this, "connected to " + address);
                        idle = await RunConnectionAsync(remote, ct).ConfigureAwait(false);
                    }
                    finally
                    {
                        lock (_gate) if (_remote == remote) _remote = null;
                        remote.Dispose();
                        ConnectedSince = null;
                    }
                    if (ct.IsCancellationRequested) return;
                    if (Options.Notifications) await PublishLocalStateAsync(false).ConfigureAwait(false);
                    _qos0DropsReported = false;
                    _broker.OnBridgeStateChanged(this, idle ? "disconnected after " + Options.IdleTimeout.TotalSeconds + " s without traffic (lazy)" : "connection lost" + (LastError != null ? ": " + LastError : ""));
                    if (Options.StartType == MqttBridgeStartType.Once)
                    {
                        State = MqttBridgeState.Stopped;
                        return;
                    }
                    if (idle) continue;
                    // mosquitto moves on to the next address after a loss too.
                    NextAddress();
                    await WaitBeforeRetryAsync(ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e)
                {
                    // A bug here must not end the bridge for good: report it and try again after the back-off.
                    LastError = "internal error: " + e.Message;
                    _broker.ReportInternalError(null, e);
                    try { await WaitBeforeRetryAsync(ct).ConfigureAwait(false); } catch (OperationCanceledException) { return; }
                }
            }
        }

        private async Task<MqttClient> ConnectRemoteAsync(MqttBrokerAddress address, CancellationToken ct)
        {
            var announce = Options.TryPrivate && !_privateRefused && Options.ProtocolVersion != MqttProtocolVersion.V500;
            var client = RemoteClient(address, announce);
            try
            {
                await client.ConnectAsync(ct).ConfigureAwait(false);
                return client;
            }
            catch (MqttConnectException e) when (announce && e.ReasonCode == ConnectReasonCode.UnsupportedProtocolVersion)
            {
                // A broker that does not know the bridge flag refuses the protocol level: connect as a plain client
                // from now on, as mosquitto does (try_private_accepted).
                client.Dispose();
                _privateRefused = true;
                client = RemoteClient(address, false);
                await client.ConnectAsync(ct).ConfigureAwait(false);
                return client;
            }
            catch
            {
                client.Dispose();
                throw;
            }
        }

        /// <summary>A client for the remote broker, taking messages from the first one on: with a kept session the
        /// remote sends what waited for the bridge right after the CONNACK.</summary>
        private MqttClient RemoteClient(MqttBrokerAddress address, bool announce)
        {
            var client = new MqttClient(RemoteOptions(address, announce));
            client.MessageReceived += (_, e) => OnRemoteMessage(e);
            return client;
        }

        private void NextAddress()
        {
            _addressIndex = (_addressIndex + 1) % Options.Addresses.Count;
        }

        /// <summary>The restart back-off: RestartDelay, then (with a larger cap) decorrelated jitter as in mosquitto:
        /// each wait drawn between the base and three times the previous one, capped.</summary>
        private async Task WaitBeforeRetryAsync(CancellationToken ct)
        {
            State = MqttBridgeState.Waiting;
            var wait = _delay;
            if (Options.RestartDelayMax > Options.RestartDelay)
            {
                double low = Options.RestartDelay.TotalMilliseconds, high = Math.Max(low, _delay.TotalMilliseconds * 3);
                double next;
                lock (_random) next = low + _random.NextDouble() * (high - low);
                _delay = TimeSpan.FromMilliseconds(Math.Min(next, Options.RestartDelayMax.TotalMilliseconds));
            }
            await Task.Delay(wait, ct).ConfigureAwait(false);
        }

        /// <summary>Runs one connection to its end; true when a lazy bridge ended it for being idle.</summary>
        private async Task<bool> RunConnectionAsync(MqttClient remote, CancellationToken ct)
        {
            var lost = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            remote.ConnectionStateChanged += (_, e) =>
            {
                if (e.State != MqttConnectionState.Disconnected) return;
                if (!e.ClientInitiated) LastError = e.Reason;
                lost.TrySetResult(true);
            };
            if (!remote.IsConnected) return false;
            var v5 = Options.ProtocolVersion == MqttProtocolVersion.V500;
            if (Options.Notifications && !Options.NotificationsLocalOnly)
                ObserveFailure(remote.PublishAsync(StateMessage(true, remote)));
            var incoming = Options.Topics.Where(t => t.ComesIn)
                .Select(t => new MqttTopicSubscription(t.RemoteFilter, t.QoS) { NoLocal = v5, RetainAsPublished = v5 })
                .ToList();
            if (incoming.Count > 0)
            {
                var granted = await remote.SubscribeAsync(incoming, null, ct).ConfigureAwait(false);
                for (var i = 0; i < incoming.Count && i < granted.ReasonCodes.Count; i++)
                {
                    if ((byte)granted.ReasonCodes[i] >= 0x80)
                        _broker.OnBridgeStateChanged(this, "the remote broker refused the subscription to '" + incoming[i].TopicFilter + "' (" + granted.ReasonCodes[i] + ")");
                }
            }
            var outOnly = Options.Topics.Where(t => !t.ComesIn).Select(t => t.RemoteFilter).Distinct().ToList();
            if (Options.AttemptUnsubscribe && outOnly.Count > 0)
            {
                try { await remote.UnsubscribeAsync(outOnly, ct).ConfigureAwait(false); }
                catch (MqttProtocolException) { /* nothing to undo */ }
            }
            // Subscribing again sends this broker's retained messages out, at each connection as in mosquitto.
            await SubscribeLocalAsync(RetainHandling.SendAtSubscribe).ConfigureAwait(false);
            if (Options.Notifications) await PublishLocalStateAsync(true).ConfigureAwait(false);
            lock (_gate)
            {
                _remote = remote;
                foreach (var item in _pending) if (!item.Done) Send(item, remote);
            }
            Touch();
            using (var watching = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                var watch = Task.Run(() => WatchAsync(remote, watching.Token));
                var finished = await Task.WhenAny(lost.Task, watch).ConfigureAwait(false);
                var idle = finished == watch && watch.Status == TaskStatus.RanToCompletion && watch.Result;
                watching.Cancel();
                lock (_gate) if (_remote == remote) _remote = null;
                if (remote.IsConnected) await WithTimeout(remote.DisconnectAsync(), StopTimeout).ConfigureAwait(false);
                return idle;
            }
        }

        /// <summary>While connected: a lazy bridge ends the connection after its idle timeout (returns true); a bridge on
        /// a later address checks the first one and goes back to it as soon as it answers (returns false).</summary>
        private async Task<bool> WatchAsync(MqttClient remote, CancellationToken ct)
        {
            var lastProbe = MonotonicClock.NowMilliseconds;
            while (!ct.IsCancellationRequested && remote.IsConnected)
            {
                await Task.Delay(250, ct).ConfigureAwait(false);
                var now = MonotonicClock.NowMilliseconds;
                if (Options.StartType == MqttBridgeStartType.Lazy && now - Interlocked.Read(ref _lastActivity) > Options.IdleTimeout.TotalMilliseconds && PendingCount() == 0)
                    return true;
                if (!Options.RoundRobin && _addressIndex != 0 && now - lastProbe >= PrimaryProbeInterval.TotalMilliseconds)
                {
                    lastProbe = now;
                    if (await AnswersAsync(Options.Addresses[0], ct).ConfigureAwait(false))
                    {
                        _addressIndex = Options.Addresses.Count - 1; // NextAddress() after the loss makes it 0
                        _broker.OnBridgeStateChanged(this, "the first address " + Options.Addresses[0] + " answers again: moving back to it");
                        return false;
                    }
                }
            }
            return false;
        }

        private static async Task<bool> AnswersAsync(MqttBrokerAddress address, CancellationToken ct)
        {
            using (var tcp = new TcpClient())
            {
                var connect = tcp.ConnectAsync(address.Host, address.Port);
                var finished = await Task.WhenAny(connect, Task.Delay(3000, ct)).ConfigureAwait(false);
                if (finished != connect) { _ = connect.ContinueWith(t => _ = t.Exception, TaskScheduler.Default); return false; }
                return connect.Status == TaskStatus.RanToCompletion;
            }
        }

        // ------------------------------------------------------------------ messages out (this broker to the remote)

        /// <summary>A message from this broker, on the local client's receive loop: sent out (QoS 1/2: acknowledged here
        /// once the remote has it), or for QoS 0 sent or, while the remote is unreachable, dropped.</summary>
        private void OnLocalMessage(MqttMessageReceivedEventArgs e)
        {
            try { ForwardLocal(e); }
            catch (Exception x) when (!(x is OutOfMemoryException))
            {
                // A bug: reported and the message counted as dropped. Holding its acknowledgement back instead would
                // hold back every later one too (they go in order) and stall the bridge for good.
                _broker.ReportInternalError(null, x);
                e.Handled = true;
                Interlocked.Increment(ref _dropped);
            }
        }

        private void ForwardLocal(MqttMessageReceivedEventArgs e)
        {
            var message = e.Message;
            e.Handled = true;
            Touch();
            MqttBridgeTopic line = null;
            string remoteTopic = null;
            foreach (var t in Options.Topics)
            {
                if (!t.GoesOut) continue;
                remoteTopic = t.ToRemote(message.Topic);
                if (remoteTopic != null) { line = t; break; }
            }
            if (line == null) return; // not ours to carry (an earlier configuration's subscription): let it go
            var outgoing = Copy(message, remoteTopic, Min(message.QoS, line.QoS), Options.OutgoingRetain && message.Retain);
            if (outgoing.QoS == MqttQualityOfService.AtMostOnce)
            {
                MqttClient remote;
                lock (_gate) remote = _remote;
                if (remote != null)
                {
                    SafePublish(remote, outgoing).ContinueWith(t =>
                    {
                        if (t.Status == TaskStatus.RanToCompletion) Interlocked.Increment(ref _out);
                        else Interlocked.Increment(ref _dropped);
                    }, TaskScheduler.Default);
                }
                else DropQoS0(message);
                return;
            }
            var item = new PendingOut(message, outgoing);
            bool wake;
            lock (_gate)
            {
                item.Node = _pending.AddLast(item);
                if (_remote != null) Send(item, _remote);
                wake = _pending.Count >= Options.Threshold;
            }
            if (wake && Options.StartType == MqttBridgeStartType.Lazy && _wake.CurrentCount == 0) _wake.Release();
            e.Defer(item.Accepted.Task);
        }

        private void DropQoS0(MqttMessage message)
        {
            Interlocked.Increment(ref _dropped);
            if (_qos0DropsReported) return;
            _qos0DropsReported = true;
            // Counted every time, reported once per outage.
            _broker.OnMessageDropped(Options.ResolvedLocalClientId, null, "bridge '" + Name + "': QoS 0 messages are dropped while the remote broker is unreachable (counted in the bridge's MessagesDropped)", message.Topic);
        }

        /// <summary>Sends a pending message on a connection; its completion acknowledges it here (in order).</summary>
        private void Send(PendingOut item, MqttClient remote)
        {
            item.Remote = remote;
            SafePublish(remote, item.Outgoing).ContinueWith(t => Completed(item, remote, t), TaskScheduler.Default);
        }

        private static Task<MqttPublishResult> SafePublish(MqttClient remote, MqttMessage message)
        {
            try { return remote.PublishAsync(message); }
            catch (Exception e) when (!(e is OutOfMemoryException))
            {
                // Refused before sending (too large for the remote, retain or QoS it does not offer): it cannot cross.
                var failed = new TaskCompletionSource<MqttPublishResult>();
                failed.SetException(e);
                return failed.Task;
            }
        }

        private void Completed(PendingOut item, MqttClient remote, Task<MqttPublishResult> task)
        {
            lock (_gate)
            {
                if (item.Done || item.Remote != remote) return; // already acknowledged, or sent again on a newer connection
                var error = task.Exception?.GetBaseException();
                if (task.Status == TaskStatus.RanToCompletion) Interlocked.Increment(ref _out);
                else if (error is MqttPublishException || error is MqttProtocolException || error is ArgumentException)
                {
                    // The remote refused it (or cannot take it): it will never cross; counted and let go.
                    Interlocked.Increment(ref _dropped);
                    _broker.OnMessageDropped(Options.ResolvedLocalClientId, null, "bridge '" + Name + "': the remote broker did not take '" + item.Outgoing.Topic + "': " + error.Message, item.Local.Topic);
                }
                else
                {
                    item.Remote = null; // the connection ended first: it goes again on the next one
                    return;
                }
                item.Done = true;
                _pending.Remove(item.Node);
            }
            // The local client acknowledges it to this broker, in the order the broker sent them [MQTT-4.6.0-2].
            item.Accepted.TrySetResult(true);
        }

        private int PendingCount() { lock (_gate) return _pending.Count; }

        private bool ThresholdReached() => PendingCount() >= Options.Threshold;

        // ------------------------------------------------------------------ messages in (the remote to this broker)

        /// <summary>A message from the remote broker, on the remote client's receive loop: published here, and
        /// acknowledged to the remote once this broker has it (or refused it: it cannot cross, and is counted).</summary>
        private void OnRemoteMessage(MqttMessageReceivedEventArgs e)
        {
            try { ForwardRemote(e); }
            catch (Exception x) when (!(x is OutOfMemoryException))
            {
                // As for a local message: reported and counted, not left to stall the acknowledgements behind it.
                _broker.ReportInternalError(null, x);
                e.Handled = true;
                Interlocked.Increment(ref _dropped);
            }
        }

        private void ForwardRemote(MqttMessageReceivedEventArgs e)
        {
            var message = e.Message;
            e.Handled = true;
            Touch();
            foreach (var t in Options.Topics)
            {
                if (!t.ComesIn) continue;
                var localTopic = t.ToLocal(message.Topic);
                if (localTopic == null) continue;
                var published = SafeLocalPublish(Copy(message, localTopic, Min(message.QoS, t.QoS), message.Retain));
                var accepted = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                published.ContinueWith(p =>
                {
                    var error = p.Exception?.GetBaseException();
                    if (p.Status == TaskStatus.RanToCompletion) Interlocked.Increment(ref _in);
                    else if (error is MqttPublishException || error is MqttProtocolException || error is ArgumentException)
                    {
                        Interlocked.Increment(ref _dropped);
                        _broker.OnMessageDropped(Options.ResolvedLocalClientId, null, "bridge '" + Name + "': '" + message.Topic + "' from the remote broker was refused here: " + error.Message, localTopic);
                    }
                    else return; // this broker is stopping: not acknowledged, the remote sends it again
                    accepted.TrySetResult(true);
                }, TaskScheduler.Default);
                if (message.QoS != MqttQualityOfService.AtMostOnce) e.Defer(accepted.Task);
                return;
            }
        }

        private Task SafeLocalPublish(MqttMessage message)
        {
            try { return _local.PublishAsync(message); }
            catch (Exception e) when (!(e is OutOfMemoryException))
            {
                var failed = new TaskCompletionSource<bool>();
                failed.SetException(e);
                return failed.Task;
            }
        }

        // ------------------------------------------------------------------ helpers

        private void Touch() => Interlocked.Exchange(ref _lastActivity, MonotonicClock.NowMilliseconds);

        private static MqttQualityOfService Min(MqttQualityOfService a, MqttQualityOfService b) => a < b ? a : b;

        private static MqttMessage Copy(MqttMessage m, string topic, MqttQualityOfService qos, bool retain)
        {
            var copy = new MqttMessage
            {
                Topic = topic,
                PayloadBytes = m.PayloadBytes,
                QoS = qos,
                Retain = retain,
                ContentType = m.ContentType,
                PayloadFormatIndicator = m.PayloadFormatIndicator,
                MessageExpiryInterval = m.MessageExpiryInterval,
                ResponseTopic = m.ResponseTopic,
                CorrelationData = m.CorrelationData,
            };
            if (m.HasUserProperties) copy.UserProperties.AddRange(m.UserProperties);
            return copy;
        }

        private MqttMessage StateMessage(bool connected, MqttClient remote)
        {
            var qos = remote.LastConnectResult != null && remote.LastConnectResult.MaximumQoS == MqttQualityOfService.AtMostOnce ? MqttQualityOfService.AtMostOnce : MqttQualityOfService.AtLeastOnce;
            var retain = remote.LastConnectResult == null || remote.LastConnectResult.RetainAvailable;
            return new MqttMessage(Options.ResolvedNotificationTopic, connected ? "1" : "0", qos, retain);
        }

        private Task PublishLocalStateAsync(bool connected)
        {
            try
            {
                return _broker.PublishAsync(new MqttMessage(Options.ResolvedNotificationTopic, connected ? "1" : "0", MqttQualityOfService.AtLeastOnce, _broker.Options.RetainAvailable));
            }
            catch (Exception e) when (!(e is OutOfMemoryException))
            {
                _broker.ReportInternalError(null, e);
                return Task.CompletedTask;
            }
        }

        private static void ObserveFailure(Task task) => task.ContinueWith(t => _ = t.Exception, TaskContinuationOptions.OnlyOnFaulted);

        /// <summary>A message from this broker waiting for the remote's acknowledgement.</summary>
        private sealed class PendingOut
        {
            public PendingOut(MqttMessage local, MqttMessage outgoing) { Local = local; Outgoing = outgoing; }
            public MqttMessage Local { get; }
            public MqttMessage Outgoing { get; }
            public MqttClient Remote { get; set; }
            public bool Done { get; set; }
            public LinkedListNode<PendingOut> Node { get; set; }

            /// <summary>Completes when the remote has the message: the local client then acknowledges it here.</summary>
            public TaskCompletionSource<bool> Accepted { get; } = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }
}
