using System;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using MqttPS.Core.Protocol;
using MqttPS.Core.Topics;

namespace MqttPS.Core.Broker
{
    /// <summary>
    /// One client connection: a receive loop that decodes straight from the socket into the decoder's buffer and
    /// handles each packet inline, and a writer that drains the send queue and writes everything pending in one socket
    /// write. The writer runs only while there is something to send (an idle connection has no writer task). A protocol
    /// violation closes this connection only (5.0: DISCONNECT with the reason code first).
    /// </summary>
    internal sealed partial class BrokerConnection
    {
        private const int MaxBatchBytes = 64 * 1024;
        private static readonly byte[] EmptyBuffer = Array.Empty<byte>();

        /// <summary>Where input is read to be thrown away while a connection closes; shared, its content never matters.</summary>
        private static readonly byte[] DiscardBuffer = new byte[4096];

        /// <summary>Per-thread encoder scratch space for control packets: encoding never awaits, so a thread's
        /// writer is never shared, and connections need no writer of their own.</summary>
        [ThreadStatic] private static MqttBufferWriter _scratch;

        private static readonly bool IsNetFramework = Transport.NetFrameworkRuntime.IsNetFramework;

        /// <summary>.NET (Core) sockets complete a zero-byte read when data arrives; .NET Framework returns at once,
        /// so there the loop reads into the decoder's buffer directly.</summary>
        private static readonly bool ZeroByteReads = !IsNetFramework;

        private readonly MqttBroker _broker;
        private readonly MqttAcceptedConnection _accepted;
        private readonly Stream _stream;
        /// <summary><see cref="_stream"/> when it is the epoll engine's socket stream, else null.</summary>
        private readonly Transport.Epoll.EpollSocketStream _epoll;
        private readonly MqttPacketDecoder _decoder;

        // send queue, guarded by _sendLock
        private readonly object _sendLock = new object();
        private List<OutgoingPacket> _pending = new List<OutgoingPacket>();
        private List<OutgoingPacket> _writing = new List<OutgoingPacket>();
        private long _pendingBytes;
        // No writer runs while _writerIdle; whoever queues the next packet starts one (StartWriter). A run that finds
        // the queue empty and the connection closing ends the writer for good (_writerExited).
        private bool _writerIdle = true;
        private bool _writerExited;
        private TaskCompletionSource<bool> _writerExitedSignal;
        private bool _closeAfterFlush;
        private bool _flushScheduled;
        private bool _streaming;
        private readonly bool _sendDirect;
        private const int StreamingReadSize = 32 * 1024;
        private TaskCompletionSource<bool> _drained;

        private int _closing;
        private int _cleanedUp;
        private byte[] _firstBytes;
        private int _firstBytesCount;
        private string _closeReason;

        private MqttWillMessage _will;
        private TopicAliasMap _aliases;
        private uint _connectSessionExpiry;

        public BrokerConnection(MqttBroker broker, MqttAcceptedConnection accepted)
        {
            _broker = broker;
            _accepted = accepted;
            Authorizer = accepted.IsInternal ? AllowAllAuthorizer.Instance : accepted.Listener?.Authorizer ?? broker.Authorizer;
            _stream = accepted.Stream;
            _epoll = _stream as Transport.Epoll.EpollSocketStream;
            // Not on .NET Framework (Windows PowerShell): its NetworkStream expects a blocking socket, and its
            // asynchronous writes keep no per-socket state that direct writes would save.
            if (!IsNetFramework && accepted.StreamIsSocket && accepted.Socket != null)
            {
                // Writes try the socket first (see WriteAsync): non-blocking, so a full socket buffer returns at once.
                // Only synchronous calls see this mode; the stream's asynchronous reads and writes work as before.
                accepted.Socket.Blocking = false;
                _sendDirect = true;
            }
            // Until CONNECT is accepted only the small pre-login limit applies (see MaximumConnectPacketSize).
            _decoder = new MqttPacketDecoder(null, broker.Options.EffectiveConnectPacketSize);
            AcceptedAtMilliseconds = MonotonicClock.NowMilliseconds;
            LastReceivedMilliseconds = AcceptedAtMilliseconds;
        }

        public EndPoint RemoteEndPoint => _accepted.RemoteEndPoint;

        /// <summary>The listener that accepted this connection, or null (a custom listener).</summary>
        public MqttListenerOptions Listener => _accepted.Listener;

        /// <summary>The topic rules for this client: its listener's (per_listener_settings), else the broker's.</summary>
        public IMqttBrokerAuthorizer Authorizer { get; }
        public MqttProtocolVersion ProtocolVersion { get; private set; } = MqttProtocolVersion.V311;
        public bool V5 { get; private set; }
        public string ClientId { get; private set; }
        public string Username { get; private set; }
        public MqttClientIdentity Identity { get; private set; }
        /// <summary>Set by the broker just before the CONNACK goes out, so a client holding its CONNACK is listed.</summary>
        public MqttSession Session { get; internal set; }
        public bool CleanStart { get; private set; }

        /// <summary>A 3.1/3.1.1 bridge (CONNECT protocol level 0x83/0x84, mosquitto's try_private): its subscriptions
        /// get No Local and Retain As Published, so nothing it sends comes back to it.</summary>
        public bool IsBridge { get; private set; }
        public ushort KeepAliveSeconds { get; private set; }
        public long AcceptedAtMilliseconds { get; }
        public long LastReceivedMilliseconds { get; private set; }
        public DateTimeOffset ConnectedAt { get; private set; }

        /// <summary>CONNACK with success has been sent.</summary>
        public bool IsConnected { get; private set; }
        public bool IsClosing => Volatile.Read(ref _closing) != 0;

        /// <summary>QoS 1/2 messages the client accepts in flight (its Receive Maximum, or the broker's default).</summary>
        public int SendQuota { get; private set; } = 20;

        /// <summary>The client's Maximum Packet Size; 0 = no limit.</summary>
        public uint ClientMaximumPacketSize { get; private set; }

        /// <summary>The task of <see cref="RunAsync"/> (for the broker's stop to wait on).</summary>
        internal Task Run;

        public long PacketsReceived;
        public long PacketsSent;

