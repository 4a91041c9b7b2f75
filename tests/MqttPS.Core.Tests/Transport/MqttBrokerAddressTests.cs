using System;
using MqttPS.Core.Transport;
using Xunit;

namespace MqttPS.Core.Tests.Transport
{
    public class MqttBrokerAddressTests
    {
        [Theory]
        [InlineData("broker", "broker", 1883, MqttTransportKind.Tcp, null)]
        [InlineData("broker:1884", "broker", 1884, MqttTransportKind.Tcp, null)]
        [InlineData("[::1]:1883", "::1", 1883, MqttTransportKind.Tcp, null)]
        [InlineData("[::1]", "::1", 1883, MqttTransportKind.Tcp, null)]
        [InlineData("::1", "::1", 1883, MqttTransportKind.Tcp, null)]
        [InlineData("mqtt://broker", "broker", 1883, MqttTransportKind.Tcp, null)]
        [InlineData("tcp://broker:2000", "broker", 2000, MqttTransportKind.Tcp, null)]
        [InlineData("mqtts://broker", "broker", 8883, MqttTransportKind.Tls, null)]
        [InlineData("ssl://broker:9999", "broker", 9999, MqttTransportKind.Tls, null)]
        [InlineData("MQTTS://Broker.Example", "Broker.Example", 8883, MqttTransportKind.Tls, null)]
        [InlineData("ws://broker", "broker", 80, MqttTransportKind.WebSocket, "/mqtt")]
        [InlineData("ws://broker:8080/custom/path", "broker", 8080, MqttTransportKind.WebSocket, "/custom/path")]
        [InlineData("wss://broker", "broker", 443, MqttTransportKind.SecureWebSocket, "/mqtt")]
        [InlineData("wss://[fe80::1]:8443/ws", "fe80::1", 8443, MqttTransportKind.SecureWebSocket, "/ws")]
        [InlineData("mqtt://broker/", "broker", 1883, MqttTransportKind.Tcp, null)]
        public void Parses_hosts_and_uris(string text, string host, int port, MqttTransportKind kind, string path)
        {
            var address = MqttBrokerAddress.Parse(text);
            Assert.Equal(host, address.Host);
            Assert.Equal(port, address.Port);
            Assert.Equal(kind, address.Kind);
            Assert.Equal(path, address.Path);
        }

        [Fact]
        public void Port_and_tls_parameters_combine_with_the_text()
        {
            Assert.Equal(1999, MqttBrokerAddress.Parse("broker", 1999).Port);
            var tls = MqttBrokerAddress.Parse("broker", null, true);
            Assert.Equal(MqttTransportKind.Tls, tls.Kind);
            Assert.Equal(8883, tls.Port);
            Assert.Equal(MqttTransportKind.SecureWebSocket, MqttBrokerAddress.Parse("ws://b", null, true).Kind);
            Assert.Equal(1883, MqttBrokerAddress.Parse("b:1883", 1883).Port);
        }

        [Theory]
        [InlineData("", "empty")]
        [InlineData("http://broker", "Unsupported scheme 'http'")]
        [InlineData("broker:abc", "not a number")]
        [InlineData("broker:70000", "not a number from 1 to 65535")]
        [InlineData("broker:0", "not a number from 1 to 65535")]
        [InlineData("mqtt://:1883", "no host")]
        [InlineData("[::1:1883", "without a closing")]
        [InlineData("mqtt://broker/path", "only ws:// and wss://")]
        [InlineData("mqtt://user:pw@broker", "user information")]
        public void Bad_addresses_are_refused_with_a_message_naming_the_problem(string text, string expected)
        {
            var e = Assert.Throws<ArgumentException>(() => MqttBrokerAddress.Parse(text));
            Assert.Contains(expected, e.Message);
        }

        [Fact]
        public void Conflicting_port_or_tls_is_refused()
        {
            Assert.Contains("also given", Assert.Throws<ArgumentException>(() => MqttBrokerAddress.Parse("b:1883", 1884)).Message);
            Assert.Contains("TLS was switched off", Assert.Throws<ArgumentException>(() => MqttBrokerAddress.Parse("mqtts://b", null, false)).Message);
        }

        [Theory]
        [InlineData("broker", "mqtt://broker:1883")]
        [InlineData("[::1]:1884", "mqtt://[::1]:1884")]
        [InlineData("wss://b", "wss://b:443/mqtt")]
        public void Formats_back_as_a_uri(string text, string uri)
        {
            var address = MqttBrokerAddress.Parse(text);
            Assert.Equal(uri, address.ToString());
            Assert.Equal(new Uri(uri), address.ToUri());
        }
    }
}
