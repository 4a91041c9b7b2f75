using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Threading;
using System.Threading.Tasks;
using MqttPS.Core.Messages;
using MqttPS.Core.Protocol;
using MqttPS.Core.Transport;

namespace MqttPS.Core.Client
{
    /// <summary>
    /// An MQTT 5.0 / 3.1.1 / 3.1 client. One receive loop task and one writer per connection; QoS 1/2 publishes
    /// are pipelined up to the broker's Receive Maximum; received messages go to a bounded queue read with
    /// <see cref="ReceiveAsync"/> (back-pressure by default, see <see cref="ReceiveOverflowPolicy"/>). With
    /// AutoReconnect, a lost connection is re-established with exponential back-off and jitter, the session is
    /// resumed or the subscriptions are made again, unacknowledged publishes are resent with DUP and publishes
    /// made meanwhile (up to OfflineQueueCapacity) are sent after them.
    /// This file: lifecycle (connect, reconnect, disconnect, dispose). Publishing, receiving and subscriptions are
    /// in the other MqttClient.*.cs files.
    /// </summary>
    public sealed partial class MqttClient : IDisposable
    {
        private readonly MqttClientOptions _options;
        private readonly object _stateLock = new object();
        private readonly object _sessionLock = new object();
        private readonly CancellationTokenSource _lifetime = new CancellationTokenSource();
        private readonly Random _jitter = new Random();
        private readonly PacketIdentifierPool _packetIds = new PacketIdentifierPool();
        private readonly AsyncBoundedQueue<MqttMessage> _receiveQueue;

        private volatile MqttClientConnection _connection;
        private bool _connecting;
        private bool _userDisconnected;
        private bool _everConnected;
        /// <summary>Why automatic reconnecting was stopped for good (<see cref="StopReconnecting"/>), or null.</summary>
        private string _noReconnectReason;
        private int _reconnects;
        /// <summary>Set (under _stateLock) when a loss starts automatic reconnecting; cleared when it succeeds or gives up.</summary>
        private volatile bool _reconnectPending;
        private int _disposed;
        private CancellationTokenSource _reconnectCancellation;
        private Task _reconnectTask = Task.CompletedTask;
        private string _clientId;
        private MqttProtocolVersion _protocolVersion;

        public MqttClient(MqttClientOptions options)
        {
            _options = (options ?? throw new ArgumentNullException(nameof(options))).Validate();
            _receiveQueue = new AsyncBoundedQueue<MqttMessage>(options.ReceiveQueueCapacity);
            // Null: one is made up. Empty: sent empty, so that the broker assigns one [MQTT-3.1.3-6] (5.0 returns it in
            // the CONNACK's Assigned Client Identifier [MQTT-3.2.2-16], which then replaces it here).
            _clientId = options.ClientId ?? GenerateClientId();
            _protocolVersion = options.ProtocolVersion;
        }

        public MqttClientOptions Options => _options;
        public MqttBrokerAddress Address => _options.Address;
        public bool IsConnected => _connection != null;

        /// <summary>The client identifier in use: the configured one, the generated one, or the one the broker assigned.</summary>
        public string ClientId => _clientId;

        /// <summary>The protocol version of the current (or last) connection, after any fallback.</summary>
        public MqttProtocolVersion ProtocolVersion => _protocolVersion;

        public MqttConnectResult LastConnectResult { get; private set; }

        public MqttConnectionState State
        {
            get
            {
                if (_connection != null) return MqttConnectionState.Connected;
                lock (_stateLock)
                {
                    if (_connecting) return MqttConnectionState.Connecting;
                    if (_reconnectPending) return MqttConnectionState.Reconnecting;
                }
                return MqttConnectionState.Disconnected;
            }
        }

        /// <summary>QoS 1/2 publishes awaiting acknowledgement plus publishes queued while offline.</summary>
        public int PendingPublishes
        {
            get
            {
                lock (_sessionLock) return _outgoing.Count + _awaitingWindow.Count + _offline.Count;
            }
        }

        /// <summary>Publishes accepted while disconnected and waiting for the reconnect (at most OfflineQueueCapacity).</summary>
        public int OfflinePublishes
        {
            get
            {
                lock (_sessionLock) return _offline.Count;
            }
        }

        /// <summary>How often the client reconnected automatically after a lost connection.</summary>
        public int ReconnectCount => Volatile.Read(ref _reconnects);

        /// <summary>Messages discarded by the DropOldest/DropNewest overflow policies.</summary>
        public long DroppedMessages => Interlocked.Read(ref _droppedMessages);

