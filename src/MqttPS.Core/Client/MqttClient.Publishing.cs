using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using MqttPS.Core.Messages;
using MqttPS.Core.Protocol;
using MqttPS.Core.Topics;

namespace MqttPS.Core.Client
{
    // Outgoing publishes: QoS 0/1/2 flows, the in-flight window, the offline queue and the resend after reconnect.
    public sealed partial class MqttClient
    {
        private readonly Dictionary<ushort, OutgoingPublish> _outgoing = new Dictionary<ushort, OutgoingPublish>();
        private readonly Queue<OfflinePublish> _offline = new Queue<OfflinePublish>();
        private readonly LinkedList<OutgoingPublish> _awaitingWindow = new LinkedList<OutgoingPublish>();
        // The connection's window (MaxInflightMessages or the protocol's default) and what the broker allows at most
        // (its Receive Maximum at 5.0; 3.1.x has none). Set after each CONNACK under _sessionLock.
        private int _windowCapacity = 65535;
        private int _windowCeiling = 65535;
        private int _inFlightCount;
        private long _publishSequence;

        /// <summary>
        /// Publishes a message. QoS 0 completes when written; QoS 1 at PUBACK; QoS 2 at PUBCOMP. Many may be in flight
        /// at once, up to <see cref="InflightWindow"/> (further calls wait for a slot). A refusal by the broker (reason
        /// code 0x80 or above) fails with <see cref="MqttPublishException"/>. While disconnected with AutoReconnect the
        /// publish is queued (up to OfflineQueueCapacity) and sent after the reconnect; otherwise it fails at once.
        /// Cancellation stops waiting for a window slot or the reconnect; once sent, a publish cannot be recalled.
        /// </summary>
        public Task<MqttPublishResult> PublishAsync(MqttMessage message, CancellationToken cancellationToken = default(CancellationToken))
            => PublishAsync(message, 0, cancellationToken);

        /// <summary>
        /// Like <see cref="PublishAsync(MqttMessage, CancellationToken)"/>, but a QoS 1/2 message is sent only while
        /// fewer than <paramref name="maxInflight"/> publishes await acknowledgement (0: the connection's
        /// <see cref="InflightWindow"/>), for a caller that knows the broker takes more (or fewer) than the
        /// connection's window. At 5.0 the broker's Receive Maximum still caps it [MQTT-3.3.4-7]. Publishes start in
        /// the order they were made whatever their window.
        /// </summary>
        public Task<MqttPublishResult> PublishAsync(MqttMessage message, int maxInflight, CancellationToken cancellationToken = default(CancellationToken))
        {
            if (message == null) throw new ArgumentNullException(nameof(message));
            if (maxInflight < 0 || maxInflight > 65535) throw new ArgumentOutOfRangeException(nameof(maxInflight), maxInflight, "The in-flight window is 1-65535, or 0 for the connection's.");
            ThrowIfDisposed();
            MqttTopic.ValidateTopicName(message.Topic ?? throw new ArgumentException("The message has no topic.", nameof(message)));
            if ((byte)message.QoS > 2) throw new ArgumentException("QoS " + (byte)message.QoS + " does not exist: use 0, 1 or 2.", nameof(message));
            var connection = _connection;
            if (connection == null) return PublishWhileDisconnected(message, maxInflight, cancellationToken);
            return PublishOnConnection(connection, message, maxInflight, cancellationToken);
        }

        /// <summary>
        /// How many QoS 1/2 publishes this client keeps unacknowledged at once on the current (or last) connection:
        /// <see cref="MqttClientOptions.MaxInflightMessages"/> when set, else the broker's Receive Maximum at 5.0 and
        /// <see cref="MqttClientOptions.DefaultMqtt3InflightWindow"/> at 3.1.1/3.1; never more than the broker's
        /// Receive Maximum. Before the first connection: what the options ask for (65535 when they leave it to the broker).
        /// </summary>
        public int InflightWindow
        {
            get
            {
                lock (_sessionLock)
                {
                    if (LastConnectResult != null) return _windowCapacity;
                }
                if (_options.MaxInflightMessages != 0) return _options.MaxInflightMessages;
                return _options.ProtocolVersion == MqttProtocolVersion.V500 ? 65535 : MqttClientOptions.DefaultMqtt3InflightWindow;
            }
        }

