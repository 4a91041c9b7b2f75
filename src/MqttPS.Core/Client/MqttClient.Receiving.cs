using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using MqttPS.Core.Messages;
using MqttPS.Core.Protocol;

namespace MqttPS.Core.Client
{
    // The receive loop, incoming publishes (QoS 0/1/2, exactly once), the receive queue and keep alive.
    public sealed partial class MqttClient
    {
        private readonly HashSet<ushort> _incomingQoS2 = new HashSet<ushort>();
        private long _droppedMessages;

        /// <summary>The next received message, waiting for one; null once the client is closed for good (after
        /// DisconnectAsync, Dispose, or a connection loss without AutoReconnect) and the queue is drained.</summary>
        public Task<MqttMessage> ReceiveAsync(CancellationToken cancellationToken = default(CancellationToken)) => _receiveQueue.DequeueAsync(cancellationToken);

        /// <summary>A queued message without waiting.</summary>
        public bool TryReceive(out MqttMessage message) => _receiveQueue.TryDequeue(out message);

        private async Task ReceiveLoopAsync(MqttClientConnection connection)
        {
            var cancellationToken = connection.Cancellation.Token;
            var decoder = connection.Decoder;
            Exception failure = null;
            DisconnectReasonCode? serverReason = null;
            string serverReasonString = null;
            try
            {
                while (true)
                {
                    while (decoder.TryDecode(out var packet))
                    {
                        connection.LastReceiveTimestamp = Stopwatch.GetTimestamp();
                        if (packet is DisconnectPacket disconnect)
                        {
                            serverReason = disconnect.ReasonCode;
                            serverReasonString = disconnect.HasProperties ? disconnect.Properties.ReasonString : null;
                            Log("<- DISCONNECT " + disconnect.ReasonCode + (serverReasonString != null ? " " + serverReasonString : ""));
                            connection.ReceiveLoopEnded();
                            OnConnectionLost(connection, null, serverReason, serverReasonString);
                            return;
                        }
                        var handled = HandlePacket(connection, packet);
                        if (!handled.IsCompleted) await handled.ConfigureAwait(false);
                        else if (handled.IsFaulted) await handled.ConfigureAwait(false); // rethrows
                        var room = connection.Writer.WaitUntilUncongestedAsync();
                        if (!room.IsCompleted) await room.ConfigureAwait(false);
                    }
                    var segment = decoder.GetReceiveBuffer(16384);
                    var n = await connection.Stream.ReadAsync(segment.Array, segment.Offset, segment.Count, cancellationToken).ConfigureAwait(false);
                    if (n == 0)
                    {
                        failure = new MqttConnectionLostException("The broker closed the connection.");
                        break;
                    }
                    decoder.Commit(n);
                }
            }
            catch (MqttProtocolException e)
            {
                failure = e;
                Log("protocol error: " + e.Message);
                if (connection.Version == MqttProtocolVersion.V500 && !connection.IsClosed)
                {
                    // Tell the broker why before closing.
                    var write = connection.Writer.WriteAsync(new DisconnectPacket { ReasonCode = ToDisconnectReason(e.ReasonCode) });
                    try { await Task.WhenAny(write, Task.Delay(1000)).ConfigureAwait(false); } catch (Exception) { }
                    Observe(write);
                }
            }
            catch (Exception e)
            {
                failure = e;
            }
            finally
            {
                // Only this loop reads into the decoder's pooled buffer, so only it may give the buffer back.
                connection.ReceiveLoopEnded();
            }
            if (!connection.IsClosed) OnConnectionLost(connection, failure, null, null);
        }

        private static DisconnectReasonCode ToDisconnectReason(MqttReasonCode code)
        {
            return Enum.IsDefined(typeof(DisconnectReasonCode), (byte)code) ? (DisconnectReasonCode)(byte)code : DisconnectReasonCode.ProtocolError;
        }