        /// <summary>Messages waiting in the receive queue.</summary>
        public int QueuedMessages => _receiveQueue.Count;

        public event EventHandler<MqttConnectionStateChangedEventArgs> ConnectionStateChanged;

        /// <summary>Raised on the network loop for every received message, before it is queued; keep handlers short.</summary>
        public event EventHandler<MqttMessageReceivedEventArgs> MessageReceived;

        /// <summary>Protocol conversation log ("-> PUBLISH topic=a/b qos=1 id=3 (12 bytes)"), for -Verbose. Called from network threads.</summary>
        public Action<string> Trace { get; set; }

        private static string GenerateClientId()
        {
            var bytes = Guid.NewGuid().ToByteArray();
            return "mqttps-" + BitConverter.ToString(bytes, 0, 6).Replace("-", "").ToLowerInvariant();
        }

        private void Log(string line)
        {
            var trace = Trace;
            if (trace == null) return;
            try { trace(line); } catch (Exception) { /* a failing logger must not break the connection */ }
        }

        private void ThrowIfDisposed()
        {
            if (Volatile.Read(ref _disposed) != 0) throw new ObjectDisposedException(nameof(MqttClient), "The MQTT client was disposed.");
        }

        // ------------------------------------------------------------------ connect

        /// <summary>
        /// Connects and completes at a successful CONNACK. Throws <see cref="MqttConnectException"/> when the broker
        /// refuses (with its reason code) or cannot be reached, <see cref="TimeoutException"/> after ConnectTimeout.
        /// </summary>
        public async Task<MqttConnectResult> ConnectAsync(CancellationToken cancellationToken = default(CancellationToken))
        {
            ThrowIfDisposed();
            lock (_stateLock)
            {
                if (_connection != null) throw new InvalidOperationException("The client is already connected to " + Address + ".");
                if (_connecting) throw new InvalidOperationException("The client is already connecting to " + Address + ".");
                if (_reconnectPending) throw new InvalidOperationException("The client is reconnecting to " + Address + " automatically; disconnect first.");
                _connecting = true;
                _userDisconnected = false;
            }
            try
            {
                _receiveQueue.Reopen();
                return await ConnectCoreAsync(false, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                lock (_stateLock) _connecting = false;
            }
        }

        private async Task<MqttConnectResult> ConnectCoreAsync(bool isReconnect, CancellationToken cancellationToken)
        {
            var version = isReconnect ? _protocolVersion : _options.ProtocolVersion;
            while (true)
            {
                try
                {
                    return await ConnectOnceAsync(version, isReconnect, cancellationToken).ConfigureAwait(false);
                }
                catch (MqttConnectException e) when (e.ReasonCode == ConnectReasonCode.UnsupportedProtocolVersion && _options.AllowProtocolFallback && version != MqttProtocolVersion.V310)
                {
                    var lower = version == MqttProtocolVersion.V500 ? MqttProtocolVersion.V311 : MqttProtocolVersion.V310;
                    Log("broker refused " + Describe(version) + ", falling back to " + Describe(lower));
                    version = lower;
                }
            }
        }

        internal static string Describe(MqttProtocolVersion version)
        {
            switch (version)
            {
                case MqttProtocolVersion.V310: return "MQTT 3.1";
                case MqttProtocolVersion.V311: return "MQTT 3.1.1";
                default: return "MQTT 5.0";
            }
        }

        private ConnectPacket BuildConnectPacket(MqttProtocolVersion version, bool isReconnect)
        {
            var packet = new ConnectPacket
            {
                ProtocolVersion = version,
                ClientId = _clientId,
                // A 5.0 reconnect always asks to resume; the session expiry interval decides whether there is a session.
                CleanStart = isReconnect && version == MqttProtocolVersion.V500 ? false : _options.CleanStart,
                KeepAliveSeconds = _options.KeepAliveSeconds,
                Username = _options.Username,
                Password = _options.Password,
                Will = _options.Will,
                IsBridge = _options.AnnounceAsBridge && version != MqttProtocolVersion.V500,
            };
            if (version == MqttProtocolVersion.V500)
            {
                var p = packet.Properties;
                if (_options.SessionExpiryInterval != 0) p.SessionExpiryInterval = _options.SessionExpiryInterval;
                if (_options.ReceiveMaximum != 0) p.ReceiveMaximum = _options.ReceiveMaximum;
                if (_options.MaximumPacketSize != 0) p.MaximumPacketSize = _options.MaximumPacketSize;
                if (_options.TopicAliasMaximum != 0) p.TopicAliasMaximum = _options.TopicAliasMaximum;
                if (_options.RequestResponseInformation) p.RequestResponseInformation = 1;
                if (!_options.RequestProblemInformation) p.RequestProblemInformation = 0;
                if (_options.HasUserProperties) p.UserProperties.AddRange(_options.UserProperties);
                if (_options.Authenticator != null)
                {
                    p.AuthenticationMethod = _options.Authenticator.AuthenticationMethod;
                    p.AuthenticationData = _options.Authenticator.GetInitialData();
                }
            }
            return packet;
        }

        private async Task<MqttConnectResult> ConnectOnceAsync(MqttProtocolVersion version, bool isReconnect, CancellationToken cancellationToken)
        {
            var connect = BuildConnectPacket(version, isReconnect);
            // Encoded before any socket exists: invalid options (bad will topic, oversized fields) fail as themselves.
            var connectBytes = MqttPacketEncoder.Encode(connect, version);
            Stream stream = null;
            MqttPacketDecoder decoder = null;
            var stage = "TCP connection";
            using (var timeout = new CancellationTokenSource(_options.ConnectTimeout))
            using (var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token, _lifetime.Token))
            {
                try
                {
                    Log("connecting to " + Address + " with " + Describe(version) + " as '" + _clientId + "'");
                    stream = _options.StreamFactory != null
                        ? await _options.StreamFactory(linked.Token).ConfigureAwait(false)
                        : await MqttTransportConnector.ConnectAsync(Address, _options.Tls, linked.Token).ConfigureAwait(false);
                    stage = "CONNACK";
                    decoder = new MqttPacketDecoder(version, _options.MaximumPacketSize);
                    ConnAckPacket connAck;
                    var abortStream = stream;
                    using (linked.Token.Register(() => abortStream.Dispose()))
                    {
                        Log("-> CONNECT clientId=" + _clientId + " cleanStart=" + connect.CleanStart + " keepAlive=" + connect.KeepAliveSeconds + (connect.Username != null ? " user=" + connect.Username : "") + (connect.Will != null ? " will=" + connect.Will.Topic : ""));
                        await stream.WriteAsync(connectBytes, 0, connectBytes.Length, linked.Token).ConfigureAwait(false);
                        await stream.FlushAsync(linked.Token).ConfigureAwait(false);
                        connAck = await ReadConnAckAsync(stream, decoder, version, linked.Token).ConfigureAwait(false);
                    }
                    linked.Token.ThrowIfCancellationRequested();
                    return CompleteConnect(stream, decoder, version, connAck, isReconnect);
                }
                catch (Exception e)
                {
                    stream?.Dispose();
                    decoder?.Dispose();
                    if (_lifetime.IsCancellationRequested) throw new ObjectDisposedException(nameof(MqttClient), "The MQTT client was disposed while connecting.");
                    if (cancellationToken.IsCancellationRequested) throw new OperationCanceledException("Connecting to " + Address + " was cancelled.", e, cancellationToken);
                    if (timeout.IsCancellationRequested)
                        throw new TimeoutException("Connecting to " + Address + " timed out after " + _options.ConnectTimeout.TotalSeconds + " s while waiting for the " + stage + ".", e);
                    if (e is MqttConnectException) throw;
                    if (e is SocketException se)
                        throw new MqttConnectException(Address, null, null, "Could not connect to " + Address + ": " + se.Message + " (" + se.SocketErrorCode + ").", e);
                    if (e is AuthenticationException)
                        throw new MqttConnectException(Address, null, null, e.Message, e);
                    if (e is IOException || e is ObjectDisposedException || e is MqttProtocolException)
                        throw new MqttConnectException(Address, null, null, "The connection to " + Address + " failed before CONNACK: " + e.Message +
                            (version == MqttProtocolVersion.V500 && stage == "CONNACK" && !(e is MqttProtocolException) ? " If the broker does not support MQTT 5.0, connect with protocol version 3.1.1." : ""), e);
                    throw;
                }
            }
        }

