using System;
using System.IO;
using System.Threading.Tasks;
using MqttPS.Core.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace MqttPS.Core.Tests.Broker
{
    /// <summary>
    /// Debian's python3-paho-mqtt, an independent MQTT implementation, against the embedded broker: QoS 0/1/2,
    /// wildcards, retained set/clear, will on abrupt close, persistent session delivery after reconnect, shared
    /// subscriptions, in MQTT 3.1.1 and 5.0. The checks live in python/paho_broker_check.py.
    /// </summary>
    public sealed class PahoClientTests
    {
        private readonly ITestOutputHelper _output;

        public PahoClientTests(ITestOutputHelper output)
        {
            _output = output;
        }

        private static string Python()
        {
            // Debian's interpreter has python3-paho-mqtt; a pyenv shim on PATH may not.
            if (File.Exists("/usr/bin/python3")) return "/usr/bin/python3";
            return "python3";
        }

        [Theory]
        [InlineData("311", "qos0")]
        [InlineData("311", "qos1")]
        [InlineData("311", "qos2")]
        [InlineData("311", "wildcards")]
        [InlineData("311", "retained")]
        [InlineData("311", "will")]
        [InlineData("311", "persistent")]
        [InlineData("311", "shared")]
        [InlineData("5", "qos0")]
        [InlineData("5", "qos1")]
        [InlineData("5", "qos2")]
        [InlineData("5", "wildcards")]
        [InlineData("5", "retained")]
        [InlineData("5", "will")]
        [InlineData("5", "persistent")]
        [InlineData("5", "shared")]
        public async Task Paho_client_scenario_passes(string protocol, string scenario)
        {
            var script = Path.Combine(AppContext.BaseDirectory, "Broker", "python", "paho_broker_check.py");
            Assert.True(File.Exists(script), "missing " + script);
            await using var host = await BrokerTestHost.StartAsync();
            using var run = await ExternalProcess.RunAsync(Python(), new[] { script, "127.0.0.1", host.Port.ToString(), protocol, scenario }, TimeSpan.FromSeconds(60));
            _output.WriteLine(run.StandardOutput);
            _output.WriteLine(run.StandardError);
            Assert.True(run.ExitCode == 0, "paho " + scenario + " (MQTT " + protocol + ") failed:\n" + run.StandardOutput + run.StandardError);
            Assert.Contains("PASS", run.StandardOutput);
        }
    }
}
