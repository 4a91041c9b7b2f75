using System;
using System.Threading.Tasks;
using MqttPS.Core.Broker;

namespace MqttPS.Core.Tests.Conformance
{
    /// <summary>The embedded broker as a conformance target.</summary>
    public sealed class EmbeddedConformanceBroker : IConformanceBroker
    {
        private readonly MqttBroker _broker;

        private EmbeddedConformanceBroker(MqttBroker broker) { _broker = broker; }

        public int Port => _broker.Port;

        public static async Task<IConformanceBroker> StartAsync(MqttBrokerOptions options)
        {
            var broker = new MqttBroker(options);
            try { await broker.StartAsync().ConfigureAwait(false); }
            catch { broker.Dispose(); throw; }
            return new EmbeddedConformanceBroker(broker);
        }

        public async Task WaitUntilNoConnectionsAsync(TimeSpan timeout)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (_broker.OpenConnectionCount > 0 && DateTime.UtcNow < deadline) await Task.Delay(5).ConfigureAwait(false);
        }

        public async ValueTask DisposeAsync()
        {
            await _broker.StopAsync().ConfigureAwait(false);
            _broker.Dispose();
        }
    }
}
