using System;
using System.Net;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using MqttPS.Core.Broker;
using MqttPS.Core.Client;
using MqttPS.Core.Messages;
using MqttPS.Core.Protocol;
using MqttPS.Core.Transport;

namespace MqttPS.Core.Tests.BrokerProduction
{
    /// <summary>Small helpers shared by the production-feature tests that run an embedded broker.</summary>
    internal static class BrokerTestHelpers
    {
        /// <summary>Starts a broker on a free loopback TCP port (<see cref="MqttBroker.Port"/>), followed by the
        /// test's own <see cref="MqttBrokerOptions.Listeners"/> (Endpoints[1] onwards).</summary>
        public static async Task<MqttBroker> StartAsync(MqttBrokerOptions options)
        {
            options.BindAddress = IPAddress.Loopback;
            options.Port = 0;
            if (options.Listeners.Count > 0) options.Listeners.Insert(0, new MqttListenerOptions { BindAddress = IPAddress.Loopback, Port = 0 });
            var broker = new MqttBroker(options);
            await broker.StartAsync();
            return broker;
        }

        public static MqttClientOptions ClientOptions(int port, string clientId, MqttProtocolVersion version = MqttProtocolVersion.V500, MqttTransportKind kind = MqttTransportKind.Tcp)
            => new MqttClientOptions
            {
                Address = new MqttBrokerAddress("127.0.0.1", port, kind),
                ClientId = clientId,
                ProtocolVersion = version,
                ConnectTimeout = TimeSpan.FromSeconds(10),
            };

        public static async Task<MqttClient> ConnectAsync(MqttClientOptions options)
        {
            var client = new MqttClient(options);
            await client.ConnectAsync();
            return client;
        }

        /// <summary>The next received message, or null when none arrives within <paramref name="timeout"/>.</summary>
        public static async Task<MqttMessage> ReceiveOrNullAsync(MqttClient client, TimeSpan timeout)
        {
            using (var cts = new CancellationTokenSource(timeout))
            {
                try { return await client.ReceiveAsync(cts.Token); }
                catch (OperationCanceledException) { return null; }
            }
        }

        public static MqttMessage Message(string topic, string text, MqttQualityOfService qos = MqttQualityOfService.AtMostOnce, bool retain = false)
            => new MqttMessage(topic, Encoding.UTF8.GetBytes(text), qos, retain);
    }
}