        private async Task<ConnAckPacket> ReadConnAckAsync(Stream stream, MqttPacketDecoder decoder, MqttProtocolVersion version, CancellationToken cancellationToken)
        {
            var first = true;
            byte[] firstBytes = null;
            while (true)
            {
                while (TryDecodeBeforeConnAck(decoder, firstBytes, out var packet))
                {
                    switch (packet)
                    {
                        case ConnAckPacket connAck:
                            Log("<- CONNACK " + connAck.ReasonCode + (connAck.SessionPresent ? " sessionPresent" : ""));
                            return connAck;
                        case AuthPacket auth when version == MqttProtocolVersion.V500 && _options.Authenticator != null && auth.ReasonCode == AuthReasonCode.ContinueAuthentication:
                            Log("<- AUTH " + auth.ReasonCode);
                            var data = await _options.Authenticator.RespondAsync(auth.HasProperties ? auth.Properties.AuthenticationData : null, cancellationToken).ConfigureAwait(false);
                            var reply = new AuthPacket { ReasonCode = AuthReasonCode.ContinueAuthentication };
                            reply.Properties.AuthenticationMethod = _options.Authenticator.AuthenticationMethod;
                            reply.Properties.AuthenticationData = data;
                            var bytes = MqttPacketEncoder.Encode(reply, version);
                            Log("-> AUTH ContinueAuthentication");
                            await stream.WriteAsync(bytes, 0, bytes.Length, cancellationToken).ConfigureAwait(false);
                            break;
                        case DisconnectPacket disconnect:
                            throw new MqttConnectException(Address, null, disconnect.HasProperties ? disconnect.Properties.ReasonString : null,
                                "The broker at " + Address + " sent DISCONNECT " + disconnect.ReasonCode + " instead of CONNACK.");
                        default:
                            throw new MqttProtocolException(MqttReasonCode.ProtocolError, "MQTT-3.2.0-1", "The broker sent " + packet.PacketType + " before CONNACK.");
                    }
                }
                var segment = decoder.GetReceiveBuffer(4096);
                var n = await stream.ReadAsync(segment.Array, segment.Offset, segment.Count, cancellationToken).ConfigureAwait(false);
                if (n == 0)
                    throw new MqttConnectException(Address, null, null, "The broker at " + Address + " closed the connection without CONNACK" +
                        (version == MqttProtocolVersion.V500 ? "; it may not support MQTT 5.0: connect with protocol version 3.1.1." : "."))
                    { ClosedBeforeConnAck = firstBytes == null };
                if (firstBytes == null)
                {
                    firstBytes = new byte[Math.Min(n, 64)];
                    Buffer.BlockCopy(segment.Array, segment.Offset, firstBytes, 0, firstBytes.Length);
                }
                if (first && version == MqttProtocolVersion.V500 && n >= 4 && segment.Array[segment.Offset] == 0x20 && segment.Array[segment.Offset + 1] == 0x02)
                {
                    // A 3.1.1-style CONNACK (remaining length 2, no properties) in answer to a 5.0 CONNECT: a broker that does
                    // not speak 5.0 answering in its own version [MQTT-3.1.2-2]; return code 1 means unacceptable version.
                    var code = segment.Array[segment.Offset + 3];
                    var mapped = code <= 5 ? ConnAckPacketCodec.FromReturnCode(code) : ConnectReasonCode.UnspecifiedError;
                    Log("<- CONNACK (3.1.1 format) return code " + code);
                    throw Refusal(mapped, null, version);
                }
                first = false;
                decoder.Commit(n);
            }
        }

