using System;
using System.Collections;
using System.IO;
using System.Linq;
using MqttPS.Core.Broker.Bridges;
using MqttPS.Core.Protocol;
using MqttPS.Core.Shell;
using MqttPS.Core.Tests.Infrastructure;
using MqttPS.Module.Tests.Fakes;
using Xunit;

namespace MqttPS.Module.Tests.Shell
{
    /// <summary>Start-MqttBroker -Bridge hashtables: every setting, errors that name the key or value, and a bridge
    /// that is both in the configuration file and given as a parameter.</summary>
    public sealed class BridgeDefinitionTests : IDisposable
    {
        private readonly string _dir = Path.Combine(Path.GetTempPath(), "mqttps-bridgedef-" + Guid.NewGuid().ToString("N"));
        private readonly RecordingHost _host = new RecordingHost();
        private readonly MqttShellSession _session = new MqttShellSession(new MqttClientAdapterFactory());

        public BridgeDefinitionTests() => Directory.CreateDirectory(_dir);

        public void Dispose()
        {
            _session.CloseAll(_host);
            try { Directory.Delete(_dir, true); } catch (IOException) { }
        }

        [Fact]
        public void A_hashtable_names_the_settings_of_mosquittos_connection_section()
        {
            var o = BridgeDefinition.FromDictionary(new Hashtable
            {
                ["name"] = "hub", ["Address"] = new object[] { "hub1:1883", "mqtts://hub2:8883" }, ["Topic"] = new object[] { "a/# out 1", "b/# in 2 local/ remote/" },
                ["Username"] = "edge", ["Password"] = "pw", ["ClientId"] = "edge-1", ["ProtocolVersion"] = "5.0", ["CleanSession"] = true, ["KeepAliveSeconds"] = 30,
                ["RestartDelaySeconds"] = 2, ["RestartDelayMaxSeconds"] = 20, ["StartType"] = "lazy", ["Threshold"] = 4, ["IdleTimeoutSeconds"] = 10,
                ["TryPrivate"] = "false", ["NotificationTopic"] = "edges/edge-1/state", ["Insecure"] = true,
            });
            Assert.Equal("hub", o.Name);
            Assert.Equal(new[] { "mqtts://hub1:1883", "mqtts://hub2:8883" }, o.Addresses.Select(a => a.ToString()));
            Assert.Equal(2, o.Topics.Count);
            Assert.Equal(MqttBridgeDirection.In, o.Topics[1].Direction);
            Assert.Equal("edge", o.RemoteUsername);
            Assert.Equal(MqttProtocolVersion.V500, o.ProtocolVersion);
            Assert.True(o.CleanSession);
            Assert.Equal(TimeSpan.FromSeconds(20), o.RestartDelayMax);
            Assert.Equal(MqttBridgeStartType.Lazy, o.StartType);
            Assert.False(o.TryPrivate);
            Assert.True(o.Tls.IgnoreHostNameMismatch);
            Assert.Equal("edges/edge-1/state", o.ResolvedNotificationTopic);
        }

        [Theory]
        [InlineData("Adress", "hub:1883", "'Adress' is not a bridge setting")]
        [InlineData("Topic", "a/# sideways", "not a bridge direction")]
        [InlineData("Address", "hub:0", "no valid port")]
        [InlineData("KeepAliveSeconds", 2, "out of range: 5 to 65535")]
        [InlineData("StartType", "manual", "not a start type")]
        [InlineData("CleanSession", "maybe", "not a value for CleanSession")]
        public void A_wrong_key_or_value_is_an_error_naming_it(string key, object value, string message)
        {
            var definition = new Hashtable { ["Name"] = "x", ["Address"] = "hub:1883", ["Topic"] = "a/#" };
            definition[key] = value;
            var e = Assert.Throws<MqttShellException>(() => BridgeDefinition.FromDictionary(definition));
            Assert.Equal("InvalidBridge", e.ErrorId);
            Assert.Contains(message, e.Message);
        }

        [Fact]
        public void A_bridge_needs_a_name_an_address_and_a_topic()
        {
            Assert.Contains("needs a Name", Assert.Throws<MqttShellException>(() => BridgeDefinition.FromDictionary(new Hashtable { ["Address"] = "h" })).Message);
            Assert.Contains("needs at least one topic", Assert.Throws<MqttShellException>(() => BridgeDefinition.FromDictionary(new Hashtable { ["Name"] = "n", ["Address"] = "h" })).Message);
            Assert.Contains("needs the address", Assert.Throws<MqttShellException>(() => BridgeDefinition.FromDictionary(new Hashtable { ["Name"] = "n", ["Topic"] = "t" })).Message);
        }

        [Fact]
        public void A_broker_starts_with_its_bridges_and_lists_them_and_a_name_twice_is_refused()
        {
            var hub = _session.StartBroker(new MqttBrokerSettings { Port = 0, Name = "hub" }, _host);
            var settings = new MqttBrokerSettings { Port = 0, Name = "edge" };
            settings.Bridges.Add(BridgeDefinition.FromDictionary(new Hashtable { ["Name"] = "up", ["Address"] = hub.Uri, ["Topic"] = "x/# out 1" }));
            var edge = _session.StartBroker(settings, _host);
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (edge.Bridges.Single().State != MqttBridgeState.Connected && DateTime.UtcNow < deadline) System.Threading.Thread.Sleep(50);
            Assert.Equal(MqttBridgeState.Connected, edge.Bridges.Single().State);
            Assert.Equal("up", edge.Statistics.Bridges.Single().Name);

            var path = Path.Combine(_dir, "edge.conf");
            File.WriteAllLines(path, new[] { "listener " + FreePort.Next() + " 127.0.0.1", "allow_anonymous true", "connection up", "address 127.0.0.1:1", "topic t" });
            var twice = new MqttBrokerSettings { ConfigPath = path, WorkingDirectory = _dir, Name = "twice" };
            twice.Bridges.Add(BridgeDefinition.FromDictionary(new Hashtable { ["Name"] = "up", ["Address"] = hub.Uri, ["Topic"] = "x/#" }));
            var e = Assert.Throws<MqttShellException>(() => _session.StartBroker(twice, _host));
            Assert.Equal("InvalidBridge", e.ErrorId);
            Assert.Contains("'up' is defined twice", e.Message);
        }
    }
}