        private Task HandlePacket(MqttClientConnection connection, MqttPacket packet)
        {
            switch (packet)
            {
                case PublishPacket publish:
                    return HandlePublish(connection, publish);
                case PubAckPacket ack:
                    if (Trace != null) Log("<- PUBACK id=" + ack.PacketId + " " + ack.ReasonCode);
                    HandlePubAck(ack);
                    break;
                case PubRecPacket rec:
                    if (Trace != null) Log("<- PUBREC id=" + rec.PacketId + " " + rec.ReasonCode);
                    HandlePubRec(connection, rec);
                    break;
                case PubCompPacket comp:
                    if (Trace != null) Log("<- PUBCOMP id=" + comp.PacketId + " " + comp.ReasonCode);
                    HandlePubComp(comp);
                    break;
                case PubRelPacket rel:
                    if (Trace != null) Log("<- PUBREL id=" + rel.PacketId);
                    HandlePubRel(connection, rel);
                    break;
                case SubAckPacket subAck:
                    Log("<- SUBACK id=" + subAck.PacketId + " " + string.Join(",", subAck.ReasonCodes));
                    CompleteRequest(subAck.PacketId, packet);
                    break;
                case UnsubAckPacket unsubAck:
                    Log("<- UNSUBACK id=" + unsubAck.PacketId);
                    CompleteRequest(unsubAck.PacketId, packet);
                    break;
                case PingRespPacket _:
                    if (Trace != null) Log("<- PINGRESP");
                    Interlocked.Exchange(ref connection.PingSentTimestamp, 0);
                    break;
                case AuthPacket auth:
                    return HandleAuthAsync(connection, auth);
                default:
                    throw new MqttProtocolException(MqttReasonCode.ProtocolError, null, "The broker sent a " + packet.PacketType + " packet, which a server must not send to a client.");
            }
            return Task.CompletedTask;
        }

        private Task HandlePublish(MqttClientConnection connection, PublishPacket publish)
        {
            string topic;
            if (connection.IncomingAliases != null) topic = connection.IncomingAliases.Resolve(publish);
            else
            {
                if (publish.HasProperties && publish.Properties.TopicAlias.HasValue)
                    throw new MqttProtocolException(MqttReasonCode.TopicAliasInvalid, "MQTT-3.3.2-11", "The broker used topic alias " + publish.Properties.TopicAlias.Value + " although this client allows none.");
                topic = publish.Topic;
            }
            if (Trace != null) Log("<- PUBLISH topic=" + topic + " qos=" + (byte)publish.QoS + (publish.PacketId != 0 ? " id=" + publish.PacketId : "") + (publish.Dup ? " dup" : "") + (publish.Retain ? " retain" : "") + " (" + publish.Payload.Length + " bytes)");

            if (publish.QoS == MqttQualityOfService.ExactlyOnce)
            {
                bool isNew;
                lock (_sessionLock) isNew = _incomingQoS2.Add(publish.PacketId);
                if (!isNew)
                {
                    // Already received and PUBREC'd, PUBREL still to come: a redelivery, not a new message [MQTT-4.3.3-10].
                    Log("duplicate QoS 2 PUBLISH id=" + publish.PacketId + " not delivered again");
                    SendAck(connection, publish);
                    return Task.CompletedTask;
                }
            }

            var message = ToMessage(publish, topic);
            if (TryCompleteResponse(message))
            {
                SendAck(connection, publish);
                return Task.CompletedTask;
            }
            var handler = MessageReceived;
            if (handler != null)
            {
                var args = new MqttMessageReceivedEventArgs(message);
                try { handler(this, args); }
                catch (Exception e) { Log("MessageReceived handler failed: " + e.Message); }
                if (args.Handled) return AcknowledgeWhenAccepted(connection, publish, args.Acceptance);
            }
            switch (_options.ReceiveOverflowPolicy)
            {
                case ReceiveOverflowPolicy.DropOldest:
                    if (_receiveQueue.EnqueueDropOldest(message) != null) Interlocked.Increment(ref _droppedMessages);
                    break;
                case ReceiveOverflowPolicy.DropNewest:
                    if (!_receiveQueue.TryEnqueue(message)) Interlocked.Increment(ref _droppedMessages);
                    break;
                default:
                    var enqueue = _receiveQueue.EnqueueAsync(message, connection.Cancellation.Token);
                    if (!enqueue.IsCompleted) return EnqueueWithBackpressureAsync(connection, publish, enqueue);
                    break;
            }
            // Acknowledged only once queued, in arrival order [MQTT-4.6.0-2], [MQTT-4.6.0-3].
            SendAck(connection, publish);
            return Task.CompletedTask;
        }

        private async Task EnqueueWithBackpressureAsync(MqttClientConnection connection, PublishPacket publish, Task<bool> enqueue)
        {
            connection.ReceiveBlocked = true;
            if (Trace != null) Log("receive queue full (" + _receiveQueue.Capacity + "): not reading from the broker until the consumer catches up");
            try { await enqueue.ConfigureAwait(false); }
            catch (OperationCanceledException)
            {
                // The connection closed before the message could be queued: it was not delivered and not
                // acknowledged, so the broker sends it again; a QoS 2 redelivery must not count as a duplicate.
                if (publish.QoS == MqttQualityOfService.ExactlyOnce) lock (_sessionLock) _incomingQoS2.Remove(publish.PacketId);
                throw;
            }
            finally
            {
                ResumeReceiving(connection);
            }
            SendAck(connection, publish);
        }

