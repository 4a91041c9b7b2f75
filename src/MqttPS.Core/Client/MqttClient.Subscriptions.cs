using System;
using System.Collections.Generic;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using MqttPS.Core.Messages;
using MqttPS.Core.Protocol;
using MqttPS.Core.Topics;

namespace MqttPS.Core.Client
{
    // SUBSCRIBE / UNSUBSCRIBE, re-subscribing after a lost session, and the request/response helper.
    public sealed partial class MqttClient
    {
        private readonly Dictionary<ushort, TaskCompletionSource<MqttPacket>> _requests = new Dictionary<ushort, TaskCompletionSource<MqttPacket>>();
        private readonly Dictionary<string, SubscriptionRecord> _subscriptions = new Dictionary<string, SubscriptionRecord>(StringComparer.Ordinal);
        private readonly Dictionary<string, TaskCompletionSource<MqttMessage>> _responseWaiters = new Dictionary<string, TaskCompletionSource<MqttMessage>>(StringComparer.Ordinal);
        private readonly SemaphoreSlim _responseSubscriptionLock = new SemaphoreSlim(1, 1);
        private string _responseTopic;

        /// <summary>Subscribes to one filter.</summary>
        public Task<MqttSubscribeResult> SubscribeAsync(string topicFilter, MqttQualityOfService qos = MqttQualityOfService.AtMostOnce, CancellationToken cancellationToken = default(CancellationToken))
            => SubscribeAsync(new[] { new MqttTopicSubscription(topicFilter, qos) }, null, cancellationToken);

        /// <summary>
        /// Subscribes to several filters in one SUBSCRIBE, each with QoS, no-local, retain-as-published and
        /// retain-handling options (5.0), optionally tagged with a subscription identifier (5.0) that received
        /// messages carry. The result has one reason code per filter; a refused filter does not throw.
        /// </summary>
        public async Task<MqttSubscribeResult> SubscribeAsync(IEnumerable<MqttTopicSubscription> subscriptions, uint? subscriptionIdentifier = null, CancellationToken cancellationToken = default(CancellationToken))
        {
            if (subscriptions == null) throw new ArgumentNullException(nameof(subscriptions));
            ThrowIfDisposed();
            var list = new List<MqttTopicSubscription>(subscriptions);
            if (list.Count == 0) throw new ArgumentException("SUBSCRIBE needs at least one topic filter [MQTT-3.8.3-2].", nameof(subscriptions));
            foreach (var s in list)
            {
                if (s == null) throw new ArgumentException("A subscription is null.", nameof(subscriptions));
                MqttTopic.ValidateTopicFilter(s.TopicFilter ?? throw new ArgumentException("A subscription has no topic filter.", nameof(subscriptions)));
                if ((byte)s.QoS > 2) throw new ArgumentException("QoS " + (byte)s.QoS + " does not exist: use 0, 1 or 2.", nameof(subscriptions));
            }
            if (subscriptionIdentifier.HasValue && (subscriptionIdentifier.Value < 1 || subscriptionIdentifier.Value > 268435455))
                throw new ArgumentOutOfRangeException(nameof(subscriptionIdentifier), subscriptionIdentifier, "A subscription identifier is 1 to 268,435,455 [MQTT-3.8.2-2].");
            var connection = RequireConnection("subscribe");
            if (subscriptionIdentifier.HasValue && connection.Version != MqttProtocolVersion.V500)
                throw new NotSupportedException("Subscription identifiers need MQTT 5.0; this connection uses " + Describe(connection.Version) + ".");

            var sendOrder = SendOrder(list);
            var packet = new SubscribePacket();
            foreach (var i in sendOrder) packet.Subscriptions.Add(list[i]);
            if (subscriptionIdentifier.HasValue) packet.Properties.SubscriptionIdentifiers.Add(subscriptionIdentifier.Value);
            var subAck = (SubAckPacket)await SendRequestAsync(connection, packet, id => packet.PacketId = id, cancellationToken).ConfigureAwait(false);
            if (subAck.ReasonCodes.Count != list.Count)
                throw new MqttProtocolException(MqttReasonCode.ProtocolError, "MQTT-3.9.3-1", "The SUBACK has " + subAck.ReasonCodes.Count + " reason codes for " + list.Count + " topic filters.");
            var codes = new SubAckReasonCode[list.Count];
            for (var k = 0; k < sendOrder.Length; k++) codes[sendOrder[k]] = subAck.ReasonCodes[k];
            for (var i = 0; i < list.Count; i++)
            {
                // A granted QoS above the one asked for can only mean the codes are not in the order of the filters.
                if ((byte)codes[i] < 0x80 && (byte)codes[i] > (byte)list[i].QoS)
                    throw new MqttProtocolException(MqttReasonCode.ProtocolError, "MQTT-3.9.3-1", "The SUBACK grants QoS " + (byte)codes[i] + " to '" + list[i].TopicFilter +
                        "', which asked for QoS " + (byte)list[i].QoS + ": the broker did not send its reason codes in the order of the topic filters, so none of them can be trusted.");
            }
            lock (_sessionLock)
            {
                for (var i = 0; i < list.Count; i++)
                {
                    if ((byte)codes[i] < 0x80) _subscriptions[list[i].TopicFilter] = new SubscriptionRecord(list[i], subscriptionIdentifier);
                }
            }
            return new MqttSubscribeResult(list, codes, subAck.HasProperties ? subAck.Properties.ReasonString : null,
                subAck.HasProperties && subAck.Properties.HasUserProperties ? subAck.Properties.UserProperties.ToArray() : null);
        }

