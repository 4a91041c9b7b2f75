using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using MqttPS.Core.Client;
using MqttPS.Core.Messages;
using MqttPS.Core.Transport;
using Xunit;

namespace MqttPS.Interop.Tests.Peers
{
    /// <summary>MqttPS's engine client, connected the way the module connects it, with deadline-bound receives.</summary>
    public static class OurClient
    {
        public static MqttClientOptions Options(int port, string version, string clientId, MqttTransportKind kind = MqttTransportKind.Tcp, string host = "127.0.0.1")
            => new MqttClientOptions
            {
                Address = new MqttBrokerAddress(host, port, kind),
                ProtocolVersion = ProtocolVersions.ToMqttPS(version),
                ClientId = clientId,
                ConnectTimeout = TimeSpan.FromSeconds(10),
            };

        public static Task<MqttClient> ConnectAsync(int port, string version, string clientId, Action<MqttClientOptions> configure = null)
        {
            var options = Options(port, version, clientId);
            configure?.Invoke(options);
            return ConnectAsync(options);
        }

        public static async Task<MqttClient> ConnectAsync(MqttClientOptions options)
        {
            var client = new MqttClient(options);
            try
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
                await client.ConnectAsync(cts.Token);
            }
            catch
            {
                client.Dispose();
                throw;
            }
            return client;
        }

        public static async Task CloseAsync(this MqttClient client)
        {
            using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
            {
                try { if (client.IsConnected) await client.DisconnectAsync(cancellationToken: cts.Token); }
                catch (Exception) { }
            }
            client.Dispose();
        }

        public static async Task<MqttMessage> ReceiveWithinAsync(this MqttClient client, double seconds = 10)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
            try { return await client.ReceiveAsync(cts.Token); }
            catch (OperationCanceledException) { throw new Xunit.Sdk.XunitException("MqttPS's client received no message within " + seconds + " s"); }
        }

        public static async Task<List<MqttMessage>> ReceiveManyWithinAsync(this MqttClient client, int count, double seconds = 30)
        {
            var list = new List<MqttMessage>(count);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
            try
            {
                while (list.Count < count) list.Add(await client.ReceiveAsync(cts.Token));
            }
            catch (OperationCanceledException) { throw new Xunit.Sdk.XunitException("MqttPS's client received " + list.Count + " of " + count + " messages within " + seconds + " s"); }
            return list;
        }

        public static async Task AssertNothingReceivedAsync(this MqttClient client, double seconds = 0.5)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
            try
            {
                var m = await client.ReceiveAsync(cts.Token);
                Assert.Fail("MqttPS's client received an unexpected message: " + m);
            }
            catch (OperationCanceledException) { }
        }
    }
}
