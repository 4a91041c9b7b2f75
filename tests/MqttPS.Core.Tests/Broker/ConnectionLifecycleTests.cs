using System;
using System.Linq;
using System.Net.Sockets;
using System.Text;
using System.Threading.Tasks;
using MqttPS.Core.Broker;
using MqttPS.Core.Messages;
using MqttPS.Core.Protocol;
using Xunit;

namespace MqttPS.Core.Tests.Broker
{
    /// <summary>Connection-level behaviour: timeouts, protocol violations, takeover, shutdown, administration.</summary>
    public sealed class ConnectionLifecycleTests
    {
        private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(300);

        [Fact]
        public async Task Keep_alive_timeout_closes_a_silent_client_with_0x8D()
        {
            await using var host = await BrokerTestHost.StartAsync();
            // Timed from before the CONNECT: the broker's clock starts when it reads it, and on a loaded machine the
            // CONNACK can reach this test a good part of a second later.
            var started = DateTime.UtcNow;
            var (client, _) = await RawMqttClient.ConnectAsync(host.Port, "sleepy", keepAlive: 1);
            using (client)
            {
                var disconnect = await client.ReceiveAsync<DisconnectPacket>(TimeSpan.FromSeconds(4));
                var elapsed = DateTime.UtcNow - started;
                Assert.Equal(DisconnectReasonCode.KeepAliveTimeout, disconnect.ReasonCode);
                // 1.5 x keep alive [MQTT-3.1.2-24]: not before 1.5 s (minus timer slack), and not much later.
                Assert.InRange(elapsed.TotalMilliseconds, 1400, 4000);
                Assert.True(await client.WaitForCloseAsync(TimeSpan.FromSeconds(2)));
            }
        }

        [Fact]
        public async Task Keep_alive_is_kept_by_pings()
        {
            await using var host = await BrokerTestHost.StartAsync();
            var (client, _) = await RawMqttClient.ConnectAsync(host.Port, "pinger", MqttProtocolVersion.V311, keepAlive: 1);
            using (client)
            {
                for (var i = 0; i < 5; i++)
                {
                    await Task.Delay(500);
                    await client.SendAsync(PingReqPacket.Instance);
                    Assert.IsType<PingRespPacket>(await client.ReceiveAsync(TimeSpan.FromSeconds(2)));
                }
            }
        }

        [Fact]
        public async Task Connection_that_never_sends_CONNECT_is_closed_after_the_connect_timeout()
        {
            await using var host = await BrokerTestHost.StartAsync(o => o.ConnectTimeout = TimeSpan.FromMilliseconds(400));
            var started = DateTime.UtcNow; // before the connect: the broker's clock starts at accept
            using var idle = await RawMqttClient.OpenAsync(host.Port);
            Assert.True(await idle.WaitForCloseAsync(TimeSpan.FromSeconds(3)), "the idle connection stayed open");
            Assert.InRange((DateTime.UtcNow - started).TotalMilliseconds, 250, 2500);
        }

        [Fact]
        public async Task Malformed_packet_closes_only_that_connection()
        {
            await using var host = await BrokerTestHost.StartAsync();
            var (good, _) = await RawMqttClient.ConnectAsync(host.Port, "good");
            var (bad, _) = await RawMqttClient.ConnectAsync(host.Port, "bad");
            var (old, _) = await RawMqttClient.ConnectAsync(host.Port, "old", MqttProtocolVersion.V311);
            using (good)
            using (bad)
            using (old)
            {
                await good.SubscribeAsync("still/#", MqttQualityOfService.AtLeastOnce);
                // PUBLISH whose property length points past the end of the packet.
                await bad.SendRawAsync(new byte[] { 0x30, 0x05, 0x00, 0x01, (byte)'t', 0x09, 0x00 });
                var disconnect = await bad.ReceiveAsync<DisconnectPacket>();
                Assert.Equal(DisconnectReasonCode.MalformedPacket, disconnect.ReasonCode); // 5.0: told why first
                Assert.True(await bad.WaitForCloseAsync(TimeSpan.FromSeconds(3)));

                await old.SendRawAsync(new byte[] { 0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F }); // broken remaining length
                Assert.True(await old.WaitForCloseAsync(TimeSpan.FromSeconds(3)));
                Assert.Null(await old.ReceiveAsync(Short)); // 3.1.1: closed without a packet

                await host.Broker.PublishAsync(new MqttMessage("still/alive", "yes", MqttQualityOfService.AtLeastOnce));
                var publish = await good.ReceiveAsync<PublishPacket>();
                Assert.Equal("still/alive", publish.Topic);
                Assert.Single(host.Broker.GetClients());
            }
        }