        /// <summary>A reply that breaks MQTT before the CONNACK is no MQTT broker speaking: the error keeps its first bytes
        /// so that it can say what the server speaks instead.</summary>
        private bool TryDecodeBeforeConnAck(MqttPacketDecoder decoder, byte[] firstBytes, out MqttPacket packet)
        {
            try
            {
                return decoder.TryDecode(out packet);
            }
            catch (MqttProtocolException e)
            {
                throw new MqttConnectException(Address, null, null, "The server at " + Address + " did not answer as an MQTT broker: " + e.Message, e)
                { ReceivedBeforeConnAck = firstBytes };
            }
        }

        private MqttConnectException Refusal(ConnectReasonCode code, ConnAckPacket connAck, MqttProtocolVersion version)
        {
            var reasonString = connAck != null && connAck.HasProperties ? connAck.Properties.ReasonString : null;
            var hex = " (CONNACK reason code 0x" + ((byte)code).ToString("X2") + " " + code + ")";
            string message;
            switch (code)
            {
                case ConnectReasonCode.UnsupportedProtocolVersion:
                    var suggestion = version == MqttProtocolVersion.V500 ? "MQTT 3.1.1 (protocol version 3.1.1 / V311)" : version == MqttProtocolVersion.V311 ? "MQTT 3.1 (V310) or 5.0" : "MQTT 3.1.1 or 5.0";
                    message = "The broker at " + Address + " does not support " + Describe(version) + hex + ". Connect with " + suggestion +
                              (_options.AllowProtocolFallback ? "." : ", or allow protocol fallback to let the client try older versions.");
                    break;
                case ConnectReasonCode.BadUserNameOrPassword:
                    message = "The broker at " + Address + " refused the user name or password" + hex + ".";
                    break;
                case ConnectReasonCode.NotAuthorized:
                    message = "The broker at " + Address + " refused the connection: not authorized" + hex + ".";
                    break;
                case ConnectReasonCode.ClientIdentifierNotValid:
                    message = "The broker at " + Address + " refused the client identifier '" + _clientId + "'" + hex + ".";
                    break;
                case ConnectReasonCode.BadAuthenticationMethod:
                    message = "The broker at " + Address + " does not support the authentication method" + (_options.Authenticator != null ? " '" + _options.Authenticator.AuthenticationMethod + "'" : "") + hex + ".";
                    break;
                default:
                    message = "The broker at " + Address + " refused the connection" + hex + ".";
                    break;
            }
            if (!string.IsNullOrEmpty(reasonString)) message += " Broker says: " + reasonString;
            var serverReference = connAck != null && connAck.HasProperties ? connAck.Properties.ServerReference : null;
            if (!string.IsNullOrEmpty(serverReference)) message += " Server reference: " + serverReference;
            return new MqttConnectException(Address, code, reasonString, message) { ServerReference = serverReference };
        }