        /// <summary>
        /// The order in which the filters go into the SUBSCRIBE: highest QoS first, otherwise as given. The reason codes
        /// must come back in the order of the filters [MQTT-3.9.3-1], but MQTTnet's server returns them sorted by
        /// requested QoS, highest first; sending the filters in that order already gets the right code for each filter
        /// from both kinds of server. Filters named twice keep their order: the later one replaces the earlier.
        /// </summary>
        private static int[] SendOrder(List<MqttTopicSubscription> list)
        {
            var order = new int[list.Count];
            for (var i = 0; i < order.Length; i++) order[i] = i;
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var s in list) if (!names.Add(s.TopicFilter)) return order;
            // Insertion sort: stable, and lists are short.
            for (var i = 1; i < order.Length; i++)
            {
                var current = order[i];
                var j = i - 1;
                while (j >= 0 && (byte)list[order[j]].QoS < (byte)list[current].QoS) { order[j + 1] = order[j]; j--; }
                order[j + 1] = current;
            }
            return order;
        }

        /// <summary>Unsubscribes from several filters in one UNSUBSCRIBE.</summary>
        public async Task<MqttUnsubscribeResult> UnsubscribeAsync(IEnumerable<string> topicFilters, CancellationToken cancellationToken = default(CancellationToken))
        {
            if (topicFilters == null) throw new ArgumentNullException(nameof(topicFilters));
            ThrowIfDisposed();
            var list = new List<string>(topicFilters);
            if (list.Count == 0) throw new ArgumentException("UNSUBSCRIBE needs at least one topic filter [MQTT-3.10.3-2].", nameof(topicFilters));
            foreach (var f in list) MqttTopic.ValidateTopicFilter(f ?? throw new ArgumentException("A topic filter is null.", nameof(topicFilters)));
            var connection = RequireConnection("unsubscribe");
            var packet = new UnsubscribePacket();
            packet.TopicFilters.AddRange(list);
            var unsubAck = (UnsubAckPacket)await SendRequestAsync(connection, packet, id => packet.PacketId = id, cancellationToken).ConfigureAwait(false);
            var codes = new List<UnsubAckReasonCode>();
            if (connection.Version == MqttProtocolVersion.V500) codes.AddRange(unsubAck.ReasonCodes);
            else foreach (var _ in list) codes.Add(UnsubAckReasonCode.Success);
            lock (_sessionLock)
            {
                foreach (var f in list) _subscriptions.Remove(f);
            }
            return new MqttUnsubscribeResult(list, codes, unsubAck.HasProperties ? unsubAck.Properties.ReasonString : null);
        }