        [Fact]
        public async Task Unsupported_protocol_level_gets_0x84_and_a_close()
        {
            await using var host = await BrokerTestHost.StartAsync();
            using var client = await RawMqttClient.OpenAsync(host.Port);
            await client.SendRawAsync(new byte[] { 0x10, 0x0D, 0x00, 0x04, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', 0x06, 0x02, 0x00, 0x0A, 0x00, 0x01, (byte)'p' });
            var connAck = await client.ReceiveAsync<ConnAckPacket>();
            Assert.Equal(ConnectReasonCode.UnsupportedProtocolVersion, connAck.ReasonCode);
            Assert.True(await client.WaitForCloseAsync(TimeSpan.FromSeconds(3)));
        }

        [Fact]
        public async Task Empty_client_id_is_assigned_in_5_0()
        {
            await using var host = await BrokerTestHost.StartAsync();
            var (client, connAck) = await RawMqttClient.ConnectAsync(host.Port, "");
            using (client)
            {
                Assert.Equal(ConnectReasonCode.Success, connAck.ReasonCode);
                var assigned = connAck.Properties.AssignedClientIdentifier;
                Assert.False(string.IsNullOrEmpty(assigned));
                Assert.Equal(assigned, host.Broker.GetClients().Single().ClientId);
            }
        }

        [Fact]
        public async Task Second_connection_with_the_same_client_id_takes_the_session_over()
        {
            await using var host = await BrokerTestHost.StartAsync();
            var (first, _) = await RawMqttClient.ConnectAsync(host.Port, "twin", cleanStart: false, configure: c => c.Properties.SessionExpiryInterval = 60);
            using (first)
            {
                await first.SubscribeAsync("twin/t", MqttQualityOfService.AtLeastOnce);
                var (second, connAck) = await RawMqttClient.ConnectAsync(host.Port, "twin", cleanStart: false, configure: c => c.Properties.SessionExpiryInterval = 60);
                using (second)
                {
                    Assert.True(connAck.SessionPresent);
                    var d = await first.ReceiveAsync<DisconnectPacket>();
                    Assert.Equal(DisconnectReasonCode.SessionTakenOver, d.ReasonCode);
                    Assert.True(await first.WaitForCloseAsync(TimeSpan.FromSeconds(3)));
                    await host.Broker.PublishAsync(new MqttMessage("twin/t", "to-second", MqttQualityOfService.AtLeastOnce));
                    Assert.Equal("twin/t", (await second.ReceiveAsync<PublishPacket>()).Topic); // the subscription moved with the session
                }
            }
        }

        [Fact]
        public async Task Stop_sends_server_shutting_down_to_5_0_clients()
        {
            var host = await BrokerTestHost.StartAsync();
            var (client, _) = await RawMqttClient.ConnectAsync(host.Port, "bye");
            using (client)
            {
                var stop = host.Broker.StopAsync();
                var d = await client.ReceiveAsync<DisconnectPacket>();
                Assert.Equal(DisconnectReasonCode.ServerShuttingDown, d.ReasonCode);
                await stop;
                Assert.False(host.Broker.IsRunning);
                await Assert.ThrowsAnyAsync<SocketException>(() => RawMqttClient.OpenAsync(host.Port));
            }
            host.Broker.Dispose();
        }

        [Fact]
        public async Task Administrator_can_list_and_disconnect_clients_and_read_statistics()
        {
            await using var host = await BrokerTestHost.StartAsync();
            var (a, _) = await RawMqttClient.ConnectAsync(host.Port, "admin-a", configure: c => c.Username = "alice");
            var (b, _) = await RawMqttClient.ConnectAsync(host.Port, "admin-b", MqttProtocolVersion.V311);
            using (a)
            using (b)
            {
                await a.SubscribeAsync("x/#", MqttQualityOfService.AtLeastOnce);
                var clients = host.Broker.GetClients();
                Assert.Equal(new[] { "admin-a", "admin-b" }, clients.Select(c => c.ClientId));
                Assert.Equal("alice", clients[0].Username);
                Assert.Equal(MqttProtocolVersion.V311, clients[1].ProtocolVersion);
                Assert.Equal(new[] { "x/#" }, clients[0].Subscriptions);

                Assert.True(await host.Broker.DisconnectClientAsync("admin-a"));
                Assert.Equal(DisconnectReasonCode.AdministrativeAction, (await a.ReceiveAsync<DisconnectPacket>()).ReasonCode);
                Assert.False(await host.Broker.DisconnectClientAsync("nobody"));
                await host.WaitUntilAsync(() => host.Broker.GetStatistics().ClientsConnected == 1, "admin-a gone");
                var stats = host.Broker.GetStatistics();
                Assert.Equal(1, stats.ClientsConnected);
                Assert.Equal(2, stats.ClientsTotal);
                Assert.Equal(2, stats.ClientsMaximum);
                Assert.True(stats.BytesReceived > 0 && stats.BytesSent > 0 && stats.MessagesReceived >= 3);
            }
        }
    }
}
