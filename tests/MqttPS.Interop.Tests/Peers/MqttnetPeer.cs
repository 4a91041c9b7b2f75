using System;
using System.Buffers;
using System.Collections.Generic;
using System.Text;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using MQTTnet;
using MQTTnet.Packets;
using MQTTnet.Protocol;
using Xunit;

namespace MqttPS.Interop.Tests.Peers
{
    /// <summary>
    /// An MQTTnet client as its users write one: options from MqttClientOptionsBuilder, messages taken from the
    /// ApplicationMessageReceivedAsync event (acknowledged when the handler returns). Received messages are kept in
    /// order for the test to read with deadlines.
    /// </summary>
    public sealed class MqttnetPeer : IAsyncDisposable
    {
        private readonly Channel<MqttApplicationMessage> _received = Channel.CreateUnbounded<MqttApplicationMessage>();
        private readonly TaskCompletionSource<MqttClientDisconnectedEventArgs> _disconnected = new TaskCompletionSource<MqttClientDisconnectedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);

        private MqttnetPeer(IMqttClient client, MqttClientOptions options)
        {
            Client = client;
            Options = options;
            client.ApplicationMessageReceivedAsync += e =>
            {
                _received.Writer.TryWrite(e.ApplicationMessage);
                return Task.CompletedTask;
            };
            client.DisconnectedAsync += e =>
            {
                _disconnected.TrySetResult(e);
                return Task.CompletedTask;
            };
        }

        public IMqttClient Client { get; }
        public MqttClientOptions Options { get; }
        public MqttClientConnectResult ConnectResult { get; private set; }

        /// <summary>Completes when the connection ends (for the first time).</summary>
        public Task<MqttClientDisconnectedEventArgs> Disconnected => _disconnected.Task;

        /// <summary>Options for a plain TCP connection to 127.0.0.1:<paramref name="port"/>.</summary>
        public static MqttClientOptionsBuilder OptionsFor(int port, string version, string clientId)
            => new MqttClientOptionsBuilder()
                .WithTcpServer("127.0.0.1", port)
                .WithProtocolVersion(ProtocolVersions.ToMqttnet(version))
                .WithClientId(clientId)
                .WithTimeout(TimeSpan.FromSeconds(10));

        public static Task<MqttnetPeer> ConnectAsync(int port, string version, string clientId, Action<MqttClientOptionsBuilder> configure = null)
        {
            var builder = OptionsFor(port, version, clientId);
            configure?.Invoke(builder);
            return ConnectAsync(builder.Build());
        }

        public static async Task<MqttnetPeer> ConnectAsync(MqttClientOptions options)
        {
            var peer = new MqttnetPeer(new MqttClientFactory().CreateMqttClient(), options);
            try
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
                peer.ConnectResult = await peer.Client.ConnectAsync(options, cts.Token);
                // MQTTnet 5 returns a refused CONNACK as a result instead of throwing.
                if (peer.ConnectResult.ResultCode != MqttClientConnectResultCode.Success)
                    throw new Xunit.Sdk.XunitException("the server refused the MQTTnet client: " + peer.ConnectResult.ResultCode + " " + peer.ConnectResult.ReasonString);
            }
            catch
            {
                peer.Client.Dispose();
                throw;
            }
            return peer;
        }

        public async Task<MqttClientSubscribeResult> SubscribeAsync(string topicFilter, MqttQualityOfServiceLevel qos = MqttQualityOfServiceLevel.AtLeastOnce, Action<MqttTopicFilterBuilder> configure = null, uint subscriptionIdentifier = 0)
        {
            var filter = new MqttTopicFilterBuilder().WithTopic(topicFilter).WithQualityOfServiceLevel(qos);
            configure?.Invoke(filter);
            var options = new MqttClientSubscribeOptionsBuilder().WithTopicFilter(filter.Build());
            if (subscriptionIdentifier != 0) options.WithSubscriptionIdentifier(subscriptionIdentifier);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var result = await Client.SubscribeAsync(options.Build(), cts.Token);
            return result;
        }

        public async Task<MqttClientPublishResult> PublishAsync(string topic, string payload, MqttQualityOfServiceLevel qos = MqttQualityOfServiceLevel.AtLeastOnce, bool retain = false, Action<MqttApplicationMessageBuilder> configure = null)
        {
            var message = new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload).WithQualityOfServiceLevel(qos).WithRetainFlag(retain);
            configure?.Invoke(message);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            return await Client.PublishAsync(message.Build(), cts.Token);
        }

        /// <summary>The next message within <paramref name="seconds"/>, or a failing assertion.</summary>
        public async Task<MqttApplicationMessage> ReceiveAsync(double seconds = 10)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
            try { return await _received.Reader.ReadAsync(cts.Token); }
            catch (OperationCanceledException) { throw new Xunit.Sdk.XunitException("the MQTTnet client received no message within " + seconds + " s"); }
        }

        public async Task<List<MqttApplicationMessage>> ReceiveManyAsync(int count, double seconds = 30)
        {
            var list = new List<MqttApplicationMessage>(count);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
            try
            {
                while (list.Count < count) list.Add(await _received.Reader.ReadAsync(cts.Token));
            }
            catch (OperationCanceledException) { throw new Xunit.Sdk.XunitException("the MQTTnet client received " + list.Count + " of " + count + " messages within " + seconds + " s"); }
            return list;
        }

        /// <summary>Asserts that no message arrives within <paramref name="seconds"/>.</summary>
        public async Task AssertNothingReceivedAsync(double seconds = 0.5)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
            try
            {
                var m = await _received.Reader.ReadAsync(cts.Token);
                Assert.Fail("the MQTTnet client received an unexpected message on '" + m.Topic + "': " + Text(m));
            }
            catch (OperationCanceledException) { }
        }

        public static string Text(MqttApplicationMessage message) => Encoding.UTF8.GetString(message.Payload.ToArray());

        public async Task DisconnectAsync(MqttClientDisconnectOptionsReason reason = MqttClientDisconnectOptionsReason.NormalDisconnection, uint? sessionExpiryInterval = null)
        {
            var options = new MqttClientDisconnectOptionsBuilder().WithReason(reason);
            if (sessionExpiryInterval.HasValue) options.WithSessionExpiryInterval(sessionExpiryInterval.Value);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            if (Client.IsConnected) await Client.DisconnectAsync(options.Build(), cts.Token);
        }

        public async ValueTask DisposeAsync()
        {
            try { await DisconnectAsync(); }
            catch (Exception) { }
            Client.Dispose();
        }
    }
}