        /// <summary>Runs the connection to its end; never faults. The receive loop is this method's own loop, and the
        /// broker's bookkeeping for the connection is part of this run (<see cref="MqttBroker.OnConnectionEnded"/>), so
        /// an idle connection holds one suspended method (one state machine), not two or three.</summary>
        public async Task RunAsync()
        {
            try
            {
                try
                {
                    // No cancellation token on the socket calls (a registration per read costs on the hot path): Abort
                    // disposes the stream, which ends any pending read or write.
                    var ct = CancellationToken.None;
                    while (true)
                    {
                        if (IsClosing)
                        {
                            // Closing: whatever else arrives is read and dropped (not buffered), so that the close is a
                            // FIN, not a reset that could destroy the DISCONNECT just sent.
                            if (await _stream.ReadAsync(DiscardBuffer, 0, DiscardBuffer.Length, ct).ConfigureAwait(false) <= 0) break;
                            continue;
                        }
                        if (ZeroByteReads && _decoder.BufferedBytes == 0)
                        {
                            // Wait for data without holding a receive buffer: when nothing is waiting on the socket (the
                            // zero-byte read did not complete at once) the connection is going idle, and its empty
                            // decoder gives its buffer back to the pool. A busy connection's read completes at once and
                            // keeps the buffer, so there is no pool traffic per packet.
                            var readyTask = _stream.ReadAsync(EmptyBuffer, 0, 0, ct);
                            if (!readyTask.IsCompleted) _decoder.ReleaseBufferIfEmpty();
                            var ready = await readyTask.ConfigureAwait(false);
                            if (ready < 0) break;
                        }
                        // Small reads for ordinary clients (their buffer stays small); a client whose last read filled
                        // the buffer is streaming, and gets bigger reads (fewer reads and flushes per message).
                        var segment = _decoder.GetReceiveBuffer(_streaming ? StreamingReadSize : 4096);
                        // On the epoll engine, input that is already there is taken without a task (a read of a new
                        // size would otherwise allocate one); only an empty socket goes through the waiting read.
                        var n = _epoll != null ? _epoll.TryRead(segment.Array, segment.Offset, segment.Count) : -1;
                        if (n < 0) n = await _stream.ReadAsync(segment.Array, segment.Offset, segment.Count, ct).ConfigureAwait(false);
                        _streaming = n == segment.Count;
                        if (n <= 0)
                        {
                            if (_closeReason == null) _closeReason = "connection closed by the client";
                            break;
                        }
                        if (IsClosing) continue;
                        if (!IsConnected && _firstBytes == null)
                        {
                            // The start of the CONNECT, kept to answer an unsupported protocol version in the right version.
                            _firstBytesCount = Math.Min(n, 64);
                            _firstBytes = new byte[_firstBytesCount];
                            Buffer.BlockCopy(segment.Array, segment.Offset, _firstBytes, 0, _firstBytesCount);
                        }
                        _decoder.Commit(n);
                        _broker.Counters.AddBytesReceived(n);
                        LastReceivedMilliseconds = MonotonicClock.NowMilliseconds;
                        DeferredFlush.Begin();
                        try
                        {
                            await HandleReceivedPacketsAsync().ConfigureAwait(false);
                        }
                        finally
                        {
                            // Acknowledgements in this read may have freed the in-flight window for more retained messages.
                            if (_retained != null) PumpRetained();
                            // Every subscriber touched by this read gets one write with everything routed to it.
                            DeferredFlush.End();
                        }
                        // Backpressure: while this client does not read what it asked for, stop reading what it sends.
                        if (_pendingBytes > _broker.Options.MaxPendingBytesPerConnection && !IsClosing)
                            await WaitForDrainAsync().ConfigureAwait(false);
                    }
                }
                catch (Exception e) when (e is IOException || e is SocketException || e is ObjectDisposedException || e is OperationCanceledException)
                {
                    if (_closeReason == null) _closeReason = IsClosing ? _closeReason : "connection lost: " + e.Message;
                }
                catch (Exception e)
                {
                    // A bug in packet handling must cost this connection only, never the broker.
                    _closeReason = "internal error: " + e.GetType().Name + ": " + e.Message;
                    _broker.ReportInternalError(this, e);
                    CloseWithReason(DisconnectReasonCode.ImplementationSpecificError, _closeReason);
                }
                finally
                {
                    await FinishAsync().ConfigureAwait(false);
                }
            }
            catch (Exception e)
            {
                _broker.ReportInternalError(this, e);
            }
            finally
            {
                _broker.OnConnectionEnded(this);
            }
        }

        /// <summary>Decodes and handles every whole packet buffered. Writes caused by synchronous handling are
        /// deferred (<see cref="DeferredFlush"/>); before anything awaits, they are flushed.</summary>
        private async Task HandleReceivedPacketsAsync()
        {
            while (!IsClosing)
            {
                MqttPacket packet;
                try
                {
                    if (!_decoder.TryDecode(out packet)) break;
                }
                catch (MqttProtocolException e)
                {
                    // Keep reading (and ignoring) until the peer closes or the close times out: closing a
                    // socket with unread input sends a reset, which can destroy the DISCONNECT just queued.
                    HandleDecoderError(e);
                    break;
                }
                PacketsReceived++;
                _broker.Counters.AddMessageReceived();
                List<object> congested = null;
                try
                {
                    if (packet is ConnectPacket connect)
                    {
                        DeferredFlush.End();
                        try { await HandleConnectAsync(connect).ConfigureAwait(false); }
                        finally { DeferredFlush.Begin(); }
                    }
                    else
                    {
                        CongestionTracker.Begin();
                        try { HandlePacket(packet); }
                        finally { congested = CongestionTracker.End(); }
                    }
                }
                catch (MqttProtocolException e)
                {
                    HandleViolation(e, ProtocolErrorPolicy.ForHandlerError(e));
                    break;
                }
                // Never wait for our own session: its queue drains through the acknowledgements we would stop reading.
                if (congested != null && RemoveOwnSession(congested) > 0)
                {
                    DeferredFlush.End();
                    try { await CongestionTracker.WaitAsync(congested, _broker.Options).ConfigureAwait(false); }
                    finally { DeferredFlush.Begin(); }
                }
            }
        }

        /// <summary>The decoder rejected the next packet: answer per policy, then close.</summary>
        private void HandleDecoderError(MqttProtocolException e)
        {
            if (!IsConnected)
            {
                HandleConnectError(e);
                return;
            }
            HandleViolation(e, V5 ? ProtocolErrorPolicy.ForDecoderError(e) : null);
        }