        /// <summary>Most acknowledgements held back for a slow consumer before the client also stops reading: twice our
        /// Receive Maximum (or of 65,535 when we announce none). A broker that keeps within the Receive Maximum (the
        /// embedded one does) never gets there, and the client goes on reading acknowledgements of its own publishes;
        /// mosquitto 2.0.11 sends on past the window once earlier messages were acknowledged, and this bounds what
        /// the client holds for it.</summary>
        private int MaxHeldAcknowledgements => 2 * (_options.ReceiveMaximum != 0 ? _options.ReceiveMaximum : ushort.MaxValue);

        /// <summary>A MessageReceived handler took the message, to be accepted when <paramref name="accepted"/> completes
        /// (see <see cref="MqttMessageReceivedEventArgs.Defer"/>). The returned task is what the receive loop waits for
        /// before it reads on.</summary>
        private Task AcknowledgeWhenAccepted(MqttClientConnection connection, PublishPacket publish, Task accepted)
        {
            if (publish.QoS == MqttQualityOfService.AtMostOnce)
                return accepted == null || accepted.IsCompleted ? Task.CompletedTask : PauseReceivingAsync(connection, accepted, "the consumer is full");
            connection.Acknowledgements.Enqueue(publish, accepted);
            if (accepted != null && !accepted.IsCompleted && Trace != null) Log("consumer full: acknowledgement of id=" + publish.PacketId + " held back");
            var room = connection.Acknowledgements.WhenFewerThan(MaxHeldAcknowledgements + 1);
            return room.IsCompleted ? Task.CompletedTask : PauseReceivingAsync(connection, room, "more than " + MaxHeldAcknowledgements + " acknowledgements are held back");
        }

        /// <summary>Stops reading the socket until <paramref name="until"/> completes or the connection closes; TCP flow
        /// control then slows the broker down. Keep alive does not count the pause as a dead link.</summary>
        private async Task PauseReceivingAsync(MqttClientConnection connection, Task until, string why)
        {
            connection.ReceiveBlocked = true;
            if (Trace != null) Log(why + ": not reading from the broker until the consumer catches up");
            try
            {
                var closed = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                using (connection.Cancellation.Token.Register(() => closed.TrySetResult(true)))
                {
                    await Task.WhenAny(until, closed.Task).ConfigureAwait(false);
                }
                connection.Cancellation.Token.ThrowIfCancellationRequested();
            }
            finally
            {
                ResumeReceiving(connection);
            }
        }

        private static void ResumeReceiving(MqttClientConnection connection)
        {
            connection.ReceiveBlocked = false;
            // Whatever PINGREQ is outstanding had no chance to be read: give it a fresh period.
            if (Interlocked.Read(ref connection.PingSentTimestamp) != 0) Interlocked.Exchange(ref connection.PingSentTimestamp, Stopwatch.GetTimestamp());
            connection.LastReceiveTimestamp = Stopwatch.GetTimestamp();
        }

        /// <summary>Acknowledges a received QoS 1/2 message, after any whose acknowledgement is still held back.</summary>
        private void SendAck(MqttClientConnection connection, PublishPacket publish)
        {
            if (publish.QoS != MqttQualityOfService.AtMostOnce) connection.Acknowledgements.Enqueue(publish, null);
        }

        /// <summary>Writes one acknowledgement; called by the connection's <see cref="AcknowledgementSequencer"/> in arrival order.</summary>
        private void WriteAcknowledgement(MqttClientConnection connection, PublishPacket publish)
        {
            switch (publish.QoS)
            {
                case MqttQualityOfService.AtLeastOnce:
                    if (Trace != null) Log("-> PUBACK id=" + publish.PacketId);
                    Observe(connection.Writer.WriteNow(new PubAckPacket { PacketId = publish.PacketId }));
                    break;
                case MqttQualityOfService.ExactlyOnce:
                    if (Trace != null) Log("-> PUBREC id=" + publish.PacketId);
                    Observe(connection.Writer.WriteNow(new PubRecPacket { PacketId = publish.PacketId }));
                    break;
            }
        }

        private void HandlePubRel(MqttClientConnection connection, PubRelPacket rel)
        {
            bool known;
            lock (_sessionLock) known = _incomingQoS2.Remove(rel.PacketId);
            var comp = new PubCompPacket { PacketId = rel.PacketId };
            if (!known && connection.Version == MqttProtocolVersion.V500) comp.ReasonCode = PubRelReasonCode.PacketIdentifierNotFound;
            if (Trace != null) Log("-> PUBCOMP id=" + rel.PacketId + (known ? "" : " (not found)"));
            Observe(connection.Writer.WriteAsync(comp));
        }