        private MqttConnectResult CompleteConnect(Stream stream, MqttPacketDecoder decoder, MqttProtocolVersion version, ConnAckPacket connAck, bool isReconnect)
        {
            if (connAck.ReasonCode != ConnectReasonCode.Success) throw Refusal(connAck.ReasonCode, connAck, version);

            var result = new MqttConnectResult
            {
                ReasonCode = connAck.ReasonCode,
                SessionPresent = connAck.SessionPresent,
                ProtocolVersion = version,
                KeepAliveSeconds = _options.KeepAliveSeconds,
            };
            if (version == MqttProtocolVersion.V500 && connAck.HasProperties)
            {
                var p = connAck.Properties;
                result.AssignedClientIdentifier = p.AssignedClientIdentifier;
                result.ReasonString = p.ReasonString;
                result.ServerKeepAlive = p.ServerKeepAlive;
                if (p.ServerKeepAlive.HasValue) result.KeepAliveSeconds = p.ServerKeepAlive.Value; // [MQTT-3.1.2-21]
                result.SessionExpiryInterval = p.SessionExpiryInterval;
                if (p.ReceiveMaximum.HasValue) result.ReceiveMaximum = p.ReceiveMaximum.Value;
                if (p.MaximumQoS.HasValue) result.MaximumQoS = (MqttQualityOfService)p.MaximumQoS.Value;
                if (p.RetainAvailable.HasValue) result.RetainAvailable = p.RetainAvailable.Value != 0;
                if (p.MaximumPacketSize.HasValue) result.MaximumPacketSize = p.MaximumPacketSize.Value;
                if (p.TopicAliasMaximum.HasValue) result.TopicAliasMaximum = p.TopicAliasMaximum.Value;
                if (p.WildcardSubscriptionAvailable.HasValue) result.WildcardSubscriptionAvailable = p.WildcardSubscriptionAvailable.Value != 0;
                if (p.SubscriptionIdentifierAvailable.HasValue) result.SubscriptionIdentifiersAvailable = p.SubscriptionIdentifierAvailable.Value != 0;
                if (p.SharedSubscriptionAvailable.HasValue) result.SharedSubscriptionAvailable = p.SharedSubscriptionAvailable.Value != 0;
                result.ResponseInformation = p.ResponseInformation;
                result.ServerReference = p.ServerReference;
                result.AuthenticationData = p.AuthenticationData;
                if (p.HasUserProperties) result.UserProperties = p.UserProperties.ToArray();
            }
            if (!string.IsNullOrEmpty(result.AssignedClientIdentifier)) _clientId = result.AssignedClientIdentifier;
            result.ClientId = _clientId;
            _options.Authenticator?.OnAuthenticated(result.AuthenticationData);

            var connection = new MqttClientConnection(stream, decoder, version, result, _lifetime.Token);
            connection.Writer = new PacketWriter(stream, version, connection.Cancellation.Token, e => OnConnectionLost(connection, e, null, null));
            connection.Acknowledgements = new AcknowledgementSequencer(publish => WriteAcknowledgement(connection, publish));
            if (version == MqttProtocolVersion.V500 && _options.UseTopicAliases && result.TopicAliasMaximum > 0)
                connection.Writer.TopicAliases = new OutgoingTopicAliases(result.TopicAliasMaximum);
            if (version == MqttProtocolVersion.V500 && _options.TopicAliasMaximum > 0)
                connection.IncomingAliases = new IncomingTopicAliases(_options.TopicAliasMaximum);

            if (!connAck.SessionPresent)
            {
                // [MQTT-3.2.2-5]: the broker has no session, so neither may we: forget incoming QoS 2 state. A
                // reconnect makes the recorded subscriptions again; a connect by the user starts from nothing.
                lock (_sessionLock)
                {
                    _incomingQoS2.Clear();
                    if (!isReconnect)
                    {
                        _subscriptions.Clear();
                        _responseTopic = null;
                    }
                }
            }

            lock (_stateLock)
            {
                if (Volatile.Read(ref _disposed) != 0 || _lifetime.IsCancellationRequested)
                {
                    connection.Close();
                    throw new ObjectDisposedException(nameof(MqttClient), "The MQTT client was disposed while connecting.");
                }
                if (isReconnect && (_userDisconnected || _noReconnectReason != null))
                {
                    // DisconnectAsync or StopReconnecting ran while this reconnect was completing: it must not leave a live connection behind.
                    connection.Close();
                    throw new OperationCanceledException("The client was disconnected while reconnecting.");
                }
                _connection = connection;
                if (isReconnect)
                {
                    _reconnectPending = false;
                    Interlocked.Increment(ref _reconnects);
                }
                _protocolVersion = version;
                _everConnected = true;
                LastConnectResult = result;
            }
            connection.ReceiveTask = Task.Run(() => ReceiveLoopAsync(connection));
            if (result.KeepAliveSeconds > 0) connection.KeepAliveTask = Task.Run(() => KeepAliveLoopAsync(connection));

            RaiseStateChanged(new MqttConnectionStateChangedEventArgs(isReconnect ? MqttConnectionState.Reconnected : MqttConnectionState.Connected) { SessionPresent = connAck.SessionPresent });
            ResumeSession(connection, connAck.SessionPresent, isReconnect);
            return result;
        }