        /// <summary>The window of a connection: see <see cref="InflightWindow"/>.</summary>
        private int WindowFor(MqttProtocolVersion version, int receiveMaximum)
        {
            var ceiling = version == MqttProtocolVersion.V500 ? receiveMaximum : 65535;
            var wanted = _options.MaxInflightMessages != 0 ? _options.MaxInflightMessages
                : version == MqttProtocolVersion.V500 ? receiveMaximum : MqttClientOptions.DefaultMqtt3InflightWindow;
            return Math.Min(wanted, ceiling);
        }

        /// <summary>How many may be in flight when <paramref name="pending"/> starts. Caller holds _sessionLock.</summary>
        private int CapacityFor(OutgoingPublish pending)
            => pending.WindowLimit > 0 ? Math.Min(pending.WindowLimit, _windowCeiling) : _windowCapacity;

        private Task<MqttPublishResult> PublishWhileDisconnected(MqttMessage message, int maxInflight, CancellationToken cancellationToken)
        {
            OfflinePublish queued;
            lock (_stateLock)
            {
                var connection = _connection;
                if (connection != null) return PublishOnConnection(connection, message, maxInflight, cancellationToken);
                var reconnecting = _reconnectPending;
                if (!reconnecting)
                    throw new InvalidOperationException("The client is not connected to " + Address + (_everConnected ? " (the connection was closed)" : ": call ConnectAsync first") + "; cannot publish to '" + message.Topic + "'.");
                lock (_sessionLock)
                {
                    if (_offline.Count >= _options.OfflineQueueCapacity)
                        throw new InvalidOperationException("The client is disconnected from " + Address + " and its offline queue is full (" +
                            _options.OfflineQueueCapacity + " messages): the publish to '" + message.Topic + "' was not accepted.");
                    queued = new OfflinePublish(message, maxInflight, cancellationToken);
                    _offline.Enqueue(queued);
                }
            }
            Log("queued offline: PUBLISH topic=" + message.Topic + " qos=" + (byte)message.QoS);
            return queued.Completion.Task;
        }

        private Task<MqttPublishResult> PublishOnConnection(MqttClientConnection connection, MqttMessage message, int maxInflight, CancellationToken cancellationToken)
        {
            var limits = connection.ConnectResult;
            if (message.QoS > limits.MaximumQoS)
                throw new MqttProtocolException(MqttReasonCode.QoSNotSupported, "MQTT-3.2.2-11", "The broker at " + Address + " accepts publishes up to QoS " +
                    (byte)limits.MaximumQoS + "; cannot publish to '" + message.Topic + "' at QoS " + (byte)message.QoS + ".");
            if (message.Retain && !limits.RetainAvailable)
                throw new MqttProtocolException(MqttReasonCode.RetainNotSupported, "MQTT-3.2.2-14", "The broker at " + Address + " does not support retained messages; cannot publish '" + message.Topic + "' with retain.");
            var packet = CreatePublishPacket(message, connection.Version);
            if (limits.MaximumPacketSize > 0)
            {
                if (packet.QoS != MqttQualityOfService.AtMostOnce) packet.PacketId = 1; // the size needs an identifier; the real one comes later
                var size = MqttPacketEncoder.GetEncodedLength(packet, connection.Version) + (connection.Writer.TopicAliases != null ? 3 : 0);
                packet.PacketId = 0;
                if (size > limits.MaximumPacketSize)
                    throw new MqttProtocolException(MqttReasonCode.PacketTooLarge, "MQTT-3.1.2-24", "The publish to '" + message.Topic + "' encodes to " + size +
                        " bytes but the broker at " + Address + " accepts packets of at most " + limits.MaximumPacketSize + " bytes.");
            }
            if (packet.QoS == MqttQualityOfService.AtMostOnce)
            {
                if (Trace != null) Log("-> PUBLISH topic=" + packet.Topic + " qos=0" + (packet.Retain ? " retain" : "") + " (" + packet.Payload.Length + " bytes)");
                return connection.Writer.WriteAsync(packet);
            }
            return PublishAcknowledgedAsync(packet, maxInflight, cancellationToken);
        }

