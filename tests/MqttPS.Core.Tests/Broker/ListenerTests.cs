using System;
using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks;
using MqttPS.Core.Broker;
using MqttPS.Core.Protocol;
using Xunit;

namespace MqttPS.Core.Tests.Broker
{
    public sealed class ListenerTests
    {
        private static async Task<ConnAckPacket> ConnectOverAsync(IPAddress address, int port)
        {
            using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(new IPEndPoint(address, port));
            var connect = MqttPacketEncoder.Encode(new ConnectPacket { ProtocolVersion = MqttProtocolVersion.V311, ClientId = "l-" + address.AddressFamily }, MqttProtocolVersion.V311);
            await socket.SendAsync(connect, SocketFlags.None);
            var buffer = new byte[4];
            var got = 0;
            while (got < 4)
            {
                var n = await socket.ReceiveAsync(new ArraySegment<byte>(buffer, got, 4 - got), SocketFlags.None);
                if (n == 0) break;
                got += n;
            }
            return (ConnAckPacket)MqttPacketParser.Parse(buffer, 0, got, MqttProtocolVersion.V311);
        }

        [Fact]
        public async Task Port_0_binds_a_free_port_and_reports_it()
        {
            await using var host = await BrokerTestHost.StartAsync();
            Assert.NotEqual(0, host.Port);
            Assert.Equal(host.Port, host.Broker.Endpoints[0].Port);
            Assert.Equal(ConnectReasonCode.Success, (await ConnectOverAsync(IPAddress.Loopback, host.Port)).ReasonCode);
        }

        [Fact]
        public async Task IPv6_any_listens_dual_mode_for_IPv6_and_IPv4_clients()
        {
            await using var host = await BrokerTestHost.StartAsync(o => o.BindAddress = IPAddress.IPv6Any);
            Assert.Equal(ConnectReasonCode.Success, (await ConnectOverAsync(IPAddress.IPv6Loopback, host.Port)).ReasonCode);
            Assert.Equal(ConnectReasonCode.Success, (await ConnectOverAsync(IPAddress.Loopback, host.Port)).ReasonCode);
        }

        [Fact]
        public async Task Additional_tcp_listener_serves_the_same_broker()
        {
            await using var host = await BrokerTestHost.StartAsync(o => o.Listeners.Add(new MqttListenerOptions { BindAddress = IPAddress.IPv6Loopback, Port = 0 }));
            Assert.Equal(2, host.Broker.Endpoints.Count);
            Assert.Equal(ConnectReasonCode.Success, (await ConnectOverAsync(IPAddress.IPv6Loopback, host.Broker.Endpoints[1].Port)).ReasonCode);
        }

        [Fact]
        public async Task Port_in_use_fails_start_with_a_socket_error()
        {
            await using var host = await BrokerTestHost.StartAsync();
            var second = new MqttBroker(new MqttBrokerOptions { BindAddress = IPAddress.Loopback, Port = host.Port });
            await Assert.ThrowsAnyAsync<SocketException>(() => second.StartAsync());
            Assert.False(second.IsRunning);
        }

        [Fact]
        public async Task WebSocket_listener_on_a_port_in_use_fails_start_too()
        {
            // The ws/wss/TLS listeners bind through the TCP listener: no SO_REUSEPORT, so no silent port sharing.
            // Both sides ws: SO_REUSEPORT only lets a second socket in when the first one set it as well.
            await using var host = await BrokerTestHost.StartAsync(o => o.Listeners.Add(
                new MqttListenerOptions { Kind = MqttListenerKind.WebSocket, BindAddress = IPAddress.Loopback, Port = 0 }));
            var second = new MqttBroker(new MqttBrokerOptions { BindAddress = IPAddress.Loopback, Port = 0 });
            second.Options.Listeners.Add(new MqttListenerOptions { Kind = MqttListenerKind.WebSocket, BindAddress = IPAddress.Loopback, Port = host.Broker.Endpoints[1].Port });
            await Assert.ThrowsAnyAsync<SocketException>(() => second.StartAsync());
            Assert.False(second.IsRunning);
            second.Dispose();
        }

        [Fact]
        public async Task Restarted_broker_binds_the_same_port_again_after_closing_connections()
        {
            int port;
            await using (var first = await BrokerTestHost.StartAsync())
            {
                port = first.Port;
                Assert.Equal(ConnectReasonCode.Success, (await ConnectOverAsync(IPAddress.Loopback, port)).ReasonCode);
            } // connections just closed: TIME_WAIT entries remain on the port
            await using var second = await BrokerTestHost.StartAsync(o => o.Port = port);
            Assert.Equal(port, second.Port);
            Assert.Equal(ConnectReasonCode.Success, (await ConnectOverAsync(IPAddress.Loopback, port)).ReasonCode);
        }
    }
}