        private MqttClientConnection RequireConnection(string operation)
        {
            var connection = _connection;
            if (connection == null)
                throw new InvalidOperationException("The client is not connected to " + Address + "; cannot " + operation + (State == MqttConnectionState.Reconnecting ? " while reconnecting." : ": call ConnectAsync first."));
            return connection;
        }

        private async Task<MqttPacket> SendRequestAsync(MqttClientConnection connection, MqttPacket packet, Action<ushort> assignId, CancellationToken cancellationToken)
        {
            var id = _packetIds.Allocate();
            assignId(id);
            var completion = new TaskCompletionSource<MqttPacket>(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_sessionLock) _requests[id] = completion;
            try
            {
                Log("-> " + packet.PacketType.ToString().ToUpperInvariant() + " id=" + id + Summary(packet));
                Observe(connection.Writer.WriteAsync(packet));
                using (cancellationToken.Register(() => completion.TrySetCanceled()))
                {
                    return await completion.Task.ConfigureAwait(false);
                }
            }
            finally
            {
                lock (_sessionLock) _requests.Remove(id);
                _packetIds.Release(id);
            }
        }

        private static string Summary(MqttPacket packet)
        {
            if (packet is SubscribePacket s)
            {
                var parts = new List<string>();
                foreach (var sub in s.Subscriptions) parts.Add(sub.TopicFilter + "@" + (byte)sub.QoS);
                return " " + string.Join(" ", parts);
            }
            if (packet is UnsubscribePacket u) return " " + string.Join(" ", u.TopicFilters);
            return "";
        }

        private void CompleteRequest(ushort packetId, MqttPacket response)
        {
            TaskCompletionSource<MqttPacket> completion;
            lock (_sessionLock) _requests.TryGetValue(packetId, out completion);
            if (completion == null) Log(response.PacketType + " for unknown packet id " + packetId + " ignored");
            else completion.TrySetResult(response);
        }

        private void FailRequests(Exception failure)
        {
            List<TaskCompletionSource<MqttPacket>> requests;
            List<TaskCompletionSource<MqttMessage>> responses;
            lock (_sessionLock)
            {
                requests = new List<TaskCompletionSource<MqttPacket>>(_requests.Values);
                responses = new List<TaskCompletionSource<MqttMessage>>(_responseWaiters.Values);
            }
            foreach (var r in requests) r.TrySetException(failure);
            if (!(failure is MqttConnectionLostException) || !_options.AutoReconnect || _userDisconnected)
                foreach (var r in responses) r.TrySetException(failure);
        }

