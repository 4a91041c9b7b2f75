using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Net;
using System.Threading.Tasks;
using MqttPS.Core.Broker;

namespace MqttPS.Core.Tests.Broker
{
    /// <summary>An embedded broker on a free loopback port for one test; stopped on dispose.</summary>
    public sealed class BrokerTestHost : IAsyncDisposable, IDisposable
    {
        private readonly ConcurrentDictionary<string, int> _disconnects = new ConcurrentDictionary<string, int>();

        private BrokerTestHost(MqttBroker broker)
        {
            Broker = broker;
            broker.EventRaised += (_, e) =>
            {
                if (e.Kind == MqttBrokerEventKind.ClientDisconnected && e.ClientId != null)
                    _disconnects.AddOrUpdate(e.ClientId, 1, (_, n) => n + 1);
            };
        }

        public MqttBroker Broker { get; }
        public int Port => Broker.Port;

        public static async Task<BrokerTestHost> StartAsync(Action<MqttBrokerOptions> configure = null)
        {
            var options = new MqttBrokerOptions { BindAddress = IPAddress.Loopback, Port = 0 };
            configure?.Invoke(options);
            // A test that adds listeners gets them after the usual free loopback port (Endpoints[1] onwards).
            if (options.Listeners.Count > 0) options.Listeners.Insert(0, new MqttListenerOptions { BindAddress = IPAddress.Loopback, Port = 0 });
            var broker = new MqttBroker(options);
            await broker.StartAsync();
            return new BrokerTestHost(broker);
        }

        /// <summary>A broker with a TLS listener on loopback as well (the test PKI's server certificate), accepting
        /// <paramref name="protocols"/> (None: the system default); its port is <see cref="TlsPort"/>.</summary>
        public static Task<BrokerTestHost> StartWithTlsAsync(Infrastructure.TestCertificates pki, System.Security.Authentication.SslProtocols protocols = default) =>
            StartAsync(o => o.Listeners.Add(new MqttListenerOptions
            {
                Kind = MqttListenerKind.Tls,
                BindAddress = IPAddress.Loopback,
                Port = 0,
                CertificatePath = pki.ServerCert,
                CertificateKeyPath = pki.ServerKey,
                TlsProtocols = protocols,
            }));

        /// <summary>The port of the first additional listener (see <see cref="StartWithTlsAsync"/>).</summary>
        public int TlsPort => Broker.Endpoints[1].Port;

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

        /// <summary>
        /// Waits until the broker has let go of <paramref name="clientId"/>'s connection <paramref name="times"/> times
        /// in all. GetClients() stops listing a closing connection before its session is offline, so a test that
        /// publishes "while the client is offline" must wait for this, or the message still goes to the closing socket.
        /// </summary>
        public Task WaitForDisconnectAsync(string clientId, int times = 1, int timeoutMs = 5000) =>
            WaitUntilAsync(() => _disconnects.TryGetValue(clientId, out var n) && n >= times, clientId + " disconnecting", timeoutMs);

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