        /// <summary>Closes after a protocol violation; 5.0 clients first get DISCONNECT with <paramref name="reason"/>
        /// unless it is null.</summary>
        private void HandleViolation(MqttProtocolException e, MqttReasonCode? reason)
        {
            _closeReason = "protocol error: " + e.Message;
            _broker.Counters.AddProtocolError();
            if (!IsConnected)
            {
                HandleConnectError(e);
                return;
            }
            if (V5 && reason.HasValue) CloseWithReason(ProtocolErrorPolicy.ToDisconnectReason(reason.Value), _closeReason);
            else Abort(_closeReason);
        }

        private void HandleConnectError(MqttProtocolException e)
        {
            _closeReason = "CONNECT rejected: " + e.Message;
            if (e.ReasonCode == MqttReasonCode.PacketTooLarge && !IsConnected)
                _closeReason += " (the limit before login: MaximumConnectPacketSize / MaximumPacketSize)";
            var connAck = ConnectErrorResponse(e);
            if (connAck != null)
            {
                Send(connAck);
                CloseAfterFlush();
            }
            else Abort(_closeReason);
        }

        // ---------------------------------------------------------------- packets after CONNECT

        private void HandlePacket(MqttPacket packet)
        {
            if (!IsConnected)
                throw new MqttProtocolException(MqttReasonCode.ProtocolError, "MQTT-3.1.0-1", "the first packet must be CONNECT, got " + packet.PacketType);
            switch (packet)
            {
                case PublishPacket publish: HandlePublish(publish); break;
                case PubAckPacket pubAck: HandlePubAck(pubAck); break;
                case PubRecPacket pubRec: HandlePubRec(pubRec); break;
                case PubRelPacket pubRel: HandlePubRel(pubRel); break;
                case PubCompPacket pubComp: HandlePubComp(pubComp); break;
                case SubscribePacket subscribe: HandleSubscribe(subscribe); break;
                case UnsubscribePacket unsubscribe: HandleUnsubscribe(unsubscribe); break;
                case PingReqPacket _: Send(PingRespPacket.Instance); break;
                case DisconnectPacket disconnect: HandleDisconnect(disconnect); break;
                case AuthPacket _:
                    throw new MqttProtocolException(MqttReasonCode.ProtocolError, "MQTT-4.12.0-1", "AUTH without enhanced authentication in progress");
                default:
                    // CONNACK, SUBACK, UNSUBACK, PINGRESP only travel from server to client.
                    throw new MqttProtocolException(MqttReasonCode.ProtocolError, null, packet.PacketType + " may only be sent by a server");
            }
        }

        private void HandlePublish(PublishPacket p)
        {
            var topic = p.Topic;
            if (V5 && p.HasProperties)
            {
                if (p.Properties.HasSubscriptionIdentifiers)
                    throw new MqttProtocolException(MqttReasonCode.ProtocolError, "MQTT-3.3.4-6", "a PUBLISH from a client must not carry a Subscription Identifier");
                if (p.Properties.TopicAlias.HasValue) topic = _aliases.ResolveInbound(p.Topic, p.Properties.TopicAlias);
            }
            if (string.IsNullOrEmpty(topic))
                throw new MqttProtocolException(MqttReasonCode.MalformedPacket, "MQTT-3.3.2-1", "PUBLISH without a topic name");
            if (ProtocolErrorPolicy.HasControlCharacters(topic))
                throw new MqttProtocolException(MqttReasonCode.MalformedPacket, null, "control characters in the topic name (section 1.5.4)");
            if (p.Retain && !_broker.Options.RetainAvailable)
                throw new MqttProtocolException(MqttReasonCode.RetainNotSupported, "MQTT-3.2.2-14", "PUBLISH with RETAIN, and retained messages are not available");
            var authorized = Authorizer.CanPublish(Identity, topic);
            if (!authorized) _broker.OnMessageDropped(ClientId, null, "not authorized to publish to '" + topic + "'", topic);
            else if (_broker.Options.MaximumPayloadSize > 0 && p.Payload.Length > _broker.Options.MaximumPayloadSize)
            {
                // mosquitto's message_size_limit: dropped, and QoS 1/2 publishers are told (0x97: a limit was exceeded).
                _broker.OnMessageDropped(ClientId, null, "payload of " + p.Payload.Length + " bytes is larger than the limit of " + _broker.Options.MaximumPayloadSize + " bytes", topic);
                if (p.QoS == MqttQualityOfService.AtLeastOnce) SendAcknowledgement(new PubAckPacket { PacketId = p.PacketId, ReasonCode = V5 ? PubAckReasonCode.QuotaExceeded : PubAckReasonCode.Success });
                else if (p.QoS == MqttQualityOfService.ExactlyOnce) SendAcknowledgement(new PubRecPacket { PacketId = p.PacketId, ReasonCode = V5 ? PubAckReasonCode.QuotaExceeded : PubAckReasonCode.Success });
                return;
            }
            var now = MonotonicClock.NowMilliseconds;
            switch (p.QoS)
            {
                case MqttQualityOfService.AtMostOnce:
                    if (authorized) _broker.Publish(BrokerMessage.FromPublish(p, topic, ClientId, now));
                    break;
                case MqttQualityOfService.AtLeastOnce:
                {
                    var delivered = authorized ? _broker.Publish(BrokerMessage.FromPublish(p, topic, ClientId, now)) : 0;
                    var ack = new PubAckPacket { PacketId = p.PacketId };
                    if (V5)
                    {
                        if (!authorized) ack.ReasonCode = PubAckReasonCode.NotAuthorized;
                        else if (delivered == 0) ack.ReasonCode = PubAckReasonCode.NoMatchingSubscribers;
                    }
                    SendAcknowledgement(ack);
                    break;
                }
                default:
                {
                    var rec = new PubRecPacket { PacketId = p.PacketId };
                    if (!authorized)
                    {
                        if (V5) rec.ReasonCode = PubAckReasonCode.NotAuthorized;
                        SendAcknowledgement(rec);
                        break;
                    }
                    var message = BrokerMessage.FromPublish(p, topic, ClientId, now);
                    var session = Session;
                    lock (session)
                    {
                        if (session.TryGetInflightIn(p.PacketId, out var existing))
                        {
                            if (SameMessage(existing.Message, message))
                            {
                                // One retransmission is normal (lost PUBREC); a client that keeps re-sending the same
                                // message instead of PUBREL is not following the QoS 2 flow (mosquitto closes it too).
                                if (++existing.IdenticalResends > 1)
                                    throw new MqttProtocolException(MqttReasonCode.ProtocolError, "MQTT-4.3.3-10",
                                        "QoS 2 PUBLISH with packet id " + p.PacketId + " re-sent again instead of PUBREL");
                            }
                            else
                            {
                                existing.Message = message;
                                existing.IdenticalResends = 0;
                                if (session.IsPersisted) _broker.Persistence?.IncomingQoS2Received(ClientId, p.PacketId, message.ToMqttMessage(now));
                            }
                        }
                        else
                        {
                            if (V5 && session.InflightInCount >= _broker.Options.ReceiveMaximum)
                                throw new MqttProtocolException(MqttReasonCode.ReceiveMaximumExceeded, "MQTT-3.3.4-9",
                                    "more than Receive Maximum (" + _broker.Options.ReceiveMaximum + ") QoS 2 messages unacknowledged");
                            // 3.1/3.1.1 have no Receive Maximum, but the broker holds each unreleased message until its
                            // PUBREL: a client that never releases them must not hold the broker's memory without bound.
                            var unreleasedLimit = _broker.Options.MaxUnreleasedQoS2Messages;
                            if (!V5 && unreleasedLimit > 0 && session.InflightInCount >= unreleasedLimit)
                                throw new MqttProtocolException(MqttReasonCode.QuotaExceeded, null,
                                    "more than " + unreleasedLimit + " QoS 2 messages left unreleased (PUBREC sent, no PUBREL received; MaxUnreleasedQoS2Messages)");
                            session.InflightIn.Add(p.PacketId, new IncomingQoS2Message(message));
                            if (session.IsPersisted) _broker.Persistence?.IncomingQoS2Received(ClientId, p.PacketId, message.ToMqttMessage(now));
                        }
                    }
                    Send(rec);
                    break;
                }
            }
        }