        private async Task<MqttPublishResult> PublishAcknowledgedAsync(PublishPacket packet, int maxInflight, CancellationToken cancellationToken)
        {
            var pending = new OutgoingPublish(packet, Interlocked.Increment(ref _publishSequence), maxInflight);
            bool waiting;
            lock (_sessionLock)
            {
                waiting = _inFlightCount >= CapacityFor(pending) || _awaitingWindow.Count > 0;
                if (waiting) _awaitingWindow.AddLast(pending);
                else StartInFlight(pending);
            }
            if (_connection == null)
            {
                bool willResend;
                lock (_stateLock) willResend = _reconnectPending;
                if (!willResend) AbandonOutgoing(pending, new MqttConnectionLostException("The connection to " + Address + " closed before the publish was sent.").ForPublish(false));
            }
            if (waiting && cancellationToken.CanBeCanceled)
            {
                using (cancellationToken.Register(() => CancelAwaitingWindow(pending)))
                    return CheckResult(packet, await pending.Completion.Task.ConfigureAwait(false));
            }
            return CheckResult(packet, await pending.Completion.Task.ConfigureAwait(false));
        }

        private void AbandonOutgoing(OutgoingPublish pending, Exception failure)
        {
            lock (_sessionLock)
            {
                if (!_awaitingWindow.Remove(pending))
                {
                    var id = pending.Packet.PacketId;
                    if (id == 0 || !_outgoing.TryGetValue(id, out var registered) || registered != pending) return;
                    _outgoing.Remove(id);
                    _packetIds.Release(id);
                    _inFlightCount--;
                }
            }
            pending.Completion.TrySetException(failure);
        }

        private static MqttPublishResult CheckResult(PublishPacket packet, MqttPublishResult result)
        {
            if (!result.IsSuccess) throw new MqttPublishException(packet.Topic, result);
            return result;
        }

        private void CancelAwaitingWindow(OutgoingPublish pending)
        {
            bool removed;
            lock (_sessionLock) removed = _awaitingWindow.Remove(pending);
            if (removed) pending.Completion.TrySetCanceled();
        }

        /// <summary>
        /// Takes a window slot and an identifier and sends, all under the session lock: publishes that waited for the
        /// window go out in the order they were made, whichever thread frees the slot. Caller holds _sessionLock.
        /// </summary>
        private void StartInFlight(OutgoingPublish pending)
        {
            _inFlightCount++;
            pending.Packet.PacketId = _packetIds.Allocate();
            _outgoing[pending.Packet.PacketId] = pending;
            var connection = _connection;
            if (connection != null) SendPublish(connection, pending);
            // Otherwise it is sent by ResumeSession after the reconnect, or failed by FailSession.
        }

        /// <summary>Starts waiting publishes while the window has room. Caller holds _sessionLock.</summary>
        private void PumpWindow()
        {
            while (_awaitingWindow.Count > 0 && _inFlightCount < CapacityFor(_awaitingWindow.First.Value))
            {
                var next = _awaitingWindow.First.Value;
                _awaitingWindow.RemoveFirst();
                StartInFlight(next);
            }
        }

        private void SendPublish(MqttClientConnection connection, OutgoingPublish pending)
        {
            Task write;
            lock (pending)
            {
                var packet = pending.Packet;
                if (pending.AwaitingPubComp)
                {
                    if (Trace != null) Log("-> PUBREL id=" + packet.PacketId);
                    write = connection.Writer.WriteAsync(new PubRelPacket { PacketId = packet.PacketId });
                }
                else
                {
                    packet.Dup = pending.SentOnce; // [MQTT-3.3.1-1]: DUP only on a redelivery
                    pending.SentOnce = true;
                    if (Trace != null) Log("-> PUBLISH topic=" + packet.Topic + " qos=" + (byte)packet.QoS + " id=" + packet.PacketId + (packet.Dup ? " dup" : "") + (packet.Retain ? " retain" : "") + " (" + packet.Payload.Length + " bytes)");
                    write = connection.Writer.WriteAsync(packet);
                }
            }
            // A failed write means a lost connection: the publish stays in _outgoing and is resent or failed from there.
            Observe(write);
        }