        private async Task HandleAuthAsync(MqttClientConnection connection, AuthPacket auth)
        {
            Log("<- AUTH " + auth.ReasonCode);
            var authenticator = _options.Authenticator;
            if (authenticator == null)
                throw new MqttProtocolException(MqttReasonCode.ProtocolError, "MQTT-4.12.0-6", "The broker sent AUTH although the client did not ask for enhanced authentication.");
            var data = auth.HasProperties ? auth.Properties.AuthenticationData : null;
            if (auth.ReasonCode == AuthReasonCode.Success)
            {
                authenticator.OnAuthenticated(data);
                return;
            }
            var response = await authenticator.RespondAsync(data, connection.Cancellation.Token).ConfigureAwait(false);
            var reply = new AuthPacket { ReasonCode = AuthReasonCode.ContinueAuthentication };
            reply.Properties.AuthenticationMethod = authenticator.AuthenticationMethod;
            reply.Properties.AuthenticationData = response;
            Log("-> AUTH ContinueAuthentication");
            Observe(connection.Writer.WriteAsync(reply));
        }

        private static MqttMessage ToMessage(PublishPacket publish, string topic)
        {
            var message = new MqttMessage
            {
                Topic = topic,
                PayloadBytes = publish.Payload,
                QoS = publish.QoS,
                Retain = publish.Retain,
                Duplicate = publish.Dup,
            };
            if (publish.HasProperties)
            {
                var p = publish.Properties;
                message.ContentType = p.ContentType;
                message.PayloadFormatIndicator = p.PayloadFormatIndicator;
                message.MessageExpiryInterval = p.MessageExpiryInterval;
                message.ResponseTopic = p.ResponseTopic;
                message.CorrelationData = p.CorrelationData;
                if (p.HasUserProperties) message.UserProperties.AddRange(p.UserProperties);
                if (p.HasSubscriptionIdentifiers) message.SubscriptionIdentifiers.AddRange(p.SubscriptionIdentifiers);
            }
            return message;
        }

        /// <summary>
        /// Keep alive [MQTT-3.1.2-20]: a PINGREQ when nothing was sent for three quarters of the interval, or nothing was
        /// received for a whole interval. No PINGRESP (or any packet) within half the interval, clamped to 1-30 s,
        /// means the link is dead. Not while the client itself stops reading for back-pressure.
        /// </summary>
        private async Task KeepAliveLoopAsync(MqttClientConnection connection)
        {
            var keepAliveMs = connection.ConnectResult.KeepAliveSeconds * 1000L;
            var pingTimeoutMs = Math.Max(1000L, Math.Min(30000L, keepAliveMs / 2));
            var tick = (int)Math.Max(100L, Math.Min(1000L, keepAliveMs / 4));
            var cancellationToken = connection.Cancellation.Token;
            try
            {
                while (!cancellationToken.IsCancellationRequested)
                {
                    await Task.Delay(tick, cancellationToken).ConfigureAwait(false);
                    var pingSent = Interlocked.Read(ref connection.PingSentTimestamp);
                    if (pingSent != 0)
                    {
                        if (!connection.ReceiveBlocked && ElapsedMilliseconds(pingSent) > pingTimeoutMs && connection.LastReceiveTimestamp < pingSent)
                        {
                            OnConnectionLost(connection, new TimeoutException("No PINGRESP from " + Address + " within " + pingTimeoutMs / 1000.0 + " s: the connection is dead."), null, null);
                            return;
                        }
                        if (connection.ReceiveBlocked && ElapsedMilliseconds(connection.Writer.LastWriteTimestamp) >= keepAliveMs * 3 / 4)
                        {
                            // Not reading (back-pressure) must not look like a dead client to the broker, which expects a
                            // packet every keep-alive period [MQTT-3.1.2-22]: keep pinging; the answers wait in the socket.
                            if (Trace != null) Log("-> PINGREQ (receive paused)");
                            Observe(connection.Writer.WriteAsync(PingReqPacket.Instance));
                        }
                        continue;
                    }
                    if (ElapsedMilliseconds(connection.Writer.LastWriteTimestamp) >= keepAliveMs * 3 / 4 ||
                        (!connection.ReceiveBlocked && ElapsedMilliseconds(connection.LastReceiveTimestamp) >= keepAliveMs))
                    {
                        Interlocked.Exchange(ref connection.PingSentTimestamp, Stopwatch.GetTimestamp());
                        if (Trace != null) Log("-> PINGREQ");
                        Observe(connection.Writer.WriteAsync(PingReqPacket.Instance));
                    }
                }
            }
            catch (OperationCanceledException) { }
        }
    }
}