        // ------------------------------------------------------------------ connection loss and reconnect

        private void OnConnectionLost(MqttClientConnection connection, Exception exception, DisconnectReasonCode? reasonCode, string reasonString)
        {
            bool reconnect;
            lock (_stateLock)
            {
                if (_connection != connection) { connection.Close(); return; }
                _connection = null;
                // A session taken over by another connection with our client id must not take it back: the two would
                // throw each other out for ever [MQTT-3.1.4-3].
                reconnect = _options.AutoReconnect && !_userDisconnected && _noReconnectReason == null && Volatile.Read(ref _disposed) == 0 &&
                            reasonCode != DisconnectReasonCode.SessionTakenOver;
                _reconnectPending = reconnect;
                if (reconnect)
                {
                    _reconnectCancellation = CancellationTokenSource.CreateLinkedTokenSource(_lifetime.Token);
                }
            }
            connection.Close();
            var message = reasonCode.HasValue
                ? "The broker closed the connection with DISCONNECT " + reasonCode + (string.IsNullOrEmpty(reasonString) ? "." : ": " + reasonString)
                : "The connection to " + Address + " was lost" + (exception != null ? ": " + exception.Message : ".");
            Log("connection lost: " + message);
            var lost = new MqttConnectionLostException(message, reasonCode, exception);
            FailRequests(lost);
            if (!reconnect) FailSession(lost);
            RaiseStateChanged(new MqttConnectionStateChangedEventArgs(MqttConnectionState.Disconnected) { ReasonCode = reasonCode, Reason = reasonString ?? message, Exception = exception, WillReconnect = reconnect });
            if (reconnect)
            {
                var token = _reconnectCancellation.Token;
                lock (_stateLock) _reconnectTask = Task.Run(() => ReconnectLoopAsync(token));
            }
        }