        private static bool SameMessage(BrokerMessage a, BrokerMessage b)
        {
            if (a.Topic != b.Topic || a.Retain != b.Retain || a.Payload.Length != b.Payload.Length) return false;
            for (var i = 0; i < a.Payload.Length; i++) if (a.Payload[i] != b.Payload[i]) return false;
            return true;
        }

        private void HandlePubRel(PubRelPacket p)
        {
            IncomingQoS2Message pending;
            var session = Session;
            lock (session)
            {
                if (session.TryGetInflightIn(p.PacketId, out pending)) session.InflightIn.Remove(p.PacketId);
            }
            if (pending != null && !pending.Refused) _broker.Publish(pending.Message);
            if (pending != null && session.IsPersisted) _broker.Persistence?.IncomingQoS2Released(ClientId, p.PacketId);
            // An unknown id is answered with PUBCOMP too: the PUBREL may repeat one whose PUBCOMP was lost.
            SendAcknowledgement(new PubCompPacket { PacketId = p.PacketId });
        }

        private void HandlePubAck(PubAckPacket p)
        {
            var session = Session;
            lock (session)
            {
                if (!session.TryGetInflightOut(p.PacketId, out var m)) return; // late or duplicate: ignore
                if (m.Delivery.QoS != MqttQualityOfService.AtLeastOnce)
                    throw new MqttProtocolException(MqttReasonCode.ProtocolError, "MQTT-4.3.3-1", "PUBACK for QoS 2 message " + p.PacketId);
                session.InflightOut.Remove(p.PacketId);
                session.Completed(m.Delivery);
                session.Pump();
            }
        }

        private void HandlePubRec(PubRecPacket p)
        {
            var session = Session;
            lock (session)
            {
                if (!session.TryGetInflightOut(p.PacketId, out var m))
                {
                    // Unknown id: release it anyway, so a client stuck on a lost PUBREL can finish (mosquitto does),
                    // unless the client refused the message.
                    if (p.ReasonCodeValue < 0x80) Send(new PubRelPacket { PacketId = p.PacketId });
                    return;
                }
                if (m.Delivery.QoS != MqttQualityOfService.ExactlyOnce)
                    throw new MqttProtocolException(MqttReasonCode.ProtocolError, "MQTT-4.3.2-1", "PUBREC for QoS 1 message " + p.PacketId);
                if (p.ReasonCodeValue >= 0x80)
                {
                    // The receiver refused the message: the flow ends here and the id is free [MQTT-4.3.3-4 note].
                    session.InflightOut.Remove(p.PacketId);
                    session.Completed(m.Delivery);
                    session.Pump();
                    return;
                }
                m.Released = true;
                if (m.Delivery.StoreSequence != 0) _broker.Persistence?.SessionMessageReleased(session.ClientId, m.Delivery.StoreSequence, p.PacketId);
                Send(new PubRelPacket { PacketId = p.PacketId });
            }
        }

        private void HandlePubComp(PubCompPacket p)
        {
            var session = Session;
            lock (session)
            {
                if (!session.TryGetInflightOut(p.PacketId, out var m)) return;
                if (m.Delivery.QoS != MqttQualityOfService.ExactlyOnce || !m.Released)
                    throw new MqttProtocolException(MqttReasonCode.ProtocolError, "MQTT-4.3.3-3", "PUBCOMP for message " + p.PacketId + " before its PUBREL");
                session.InflightOut.Remove(p.PacketId);
                session.Completed(m.Delivery);
                session.Pump();
            }
        }

