using System;
using System.Linq;
using System.Net;
using System.Threading.Tasks;
using MqttPS.Core.Broker;

namespace MqttPS.Core.Tests.Broker
{
    /// <summary>An embedded broker on a free loopback port for one test; stopped on dispose.</summary>
    public sealed class BrokerTestHost : IAsyncDisposable, IDisposable
    {
        private BrokerTestHost(MqttBroker broker)
        {
            Broker = broker;
        }

        public MqttBroker Broker { get; }
        public int Port => Broker.Port;

        public static async Task<BrokerTestHost> StartAsync(Action<MqttBrokerOptions> configure = null)
        {
            var options = new MqttBrokerOptions { BindAddress = IPAddress.Loopback, Port = 0 };
            configure?.Invoke(options);
            var broker = new MqttBroker(options);
            await broker.StartAsync();
            return new BrokerTestHost(broker);
        }

        /// <summary>Waits (bounded) until a connected client holds a subscription to <paramref name="filter"/>.</summary>
        public async Task WaitForSubscriptionAsync(string filter, int count = 1, int timeoutMs = 5000)
        {
            var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
            while (DateTime.UtcNow < deadline)
            {
                if (Broker.GetClients().Count(c => c.Subscriptions.Contains(filter)) >= count) return;
                await Task.Delay(20);
            }
            throw new TimeoutException(count + " subscription(s) to '" + filter + "' did not appear within " + timeoutMs + " ms; clients: "
                + string.Join("; ", Broker.GetClients().Select(c => c.ClientId + " [" + string.Join(",", c.Subscriptions) + "]")));
        }

        public async Task WaitUntilAsync(Func<bool> condition, string what, int timeoutMs = 5000)
        {
            var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
            while (DateTime.UtcNow < deadline)
            {
                if (condition()) return;
                await Task.Delay(20);
            }
            throw new TimeoutException(what + " did not happen within " + timeoutMs + " ms");
        }

        public async ValueTask DisposeAsync()
        {
            await Broker.StopAsync();
            Broker.Dispose();
        }

        public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}
