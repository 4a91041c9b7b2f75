using System;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using MqttPS.Core.Broker;

namespace MqttPS.Interop.Tests.Peers
{
    /// <summary>The embedded broker as the module runs it (its defaults), on a free loopback port.</summary>
    public static class EmbeddedBroker
    {
        public static async Task<MqttBroker> StartAsync(Action<MqttBrokerOptions> configure = null)
        {
            var options = new MqttBrokerOptions { BindAddress = IPAddress.Loopback, Port = 0 };
            configure?.Invoke(options);
            var broker = new MqttBroker(options);
            try { await broker.StartAsync(); }
            catch { broker.Dispose(); throw; }
            return broker;
        }

        public static async Task StopAsync(MqttBroker broker)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await broker.StopAsync(cts.Token);
            broker.Dispose();
        }
    }
}