        private void HandleSubscribe(SubscribePacket p)
        {
            uint subscriptionIdentifier = 0;
            if (V5 && p.HasProperties && p.Properties.HasSubscriptionIdentifiers)
                subscriptionIdentifier = p.Properties.SubscriptionIdentifiers[0];
            var ack = new SubAckPacket { PacketId = p.PacketId };
            List<KeyValuePair<Subscription, List<BrokerMessage>>> retained = null;
            var now = MonotonicClock.NowMilliseconds;
            foreach (var s in p.Subscriptions)
            {
                var filter = s.TopicFilter;
                // A 3.x bridge is not sent back what it published, as mosquitto does for try_private bridges.
                if (IsBridge && !filter.StartsWith("$share/", StringComparison.Ordinal)) { s.NoLocal = true; s.RetainAsPublished = true; }
                if (ProtocolErrorPolicy.HasControlCharacters(filter))
                    throw new MqttProtocolException(MqttReasonCode.MalformedPacket, null, "control characters in the topic filter (section 1.5.4)");
                string shareName = null, matchFilter = filter;
                if (filter.StartsWith("$share/", StringComparison.Ordinal))
                {
                    if (!SharedSubscription.TryParse(filter, out shareName, out matchFilter))
                        throw new MqttProtocolException(V5 ? MqttReasonCode.ProtocolError : MqttReasonCode.MalformedPacket, "MQTT-4.8.2-1", "invalid shared subscription '" + filter + "'");
                    if (s.NoLocal)
                        throw new MqttProtocolException(MqttReasonCode.ProtocolError, "MQTT-3.8.3-4", "No Local set on shared subscription '" + filter + "'");
                }
                if (!Authorizer.CanSubscribe(Identity, filter))
                {
                    ack.ReasonCodes.Add(V5 ? SubAckReasonCode.NotAuthorized : SubAckReasonCode.UnspecifiedError);
                    continue;
                }
                var subscription = new Subscription(Session, filter, matchFilter, shareName, s, subscriptionIdentifier);
                var existed = _broker.AddSubscription(Session, subscription);
                ack.ReasonCodes.Add((SubAckReasonCode)(byte)s.QoS);
                // Retained messages: not for shared subscriptions [MQTT-3.8.4-?]; per Retain Handling otherwise.
                if (shareName == null && (s.RetainHandling == RetainHandling.SendAtSubscribe || (s.RetainHandling == RetainHandling.SendAtSubscribeIfNew && !existed)))
                {
                    var matches = _broker.Retained.Match(matchFilter, now);
                    if (matches.Count > 0)
                        (retained ?? (retained = new List<KeyValuePair<Subscription, List<BrokerMessage>>>())).Add(new KeyValuePair<Subscription, List<BrokerMessage>>(subscription, matches));
                }
            }
            Send(ack);
            if (retained == null) return;
            var backlog = _retained;
            if (backlog == null) _retained = backlog = new RetainedDelivery();
            foreach (var pair in retained) backlog.Add(pair.Key, pair.Value);
            PumpRetained();
        }

        // ---------------------------------------------------------------- retained messages, paced by the socket

        private RetainedDelivery _retained;
        private int _retainedPumping;
        private int _retainedPumpAgain;

        /// <summary>Bytes waiting for the socket below which more retained messages are queued for it.</summary>
        private const int RetainedPaceBytes = 256 * 1024;

        /// <summary>
        /// Sends retained messages for this connection's SUBSCRIBEs while the socket keeps up: until a few hundred KiB
        /// wait for it, or the session's queue (QoS 1/2 beyond the in-flight window) is half full. Called after a
        /// SUBSCRIBE, after each batch the writer puts on the wire and after each read (acknowledgements free the
        /// window), so a client that reads gets all of them, however many, and nothing is dropped for a budget.
        /// A message that was replaced or cleared meanwhile is skipped (its new state went out as a live message), as
        /// is one for a subscription that was removed or replaced.
        /// </summary>
        internal void PumpRetained()
        {
            var backlog = _retained;
            if (backlog == null) return;
            while (true)
            {
                if (Interlocked.Exchange(ref _retainedPumping, 1) != 0)
                {
                    // Another thread is pumping (the writer, or a re-entrant call through our own send): it looks again.
                    Volatile.Write(ref _retainedPumpAgain, 1);
                    return;
                }
                Volatile.Write(ref _retainedPumpAgain, 0);
                try
                {
                    FeedRetained(backlog);
                }
                finally
                {
                    Volatile.Write(ref _retainedPumping, 0);
                }
                if (Volatile.Read(ref _retainedPumpAgain) == 0 || backlog.IsEmpty) return;
            }
        }

        private void FeedRetained(RetainedDelivery backlog)
        {
            var session = Session;
            if (session == null) return;
            var queueRoom = _broker.Options.MaxQueuedMessagesPerSession > 0 ? Math.Max(1, _broker.Options.MaxQueuedMessagesPerSession / 2) : 1000;
            var now = MonotonicClock.NowMilliseconds;
            while (!IsClosing && Volatile.Read(ref _pendingBytes) < RetainedPaceBytes)
            {
                lock (session) if (session.QueueCount >= queueRoom) return;
                if (!backlog.TryTake(out var sub, out var m)) return;
                if (!_broker.Retained.IsCurrent(m) || m.IsExpired(now)) continue;
                bool subscribed;
                lock (session) subscribed = session.TryGetSubscription(sub.TopicFilter, out var current) && ReferenceEquals(current, sub);
                if (!subscribed) continue;
                if (!Authorizer.CanReceive(Identity, m.Topic)) continue;
                var qos = m.QoS < sub.QoS ? m.QoS : sub.QoS;
                // Retained messages sent because of a subscription carry RETAIN=1 [MQTT-3.3.1-9].
                lock (session) session.Deliver(new QueuedMessage(m, qos, true, sub.SubscriptionIdentifier) { AuthorizedFor = Identity });
            }
        }

        /// <summary>The connection ends with retained messages still to send: they are counted as dropped (in $SYS
        /// publish/messages/dropped) and reported in one event, not one per message.</summary>
        private void CutRetained()
        {
            var backlog = _retained;
            if (backlog == null) return;
            var cut = backlog.Clear();
            if (cut > 0) _broker.OnRetainedCut(ClientId, cut, "the connection closed (" + (_closeReason ?? "closed") + ") before they were sent");
        }

        private void HandleUnsubscribe(UnsubscribePacket p)
        {
            var ack = new UnsubAckPacket { PacketId = p.PacketId };
            foreach (var filter in p.TopicFilters)
            {
                if (ProtocolErrorPolicy.HasControlCharacters(filter) || !MqttTopic.TryValidateTopicFilter(filter, out _))
                    throw new MqttProtocolException(MqttReasonCode.MalformedPacket, "MQTT-3.10.3-1", "invalid topic filter '" + filter + "' in UNSUBSCRIBE");
                var removed = _broker.RemoveSubscription(Session, filter);
                ack.ReasonCodes.Add(removed ? UnsubAckReasonCode.Success : UnsubAckReasonCode.NoSubscriptionExisted);
            }
            Send(ack);
        }