        internal static PublishPacket CreatePublishPacket(MqttMessage message, MqttProtocolVersion version)
        {
            var packet = new PublishPacket
            {
                Topic = message.Topic,
                Payload = message.PayloadBytes,
                QoS = message.QoS,
                Retain = message.Retain,
            };
            if (version == MqttProtocolVersion.V500)
            {
                if (message.ContentType != null) packet.Properties.ContentType = message.ContentType;
                if (message.PayloadFormatIndicator.HasValue) packet.Properties.PayloadFormatIndicator = message.PayloadFormatIndicator;
                if (message.MessageExpiryInterval.HasValue) packet.Properties.MessageExpiryInterval = message.MessageExpiryInterval;
                if (message.ResponseTopic != null) packet.Properties.ResponseTopic = message.ResponseTopic;
                if (message.CorrelationData != null) packet.Properties.CorrelationData = message.CorrelationData;
                if (message.HasUserProperties) packet.Properties.UserProperties.AddRange(message.UserProperties);
            }
            return packet;
        }

        /// <summary>PUBACK (QoS 1) or the end of a QoS 2 flow: frees the identifier and the window slot.</summary>
        private void CompleteOutgoing(ushort packetId, MqttPublishResult result, Exception failure)
        {
            OutgoingPublish pending;
            lock (_sessionLock)
            {
                if (!_outgoing.TryGetValue(packetId, out pending)) return;
                _outgoing.Remove(packetId);
                _packetIds.Release(packetId);
                _inFlightCount--;
                PumpWindow();
            }
            if (failure != null) pending.Completion.TrySetException(failure);
            else pending.Completion.TrySetResult(result);
        }

        private void HandlePubAck(PubAckPacket ack)
        {
            OutgoingPublish pending;
            lock (_sessionLock) _outgoing.TryGetValue(ack.PacketId, out pending);
            if (pending == null || pending.Packet.QoS != MqttQualityOfService.AtLeastOnce)
            {
                Log("PUBACK for unknown packet id " + ack.PacketId + " ignored");
                return;
            }
            CompleteOutgoing(ack.PacketId, ResultOf(ack, ack.ReasonCode), null);
        }

        private void HandlePubRec(MqttClientConnection connection, PubRecPacket rec)
        {
            OutgoingPublish pending;
            lock (_sessionLock) _outgoing.TryGetValue(rec.PacketId, out pending);
            if (pending == null || pending.Packet.QoS != MqttQualityOfService.ExactlyOnce)
            {
                // Answer anyway so the broker can finish its flow; in 5.0 with reason Packet Identifier Not Found.
                Observe(connection.Writer.WriteAsync(new PubRelPacket { PacketId = rec.PacketId, ReasonCode = connection.Version == MqttProtocolVersion.V500 ? PubRelReasonCode.PacketIdentifierNotFound : PubRelReasonCode.Success }));
                return;
            }
            if ((byte)rec.ReasonCode >= 0x80)
            {
                // A failed PUBREC ends the flow: no PUBREL follows and the identifier is free again.
                CompleteOutgoing(rec.PacketId, ResultOf(rec, rec.ReasonCode), null);
                return;
            }
            lock (pending)
            {
                pending.AwaitingPubComp = true;
                pending.PubRecReasonCode = rec.ReasonCode;
            }
            SendPublish(connection, pending);
        }

        private void HandlePubComp(PubCompPacket comp)
        {
            OutgoingPublish pending;
            lock (_sessionLock) _outgoing.TryGetValue(comp.PacketId, out pending);
            if (pending == null || !pending.AwaitingPubComp)
            {
                Log("PUBCOMP for unknown packet id " + comp.PacketId + " ignored");
                return;
            }
            CompleteOutgoing(comp.PacketId, new MqttPublishResult(comp.PacketId, pending.PubRecReasonCode,
                comp.HasProperties ? comp.Properties.ReasonString : null, comp.HasProperties && comp.Properties.HasUserProperties ? comp.Properties.UserProperties.ToArray() : null), null);
        }

