using System;
using System.Linq;
using System.Threading.Tasks;
using MqttPS.Core.Tests.Conformance;
using MqttPS.Core.Tests.Infrastructure;
using MqttPS.MqttnetHost;

namespace MqttPS.Interop.Tests.Conformance
{
    /// <summary>The brokers whose conformance the README compares, as targets of the conformance runner.</summary>
    public static class ConformanceTargets
    {
        public const string EmbeddedWithLimits = "embedded, mosquitto's limits";
        public const string EmbeddedDefaults = "embedded, defaults";
        public const string Mosquitto = "mosquitto, same limits";
        public const string Mqttnet = "MQTTnet, defaults";
        public const string MqttnetPersistent = "MQTTnet, persistent sessions";

        public static Func<Task<IConformanceBroker>> Starter(string target) => target switch
        {
            EmbeddedWithLimits => () => EmbeddedConformanceBroker.StartAsync(ConformanceBrokerFixture.BrokerOptions()),
            EmbeddedDefaults => () =>
            {
                var options = new MqttPS.Core.Broker.MqttBrokerOptions { BindAddress = System.Net.IPAddress.Loopback, Port = 0 };
                return EmbeddedConformanceBroker.StartAsync(options);
            },
            Mosquitto => MosquittoBroker.StartAsync,
            Mqttnet => () => MqttnetBroker.StartAsync(false),
            MqttnetPersistent => () => MqttnetBroker.StartAsync(true),
            _ => throw new ArgumentException("unknown conformance target " + target),
        };

        /// <summary>Debian's mosquitto with the limits the sequences were written for.</summary>
        private sealed class MosquittoBroker : IConformanceBroker
        {
            private readonly Core.Tests.Infrastructure.Mosquitto _mosquitto;
            private MosquittoBroker(Core.Tests.Infrastructure.Mosquitto mosquitto) { _mosquitto = mosquitto; }
            public int Port => _mosquitto.Port;

            public static async Task<IConformanceBroker> StartAsync()
                => new MosquittoBroker(await Core.Tests.Infrastructure.Mosquitto.StartAsync(new[] { "max_topic_alias 10", "max_packet_size 2000000", "max_inflight_messages 20" }));

            // mosquitto cannot be asked; a moment for it to notice the closed connection.
            public Task WaitUntilNoConnectionsAsync(TimeSpan timeout) => Task.Delay(20);

            public ValueTask DisposeAsync() { _mosquitto.Dispose(); return ValueTask.CompletedTask; }
        }

        private sealed class MqttnetBroker : IConformanceBroker
        {
            private readonly MqttnetServerHost _host;
            private MqttnetBroker(MqttnetServerHost host) { _host = host; }
            public int Port => _host.Port;

            public static async Task<IConformanceBroker> StartAsync(bool persistentSessions)
                => new MqttnetBroker(await MqttnetServerHost.StartAsync(new MqttnetServerSettings { PersistentSessions = persistentSessions }));

            public async Task WaitUntilNoConnectionsAsync(TimeSpan timeout)
            {
                var deadline = DateTime.UtcNow + timeout;
                while ((await _host.Server.GetClientsAsync()).Any() && DateTime.UtcNow < deadline) await Task.Delay(5);
            }

            public ValueTask DisposeAsync() => _host.DisposeAsync();
        }
    }
}