        private int RemoveOwnSession(List<object> congested)
        {
            congested.Remove(Session);
            congested.Remove(this);
            return congested.Count;
        }

        // ---------------------------------------------------------------- QoS 0 congestion (see CongestionTracker)

        private bool _sendStalled;
        private TaskCompletionSource<bool> _relief;

        /// <summary>Queued bytes above which publishers feeding this connection are held back.</summary>
        private long CongestionBytes => Math.Max(64 * 1024, _broker.Options.MaxPendingBytesPerConnection / 4);

        /// <summary>Completes when the socket queue is down to half the congestion mark (or the connection ends).</summary>
        internal Task WaitForReliefAsync()
        {
            lock (_sendLock)
            {
                if (_pendingBytes <= CongestionBytes / 2 || _closeAfterFlush) return Task.CompletedTask;
                if (_relief == null) _relief = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                return _relief.Task;
            }
        }

        /// <summary>The client did not catch up in time: stop holding publishers back for it until it does.</summary>
        internal void MarkStalled()
        {
            lock (_sendLock) if (_pendingBytes > CongestionBytes / 2) _sendStalled = true;
        }

        private void HandleDisconnect(DisconnectPacket p)
        {
            if (V5 && p.HasProperties && p.Properties.SessionExpiryInterval.HasValue)
            {
                var requested = p.Properties.SessionExpiryInterval.Value;
                if (_connectSessionExpiry == 0 && requested != 0)
                    throw new MqttProtocolException(MqttReasonCode.ProtocolError, "MQTT-3.14.2-2", "DISCONNECT sets a session expiry interval after CONNECT set 0");
                lock (Session)
                {
                    Session.SessionExpiryInterval = Math.Min(requested, _broker.Options.MaximumSessionExpiryInterval);
                    if (Session.IsPersisted && Session.SessionExpiryInterval > 0) _broker.Persistence?.SessionCreated(ClientId, Session.SessionExpiryInterval, Session.Username);
                }
            }
            // A normal DISCONNECT discards the will [MQTT-3.14.4-3]; 0x04 asks for it to be published.
            if (!(V5 && p.ReasonCode == DisconnectReasonCode.DisconnectWithWillMessage)) _will = null;
            _closeReason = V5 ? "DISCONNECT (" + p.ReasonCode + ")" : "DISCONNECT";
            Abort(_closeReason);
        }

        // ---------------------------------------------------------------- sending

        private Task _acknowledgements = Task.CompletedTask;

        /// <summary>
        /// Sends PUBACK/PUBREC/PUBCOMP. With persistence on, an acknowledgement waits until everything recorded so
        /// far is durable ("acknowledged means stored"), without blocking: later acknowledgements queue behind it so
        /// they keep the order of the PUBLISHes [MQTT-4.6.0-2]. Called from the receive loop only.
        /// </summary>
        private void SendAcknowledgement(MqttPacket ack)
        {
            var persistence = _broker.Persistence;
            var durable = persistence == null ? null : persistence.FlushAsync();
            if ((durable == null || durable.Status == TaskStatus.RanToCompletion) && _acknowledgements.IsCompleted)
            {
                Send(ack);
                return;
            }
            _acknowledgements = SendWhenDurableAsync(_acknowledgements, durable, ack);
        }

        private async Task SendWhenDurableAsync(Task previous, Task durable, MqttPacket ack)
        {
            await previous.ConfigureAwait(false);
            if (durable != null)
            {
                try { await durable.ConfigureAwait(false); }
                catch (Exception e)
                {
                    // Not stored, so not acknowledged: the client keeps the message and sends it again after reconnecting.
                    CloseWithReason(DisconnectReasonCode.UnspecifiedError, "persistence failed, message not acknowledged: " + e.Message);
                    return;
                }
            }
            Send(ack);
        }

        /// <summary>Queues a control packet for the writer. False when the connection is closing.</summary>
        public bool Send(MqttPacket packet)
        {
            return Enqueue(new OutgoingPacket { Packet = packet, Size = 8 });
        }

        /// <summary>
        /// Queues a PUBLISH of <paramref name="delivery"/>: 0 = queued, 1 = dropped because the client's send buffer is
        /// full (QoS 0 only), 2 = discarded because it exceeds the client's Maximum Packet Size [MQTT-3.1.2-25] or
        /// this client may not read it, 3 = the connection is closing.
        /// </summary>
        public int SendPublish(QueuedMessage delivery, ushort packetId, bool dup)
        {
            var message = delivery.Message;
            if (!IsAuthorizedToReceive(delivery))
            {
                _broker.OnMessageDropped(ClientId, message, "not authorized to receive '" + message.Topic + "' as " + (Username ?? "an anonymous client"));
                return 2;
            }
            var remaining = message.RemainingExpirySeconds(MonotonicClock.NowMilliseconds);
            OutgoingPacket item;
            if (V5 && (delivery.SubscriptionIdentifier != 0 || _aliases.UsesOutboundAliases))
            {
                var packet = message.ToPublishPacket(true, delivery.QoS, delivery.Retain, remaining);
                packet.PacketId = packetId;
                packet.Dup = dup;
                if (delivery.SubscriptionIdentifier != 0) packet.Properties.SubscriptionIdentifiers.Add(delivery.SubscriptionIdentifier);
                if (_aliases.TryGetOutbound(message.Topic, out var alias, out var known))
                {
                    packet.Properties.TopicAlias = alias;
                    if (known) packet.Topic = string.Empty;
                }
                var size = MqttPacketEncoder.GetEncodedLength(packet, MqttProtocolVersion.V500);
                if (ClientMaximumPacketSize != 0 && size > ClientMaximumPacketSize)
                {
                    _broker.OnMessageDropped(ClientId, message, "larger than the client's Maximum Packet Size (" + ClientMaximumPacketSize + ")");
                    return 2;
                }
                item = new OutgoingPacket { Packet = packet, Size = size };
            }
            else
            {
                var encoded = message.GetEncoded(V5, delivery.QoS, delivery.Retain, remaining);
                if (ClientMaximumPacketSize != 0 && encoded.Bytes.Length > ClientMaximumPacketSize)
                {
                    _broker.OnMessageDropped(ClientId, message, "larger than the client's Maximum Packet Size (" + ClientMaximumPacketSize + ")");
                    return 2;
                }
                item = new OutgoingPacket { Encoded = encoded, PacketId = packetId, Dup = dup, Size = encoded.Bytes.Length };
            }
            if (delivery.QoS == MqttQualityOfService.AtMostOnce)
            {
                var pending = Volatile.Read(ref _pendingBytes);
                if (pending > _broker.Options.MaxPendingBytesPerConnection) return 1;
                // Falling behind on QoS 0: hold the publishers back a little rather than drop (CongestionTracker).
                if (pending > CongestionBytes && !_sendStalled) CongestionTracker.Note(this);
            }
            return Enqueue(item) ? 0 : 3;
        }