        /// <summary>Makes the recorded subscriptions again on a connection whose session is new (one SUBSCRIBE per identifier).</summary>
        private void Resubscribe(MqttClientConnection connection)
        {
            var groups = new Dictionary<uint, List<MqttTopicSubscription>>();
            lock (_sessionLock)
            {
                foreach (var record in _subscriptions.Values)
                {
                    var key = record.Identifier ?? 0;
                    if (!groups.TryGetValue(key, out var list)) groups[key] = list = new List<MqttTopicSubscription>();
                    list.Add(record.Subscription);
                }
            }
            foreach (var group in groups)
            {
                var packet = new SubscribePacket();
                packet.Subscriptions.AddRange(group.Value);
                if (group.Key != 0) packet.Properties.SubscriptionIdentifiers.Add(group.Key);
                var task = SendRequestAsync(connection, packet, id => packet.PacketId = id, connection.Cancellation.Token);
                task.ContinueWith(t =>
                {
                    if (t.Status == TaskStatus.RanToCompletion)
                    {
                        var codes = ((SubAckPacket)t.Result).ReasonCodes;
                        Log("re-subscribed after session loss: " + Summary(packet).Trim() + " -> " + string.Join(",", codes));
                    }
                    else Log("re-subscribing failed: " + (t.Exception?.InnerException?.Message ?? "cancelled"));
                }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }

        /// <summary>
        /// MQTT 5.0 request/response: publishes <paramref name="request"/> with this client's response topic and a
        /// correlation data (generated unless set), and returns the first message on the response topic carrying the
        /// same correlation data. The response topic is subscribed once (QoS 1) on first use. TimeoutException after
        /// <paramref name="timeout"/>.
        /// </summary>
        public async Task<MqttMessage> RequestAsync(MqttMessage request, TimeSpan timeout, CancellationToken cancellationToken = default(CancellationToken))
        {
            if (request == null) throw new ArgumentNullException(nameof(request));
            var connection = RequireConnection("send a request");
            if (connection.Version != MqttProtocolVersion.V500)
                throw new NotSupportedException("RequestAsync needs MQTT 5.0 (response topic and correlation data); this connection uses " + Describe(connection.Version) + ".");
            var responseTopic = await EnsureResponseSubscriptionAsync(connection, cancellationToken).ConfigureAwait(false);
            if (request.CorrelationData == null)
            {
                var correlation = new byte[16];
                using (var rng = RandomNumberGenerator.Create()) rng.GetBytes(correlation);
                request.CorrelationData = correlation;
            }
            request.ResponseTopic = responseTopic;
            var key = Convert.ToBase64String(request.CorrelationData);
            var waiter = new TaskCompletionSource<MqttMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_sessionLock)
            {
                if (_responseWaiters.ContainsKey(key)) throw new InvalidOperationException("A request with the same correlation data is already waiting for its response.");
                _responseWaiters[key] = waiter;
            }
            try
            {
                await PublishAsync(request, cancellationToken).ConfigureAwait(false);
                using (var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                {
                    timer.CancelAfter(timeout);
                    using (timer.Token.Register(() => waiter.TrySetCanceled()))
                    {
                        try { return await waiter.Task.ConfigureAwait(false); }
                        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                        {
                            throw new TimeoutException("No response on '" + responseTopic + "' to the request published to '" + request.Topic + "' within " + timeout.TotalSeconds + " s.");
                        }
                    }
                }
            }
            finally
            {
                lock (_sessionLock) _responseWaiters.Remove(key);
            }
        }

        private async Task<string> EnsureResponseSubscriptionAsync(MqttClientConnection connection, CancellationToken cancellationToken)
        {
            if (_responseTopic != null) return _responseTopic;
            await _responseSubscriptionLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (_responseTopic != null) return _responseTopic;
                var prefix = connection.ConnectResult.ResponseInformation;
                var safeId = new StringBuilder();
                foreach (var c in _clientId) safeId.Append(char.IsLetterOrDigit(c) || c == '-' || c == '_' ? c : '_');
                var topic = (string.IsNullOrEmpty(prefix) ? "mqttps/response" : prefix.TrimEnd('/')) + "/" + safeId + "/" + Guid.NewGuid().ToString("N").Substring(0, 8);
                var result = await SubscribeAsync(new[] { new MqttTopicSubscription(topic, MqttQualityOfService.AtLeastOnce) { NoLocal = true } }, null, cancellationToken).ConfigureAwait(false);
                if (!result.AllGranted)
                    throw new InvalidOperationException("The broker refused the subscription to the response topic '" + topic + "': " + result.ReasonCodes[0] + ".");
                _responseTopic = topic;
                return topic;
            }
            finally { _responseSubscriptionLock.Release(); }
        }

        /// <summary>A received message that answers a pending request goes to that request, not to the queue.</summary>
        private bool TryCompleteResponse(MqttMessage message)
        {
            if (_responseTopic == null || message.CorrelationData == null || message.Topic != _responseTopic) return false;
            TaskCompletionSource<MqttMessage> waiter;
            lock (_sessionLock)
            {
                if (!_responseWaiters.TryGetValue(Convert.ToBase64String(message.CorrelationData), out waiter)) return false;
            }
            return waiter.TrySetResult(message);
        }
    }
}