        private static MqttPublishResult ResultOf(PublishResponsePacket packet, PubAckReasonCode code)
        {
            if (!packet.HasProperties) return new MqttPublishResult(packet.PacketId, code, null, null);
            return new MqttPublishResult(packet.PacketId, code, packet.Properties.ReasonString, packet.Properties.HasUserProperties ? packet.Properties.UserProperties.ToArray() : null);
        }

        /// <summary>
        /// After CONNACK: makes the subscriptions again when the broker lost the session, then resends what is unacknowledged
        /// (with DUP, or PUBREL for QoS 2 past PUBREC [MQTT-4.4.0-1]), then sends the publishes queued while offline.
        /// </summary>
        private void ResumeSession(MqttClientConnection connection, bool sessionPresent, bool isReconnect)
        {
            if (isReconnect && !sessionPresent) Resubscribe(connection);

            List<OutgoingPublish> inFlight;
            lock (_sessionLock)
            {
                inFlight = new List<OutgoingPublish>(_outgoing.Values);
            }
            inFlight.Sort((a, b) => a.Sequence.CompareTo(b.Sequence));
            foreach (var pending in inFlight)
            {
                if (!sessionPresent)
                {
                    bool released;
                    lock (pending)
                    {
                        released = pending.AwaitingPubComp;
                        // A new session: the message is published afresh, not as a duplicate.
                        if (!released) pending.SentOnce = false;
                    }
                    if (released)
                    {
                        // The broker had taken the message over at PUBREC; with its session gone there is nothing to release.
                        CompleteOutgoing(pending.Packet.PacketId, new MqttPublishResult(pending.Packet.PacketId, pending.PubRecReasonCode, null, null), null);
                        continue;
                    }
                }
                SendPublish(connection, pending);
            }
            lock (_sessionLock)
            {
                _windowCeiling = connection.Version == MqttProtocolVersion.V500 ? connection.ConnectResult.ReceiveMaximum : 65535;
                _windowCapacity = WindowFor(connection.Version, connection.ConnectResult.ReceiveMaximum);
                PumpWindow();
            }

            while (true)
            {
                OfflinePublish queued;
                lock (_sessionLock)
                {
                    if (_offline.Count == 0) break;
                    queued = _offline.Dequeue();
                }
                if (queued.CancellationToken.IsCancellationRequested)
                {
                    queued.Completion.TrySetCanceled();
                    continue;
                }
                Task<MqttPublishResult> publish;
                try { publish = PublishOnConnection(connection, queued.Message, queued.WindowLimit, queued.CancellationToken); }
                catch (Exception e)
                {
                    queued.Completion.TrySetException(e);
                    continue;
                }
                publish.ContinueWith((t, state) =>
                {
                    var q = (OfflinePublish)state;
                    if (t.IsFaulted) q.Completion.TrySetException(t.Exception.InnerExceptions);
                    else if (t.IsCanceled) q.Completion.TrySetCanceled();
                    else q.Completion.TrySetResult(t.Result);
                }, queued, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }

        /// <summary>Fails everything that waits for the session: in-flight and offline publishes (no reconnect will come).</summary>
        private void FailSession(Exception failure)
        {
            List<OutgoingPublish> inFlight;
            List<OfflinePublish> offline;
            lock (_sessionLock)
            {
                inFlight = new List<OutgoingPublish>(_outgoing.Values);
                foreach (var pending in inFlight) _packetIds.Release(pending.Packet.PacketId);
                _outgoing.Clear();
                _inFlightCount = 0;
                inFlight.AddRange(_awaitingWindow);
                _awaitingWindow.Clear();
                offline = new List<OfflinePublish>(_offline);
                _offline.Clear();
            }
            var lost = failure as MqttConnectionLostException;
            foreach (var pending in inFlight)
            {
                bool sent;
                lock (pending) sent = pending.SentOnce;
                pending.Completion.TrySetException(lost != null ? lost.ForPublish(sent) : failure);
            }
            foreach (var queued in offline) queued.Completion.TrySetException(lost != null ? lost.ForPublish(false) : failure);
            _receiveQueue.Complete();
        }
    }
}