        /// <summary>
        /// A message is checked against the identity that receives it when it is sent, not only when it was routed:
        /// queued and in-flight messages of a resumed session, and retained messages, may have been checked for
        /// another connection (or none). A delivery routed to this connection's identity is not checked twice.
        /// </summary>
        private bool IsAuthorizedToReceive(QueuedMessage delivery)
        {
            var authorizer = Authorizer;
            if (authorizer is AllowAllAuthorizer || ReferenceEquals(delivery.AuthorizedFor, Identity)) return true;
            if (!authorizer.CanReceive(Identity, delivery.Message.Topic)) return false;
            delivery.AuthorizedFor = Identity;
            return true;
        }

        private bool Enqueue(OutgoingPacket item)
        {
            lock (_sendLock)
            {
                if (_closeAfterFlush || IsClosing && _cleanedUp != 0) return false;
                _pending.Add(item);
                _pendingBytes += item.Size;
                if (_writerIdle)
                {
                    if (DeferredFlush.IsDeferring)
                    {
                        // Inside a receive loop's batch: write once, after the whole batch is routed.
                        if (!_flushScheduled)
                        {
                            _flushScheduled = true;
                            DeferredFlush.Add(this);
                        }
                        return true;
                    }
                    _writerIdle = false;
                }
                else return true;
            }
            StartWriter();
            return true;
        }

        /// <summary>Runs the writer for what was queued during a deferred batch (no-op if it already runs).</summary>
        internal void Flush()
        {
            lock (_sendLock)
            {
                _flushScheduled = false;
                if (!_writerIdle || _pending.Count == 0) return;
                _writerIdle = false;
            }
            StartWriter();
        }

        /// <summary>
        /// Runs the writer on the calling thread (the caller just took it out of idle under the send lock): whoever
        /// queues a packet to an idle connection writes it, so a message goes out without a thread-pool hop (latency),
        /// and packets queued meanwhile by other threads go out with it (batching). A run whose writes complete at
        /// once completes synchronously and allocates nothing; it ends when the queue is empty.
        /// </summary>
        private void StartWriter()
        {
            _ = WriterLoopAsync();
        }

        private Task WaitForDrainAsync()
        {
            lock (_sendLock)
            {
                if (_pendingBytes <= _broker.Options.MaxPendingBytesPerConnection / 2) return Task.CompletedTask;
                if (_drained == null) _drained = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                return _drained.Task;
            }
        }

        /// <summary>One run of the writer (see <see cref="StartWriter"/>): writes batches until the queue is empty, then
        /// goes idle; when the connection is closing, it ends the writer for good instead, with FIN after the last packet.</summary>
        private async Task WriterLoopAsync()
        {
            // Buffers are taken from the pool per batch, not per connection: an idle connection holds none.
            byte[] buffer = null;
            var exited = true;
            try
            {
                while (true)
                {
                    lock (_sendLock)
                    {
                        if (_pending.Count == 0)
                        {
                            if (_closeAfterFlush) break;
                            // Idle: from here on, the next Enqueue (or close) starts a new run.
                            _writerIdle = true;
                            exited = false;
                            return;
                        }
                        var t = _writing; _writing = _pending; _pending = t;
                    }

                    if (buffer == null)
                    {
                        // Sized to the batch (control packets are estimated small), so a CONNACK or PUBACK does not
                        // take a 4 KiB array; EnsureCapacity grows it when an estimate was low.
                        long estimate = 0;
                        for (var i = 0; i < _writing.Count; i++) estimate += _writing[i].Size;
                        buffer = MqttBufferPool.Shared.Rent((int)Math.Min(MaxBatchBytes, Math.Max(256, estimate)));
                    }
                    var length = 0;
                    long batchSize = 0;
                    var version = V5 ? MqttProtocolVersion.V500 : ProtocolVersion;
                    for (var i = 0; i < _writing.Count; i++)
                    {
                        var item = _writing[i];
                        batchSize += item.Size;
                        if (item.Encoded != null)
                        {
                            var bytes = item.Encoded.Bytes;
                            EnsureCapacity(ref buffer, length, bytes.Length);
                            Buffer.BlockCopy(bytes, 0, buffer, length, bytes.Length);
                            if (item.Encoded.PacketIdOffset >= 0)
                            {
                                buffer[length + item.Encoded.PacketIdOffset] = (byte)(item.PacketId >> 8);
                                buffer[length + item.Encoded.PacketIdOffset + 1] = (byte)item.PacketId;
                                if (item.Dup) buffer[length] |= 0x08;
                            }
                            length += bytes.Length;
                            _broker.Counters.AddPublishSent();
                        }
                        else
                        {
                            if (item.Packet is PublishPacket) _broker.Counters.AddPublishSent();
                            // Taken per packet, never kept across an await (the loop may resume on another thread).
                            var scratch = _scratch ?? (_scratch = new MqttBufferWriter(256));
                            scratch.Reset();
                            MqttPacketEncoder.Encode(item.Packet, version, scratch);
                            var written = scratch.WrittenSegment;
                            EnsureCapacity(ref buffer, length, written.Count);
                            Buffer.BlockCopy(written.Array, written.Offset, buffer, length, written.Count);
                            length += written.Count;
                        }
                        if (length >= MaxBatchBytes)
                        {
                            await WriteAsync(buffer, length).ConfigureAwait(false);
                            _broker.Counters.AddBytesSent(length);
                            length = 0;
                        }
                    }
                    PacketsSent += _writing.Count;
                    _broker.Counters.AddMessagesSent(_writing.Count);
                    _writing.Clear();
                    if (length > 0)
                    {
                        await WriteAsync(buffer, length).ConfigureAwait(false);
                        _broker.Counters.AddBytesSent(length);
                    }
                    TaskCompletionSource<bool> drained = null, relief = null;
                    lock (_sendLock)
                    {
                        if (_pending.Count == 0)
                        {
                            // Going idle: give the batch buffers back.
                            MqttBufferPool.Shared.Return(buffer);
                            buffer = null;
                        }
                        _pendingBytes -= batchSize;
                        if (_drained != null && _pendingBytes <= _broker.Options.MaxPendingBytesPerConnection / 2)
                        {
                            drained = _drained;
                            _drained = null;
                        }
                        if (_pendingBytes <= CongestionBytes / 2)
                        {
                            _sendStalled = false;
                            relief = _relief;
                            _relief = null;
                        }
                    }
                    drained?.TrySetResult(true);
                    relief?.TrySetResult(true);
                    // The socket took a batch: room for more retained messages, which this loop then writes.
                    if (_retained != null) PumpRetained();
                }
                // Everything before the close is on the wire: FIN after it, so the peer reads our last packet
                // (a DISCONNECT or a CONNACK refusal) rather than a reset.
                try
                {
                    if (_stream is Transport.Epoll.EpollSocketStream epoll) epoll.ShutdownSend();
                    else _accepted.Socket?.Shutdown(SocketShutdown.Send);
                }
                catch (Exception) { }
            }
            catch (Exception e) when (e is IOException || e is SocketException || e is ObjectDisposedException || e is OperationCanceledException)
            {
                if (_closeReason == null) _closeReason = "write failed: " + e.Message;
                Abort(_closeReason);
            }
            catch (MqttProtocolException e)
            {
                // An unencodable packet is a broker bug; it must not take the broker down.
                _broker.ReportInternalError(this, e);
                Abort("internal error while encoding: " + e.Message);
            }
            catch (Exception e)
            {
                // Nobody awaits a writer run: any other failure is reported here, and costs this connection only.
                _broker.ReportInternalError(this, e);
                Abort("internal error while writing: " + e.GetType().Name + ": " + e.Message);
            }
            finally
            {
                if (buffer != null) MqttBufferPool.Shared.Return(buffer);
                if (exited)
                {
                    // The writer is done for good: nobody waits for the socket to drain any more.
                    TaskCompletionSource<bool> drained, relief, signal;
                    lock (_sendLock)
                    {
                        _writerExited = true;
                        drained = _drained; _drained = null;
                        relief = _relief; _relief = null;
                        signal = _writerExitedSignal; _writerExitedSignal = null;
                    }
                    drained?.TrySetResult(true);
                    relief?.TrySetResult(true);
                    signal?.TrySetResult(true);
                }
            }
        }