        private async Task ReconnectLoopAsync(CancellationToken cancellationToken)
        {
            var attempt = 0;
            while (!cancellationToken.IsCancellationRequested)
            {
                attempt++;
                if (_options.MaxReconnectAttempts > 0 && attempt > _options.MaxReconnectAttempts)
                {
                    var gaveUp = new MqttConnectionLostException("Gave up reconnecting to " + Address + " after " + _options.MaxReconnectAttempts + " attempts.");
                    _reconnectPending = false;
                    FailSession(gaveUp);
                    RaiseStateChanged(new MqttConnectionStateChangedEventArgs(MqttConnectionState.Disconnected) { Reason = gaveUp.Message, Exception = gaveUp, Attempt = attempt - 1 });
                    return;
                }
                var delay = ReconnectDelay(attempt);
                RaiseStateChanged(new MqttConnectionStateChangedEventArgs(MqttConnectionState.Reconnecting) { Attempt = attempt, Delay = delay });
                try
                {
                    await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                    await ConnectCoreAsync(true, cancellationToken).ConfigureAwait(false);
                    return;
                }
                catch (Exception) when (cancellationToken.IsCancellationRequested)
                {
                    _reconnectPending = false;
                    return;
                }
                catch (Exception e)
                {
                    Log("reconnect attempt " + attempt + " failed: " + e.Message);
                    if (e is MqttConnectException ce && ce.ReasonCode.HasValue && IsPermanentRefusal(ce.ReasonCode.Value))
                    {
                        // Wrong credentials or a banned client do not get better by retrying.
                        _reconnectPending = false;
                        FailSession(ce);
                        RaiseStateChanged(new MqttConnectionStateChangedEventArgs(MqttConnectionState.Disconnected) { Reason = ce.Message, Exception = ce, Attempt = attempt });
                        return;
                    }
                }
            }
            _reconnectPending = false;
        }

        /// <summary>
        /// Ends automatic reconnecting for good: a reconnect in progress stops, its publishes fail, and later losses
        /// are not reconnected. For a connection whose session another connection has taken over on purpose (same
        /// client id); a live connection is left as it is.
        /// </summary>
        public void StopReconnecting(string reason)
        {
            bool wasReconnecting;
            lock (_stateLock)
            {
                _noReconnectReason = reason ?? "automatic reconnecting was stopped";
                wasReconnecting = _reconnectPending && _connection == null;
                if (wasReconnecting) _reconnectPending = false;
            }
            if (!wasReconnecting) return;
            try { _reconnectCancellation?.Cancel(); } catch (ObjectDisposedException) { }
            Log("reconnecting stopped: " + _noReconnectReason);
            var stopped = new MqttConnectionLostException(_noReconnectReason);
            FailSession(stopped);
            RaiseStateChanged(new MqttConnectionStateChangedEventArgs(MqttConnectionState.Disconnected) { Reason = _noReconnectReason, Exception = stopped });
        }

        private static bool IsPermanentRefusal(ConnectReasonCode code)
        {
            switch (code)
            {
                case ConnectReasonCode.BadUserNameOrPassword:
                case ConnectReasonCode.NotAuthorized:
                case ConnectReasonCode.Banned:
                case ConnectReasonCode.BadAuthenticationMethod:
                case ConnectReasonCode.UnsupportedProtocolVersion:
                case ConnectReasonCode.ClientIdentifierNotValid:
                    return true;
                default:
                    return false;
            }
        }

        /// <summary>Exponential back-off (min * 2^(attempt-1), capped) with jitter: a random point in its upper half,
        /// so that many clients dropped together do not reconnect in lock step.</summary>
        private TimeSpan ReconnectDelay(int attempt)
        {
            var min = _options.ReconnectMinDelay.TotalMilliseconds;
            var max = _options.ReconnectMaxDelay.TotalMilliseconds;
            var exponential = Math.Min(max, min * Math.Pow(2, Math.Min(attempt - 1, 30)));
            double factor;
            lock (_jitter) factor = 0.5 + _jitter.NextDouble() * 0.5;
            return TimeSpan.FromMilliseconds(exponential * factor);
        }

        private void RaiseStateChanged(MqttConnectionStateChangedEventArgs args)
        {
            Log("state: " + args);
            var handler = ConnectionStateChanged;
            if (handler == null) return;
            try { handler(this, args); }
            catch (Exception e) { Log("ConnectionStateChanged handler failed: " + e.Message); }
        }

        // ------------------------------------------------------------------ disconnect and dispose

