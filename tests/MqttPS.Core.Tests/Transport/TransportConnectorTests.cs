using System;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using MqttPS.Core.Broker;
using MqttPS.Core.Client;
using MqttPS.Core.Messages;
using MqttPS.Core.Protocol;
using MqttPS.Core.Tests.Broker;
using MqttPS.Core.Transport;
using Xunit;

namespace MqttPS.Core.Tests.Transport
{
    /// <summary>
    /// TCP connects over IPv6 and IPv4. On .NET Framework the connector's parameterless TcpClient was IPv4-only, so
    /// no IPv6 broker could be reached from Windows PowerShell 5.1; now each address gets a socket of its own family,
    /// and a name's addresses are tried in turn. (The Mono run of tests/WindowsPowerShellParity.Tests.ps1 checks
    /// the same three targets on a .NET Framework runtime.)
    /// </summary>
    public class TransportConnectorTests
    {
        [Theory]
        [InlineData("::1", AddressFamily.InterNetworkV6)]
        [InlineData("127.0.0.1", AddressFamily.InterNetwork)]
        [InlineData("localhost", null)]
        public async Task Connects_to_IPv6_and_IPv4_loopback_and_to_localhost(string host, AddressFamily? family)
        {
            var listener = new TcpListener(IPAddress.IPv6Any, 0);
            listener.Server.DualMode = true;
            listener.Start();
            try
            {
                var port = ((IPEndPoint)listener.LocalEndpoint).Port;
                var accept = listener.AcceptSocketAsync();
                using (var socket = await MqttTransportConnector.ConnectSocketAsync(host, port, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)))
                using (await accept.WaitAsync(TimeSpan.FromSeconds(10)))
                {
                    Assert.True(socket.Connected);
                    Assert.True(socket.NoDelay);
                    if (family != null) Assert.Equal(family, socket.RemoteEndPoint.AddressFamily);
                }
            }
            finally { listener.Stop(); }
        }

        [Theory]
        [InlineData("::1", "127.0.0.1")]
        [InlineData("127.0.0.1", "::1")]
        public async Task An_address_that_refuses_is_followed_by_the_next(string refusing, string listening)
        {
            var listener = new TcpListener(IPAddress.Parse(listening), 0);
            listener.Start();
            try
            {
                var port = ((IPEndPoint)listener.LocalEndpoint).Port;
                using (var socket = await MqttTransportConnector.ConnectAnyAsync(new[] { IPAddress.Parse(refusing), IPAddress.Parse(listening) }, port, CancellationToken.None)
                    .WaitAsync(TimeSpan.FromSeconds(10)))
                {
                    Assert.Equal(IPAddress.Parse(listening), ((IPEndPoint)socket.RemoteEndPoint).Address);
                }
                // Every address refusing: the last refusal is the error.
                listener.Stop();
                var e = await Assert.ThrowsAsync<SocketException>(() => MqttTransportConnector.ConnectAnyAsync(new[] { IPAddress.Parse(refusing), IPAddress.Parse(listening) }, port, CancellationToken.None));
                Assert.Equal(SocketError.ConnectionRefused, e.SocketErrorCode);
            }
            finally { listener.Stop(); }
        }

        [Fact]
        public async Task The_client_reaches_a_broker_that_listens_on_IPv6_loopback_only()
        {
            await using (var host = await BrokerTestHost.StartAsync(o => o.BindAddress = IPAddress.IPv6Loopback))
            using (var client = new MqttClient(new MqttClientOptions("[::1]", host.Port) { ConnectTimeout = TimeSpan.FromSeconds(10) }))
            {
                await client.ConnectAsync();
                await client.SubscribeAsync("v6/#", MqttQualityOfService.AtLeastOnce);
                await client.PublishAsync(new MqttMessage("v6/t", "over IPv6", MqttQualityOfService.AtLeastOnce));
                using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
                    Assert.Equal("over IPv6", (await client.ReceiveAsync(cts.Token)).PayloadText);
            }
        }
    }
}