        /// <summary>
        /// Writes one batch. On a plain TCP connection the bytes go to the (non-blocking) socket first: a write the
        /// kernel takes whole, which is nearly every write, then never reaches the stream's asynchronous send, whose
        /// per-socket state .NET allocates on first use and keeps for the socket's life (about 360 bytes, a tenth of an
        /// idle connection). Whatever the kernel does not take (a slow reader, an error) goes through the stream as before.
        /// </summary>
        private Task WriteAsync(byte[] buffer, int length)
        {
            var sent = 0;
            if (_sendDirect)
            {
                sent = _accepted.Socket.Send(buffer, 0, length, SocketFlags.None, out _);
                if (sent == length) return Task.CompletedTask;
            }
            return _stream.WriteAsync(buffer, sent, length - sent);
        }

        private static void EnsureCapacity(ref byte[] buffer, int used, int more)
        {
            if (used + more <= buffer.Length) return;
            var bigger = MqttBufferPool.Shared.Rent(Math.Max(buffer.Length * 2, used + more));
            Buffer.BlockCopy(buffer, 0, bigger, 0, used);
            MqttBufferPool.Shared.Return(buffer);
            buffer = bigger;
        }

        // ---------------------------------------------------------------- closing

        /// <summary>Closes with a reason: 5.0 clients get DISCONNECT with it first [MQTT-4.13.1-1].</summary>
        public void CloseWithReason(DisconnectReasonCode reason, string why)
        {
            if (_closeReason == null) _closeReason = why;
            if (V5 && IsConnected && !IsClosing)
            {
                Send(new DisconnectPacket { ReasonCode = reason });
                CloseAfterFlush();
            }
            else Abort(why);
        }

        /// <summary>Stops accepting packets; the writer sends what is queued, then the connection is shut down.</summary>
        private void CloseAfterFlush()
        {
            if (Interlocked.Exchange(ref _closing, 1) != 0) return;
            var start = false;
            lock (_sendLock)
            {
                _closeAfterFlush = true;
                if (_writerIdle) { _writerIdle = false; start = true; }
            }
            if (start) StartWriter();
            // Bound the wait for a peer that neither reads nor closes.
            _ = Task.Delay(2000).ContinueWith(_ => Abort("close timed out"), TaskScheduler.Default);
        }

        /// <summary>Closes at once, without sending anything more.</summary>
        public void Abort(string why)
        {
            if (_closeReason == null) _closeReason = why;
            Interlocked.Exchange(ref _closing, 1);
            try { _stream.Dispose(); } catch (Exception) { }
            var start = false;
            lock (_sendLock)
            {
                _closeAfterFlush = true;
                if (_writerIdle) { _writerIdle = false; start = true; }
            }
            // The stream is gone: this run only ends the writer (its writes fail at once).
            if (start) StartWriter();
        }

        private async Task FinishAsync()
        {
            if (!IsClosing) CloseAfterFlush();
            // Closing has started a last writer run if none was running: wait until it has flushed and ended.
            Task writerExited = null;
            lock (_sendLock)
            {
                if (!_writerExited)
                {
                    if (_writerExitedSignal == null) _writerExitedSignal = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                    writerExited = _writerExitedSignal.Task;
                }
            }
            if (writerExited != null) await writerExited.ConfigureAwait(false);
            Abort(_closeReason ?? "closed");
            if (Interlocked.Exchange(ref _cleanedUp, 1) != 0) return;
            try { _accepted.OnClose?.Invoke(); } catch (Exception) { }
            _decoder.Dispose();
            CutRetained();
            _broker.OnConnectionClosed(this, _closeReason ?? "closed", _will);
            _will = null;
        }
    }
}