        /// <summary>
        /// Sends DISCONNECT with <paramref name="reason"/> (5.0; NormalDisconnection makes the broker discard the will,
        /// DisconnectWithWillMessage publishes it), closes the connection, stops reconnecting and waits for the
        /// network tasks to end. Unacknowledged publishes fail; ReceiveAsync returns the queued messages, then null.
        /// </summary>
        public async Task DisconnectAsync(DisconnectReasonCode reason = DisconnectReasonCode.NormalDisconnection, CancellationToken cancellationToken = default(CancellationToken))
        {
            if (Volatile.Read(ref _disposed) != 0) return;
            MqttClientConnection connection;
            Task reconnectTask;
            bool wasReconnecting;
            lock (_stateLock)
            {
                _userDisconnected = true;
                connection = _connection;
                _connection = null;
                reconnectTask = _reconnectTask;
                wasReconnecting = _reconnectPending;
            }
            try { _reconnectCancellation?.Cancel(); } catch (ObjectDisposedException) { }
            _reconnectPending = false;
            if (connection != null)
            {
                try
                {
                    Task write;
                    if (reason == DisconnectReasonCode.DisconnectWithWillMessage && connection.Version != MqttProtocolVersion.V500)
                    {
                        // 3.1/3.1.1 have no "disconnect with will": the will is published when the connection ends without DISCONNECT.
                        Log("closing without DISCONNECT so that the broker publishes the will (" + Describe(connection.Version) + ")");
                        write = Task.CompletedTask;
                    }
                    else
                    {
                        Log("-> DISCONNECT " + reason);
                        write = connection.Writer.WriteAsync(new DisconnectPacket { ReasonCode = reason });
                    }
                    using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                    {
                        timeout.CancelAfter(_options.DisconnectTimeout);
                        var delay = Task.Delay(Timeout.Infinite, timeout.Token);
                        if (await Task.WhenAny(write, delay).ConfigureAwait(false) == write && write.Status == TaskStatus.RanToCompletion && connection.Stream is WebSocketStream ws)
                        {
                            await ws.CloseAsync(1000, timeout.Token).ConfigureAwait(false);
                        }
                        timeout.Cancel();
                        try { await delay.ConfigureAwait(false); } catch (OperationCanceledException) { }
                    }
                    Observe(write);
                }
                catch (Exception e) when (!(e is OutOfMemoryException))
                {
                    Log("DISCONNECT could not be sent: " + e.Message);
                }
                connection.Close();
                try { await Task.WhenAll(connection.ReceiveTask, connection.KeepAliveTask).ConfigureAwait(false); } catch (Exception) { /* loops end on close; their errors are moot now */ }
            }
            try { await reconnectTask.ConfigureAwait(false); } catch (Exception) { }
            var closed = new MqttConnectionLostException("The client disconnected before the operation completed.");
            FailRequests(closed);
            FailSession(closed);
            if (connection != null || wasReconnecting)
                RaiseStateChanged(new MqttConnectionStateChangedEventArgs(MqttConnectionState.Disconnected) { ReasonCode = reason, Reason = "client disconnected", ClientInitiated = true });
            cancellationToken.ThrowIfCancellationRequested();
        }

        /// <summary>
        /// Closes everything at once: a DISCONNECT is written if the socket is idle (so the will is not published),
        /// the socket is closed, reconnecting stops, waiting operations fail with ObjectDisposedException.
        /// Prefer DisconnectAsync for an orderly shutdown.
        /// </summary>
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
            MqttClientConnection connection;
            lock (_stateLock)
            {
                _userDisconnected = true;
                connection = _connection;
                _connection = null;
            }
            if (connection != null)
            {
                if (!(connection.Stream is WebSocketStream)) connection.Writer.TryWriteNow(new DisconnectPacket { ReasonCode = DisconnectReasonCode.NormalDisconnection });
                connection.Close();
            }
            _reconnectPending = false;
            try { _lifetime.Cancel(); } catch (AggregateException) { }
            var disposed = new ObjectDisposedException(nameof(MqttClient), "The MQTT client was disposed.");
            FailRequests(disposed);
            FailSession(disposed);
            if (connection != null)
                RaiseStateChanged(new MqttConnectionStateChangedEventArgs(MqttConnectionState.Disconnected) { Reason = "client disposed", ClientInitiated = true });
        }

        /// <summary>For writes nobody awaits (acknowledgements, pings): PacketWriter marks its failed tasks observed, and a
        /// lost connection is reported once through OnConnectionLost, so there is nothing to attach here.</summary>
        private static void Observe(Task task)
        {
            if (task.IsFaulted) _ = task.Exception;
        }

        /// <summary>The receive and keep-alive tasks of the current connection (tests check that nothing outlives a close).</summary>
        internal Task[] BackgroundTasks
        {
            get
            {
                var connection = _connection;
                return connection == null ? new Task[0] : new[] { connection.ReceiveTask, connection.KeepAliveTask };
            }
        }

        internal static long ElapsedMilliseconds(long fromTimestamp) => (Stopwatch.GetTimestamp() - fromTimestamp) * 1000 / Stopwatch.Frequency;
    }
}
