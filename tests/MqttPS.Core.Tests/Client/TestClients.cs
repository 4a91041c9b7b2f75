using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using MqttPS.Core.Client;
using MqttPS.Core.Messages;
using MqttPS.Core.Protocol;
using MqttPS.Core.Transport;
using Xunit;

namespace MqttPS.Core.Tests.Client
{
    /// <summary>Shortcuts for the client tests: options for a local broker, connecting, receiving with a deadline.</summary>
    internal static class TestClients
    {
        public static MqttClientOptions Options(int port, MqttProtocolVersion version = MqttProtocolVersion.V500, string clientId = null)
        {
            return new MqttClientOptions
            {
                Address = new MqttBrokerAddress("127.0.0.1", port),
                ProtocolVersion = version,
                ClientId = clientId,
                ConnectTimeout = TimeSpan.FromSeconds(5),
            };
        }

        public static async Task<MqttClient> ConnectAsync(int port, MqttProtocolVersion version = MqttProtocolVersion.V500, string clientId = null, Action<MqttClientOptions> configure = null)
        {
            var options = Options(port, version, clientId);
            configure?.Invoke(options);
            var client = new MqttClient(options);
            try
            {
                await client.ConnectAsync();
            }
            catch
            {
                client.Dispose();
                throw;
            }
            return client;
        }

        /// <summary>The next message within <paramref name="seconds"/>, or a failing assertion.</summary>
        public static async Task<MqttMessage> ReceiveAsync(this MqttClient client, double seconds = 5)
        {
            using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(seconds)))
            {
                try
                {
                    var message = await client.ReceiveAsync(cts.Token);
                    Assert.NotNull(message);
                    return message;
                }
                catch (OperationCanceledException)
                {
                    throw new Xunit.Sdk.XunitException("no message arrived within " + seconds + " s");
                }
            }
        }

        /// <summary>Asserts that nothing arrives within <paramref name="seconds"/>.</summary>
        public static async Task AssertNothingReceivedAsync(this MqttClient client, double seconds = 0.5)
        {
            using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(seconds)))
            {
                try
                {
                    var message = await client.ReceiveAsync(cts.Token);
                    Assert.Fail("unexpected message: " + message);
                }
                catch (OperationCanceledException) { }
            }
        }

        public static async Task<List<MqttMessage>> ReceiveManyAsync(this MqttClient client, int count, double seconds = 10)
        {
            var list = new List<MqttMessage>();
            using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(seconds)))
            {
                try
                {
                    while (list.Count < count) list.Add(await client.ReceiveAsync(cts.Token));
                }
                catch (OperationCanceledException)
                {
                    throw new Xunit.Sdk.XunitException("received " + list.Count + " of " + count + " messages within " + seconds + " s");
                }
            }
            return list;
        }
    }
}
