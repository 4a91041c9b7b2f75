using System;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using MqttPS.Core.Client;
using MqttPS.Core.Protocol;
using MqttPS.Core.Tests.Infrastructure;
using MqttPS.Core.Transport;
using Xunit;

namespace MqttPS.Core.Tests.Client
{
    /// <summary>What a user sees when connecting goes wrong: no broker, a silent one, an older protocol, misuse.</summary>
    public class ConnectErrorTests
    {
        [Fact]
        public async Task No_broker_listening_gives_a_clear_error_naming_the_address()
        {
            var port = FreePort.Next();
            using (var client = new MqttClient(TestClients.Options(port)))
            {
                var watch = Stopwatch.StartNew();
                var e = await Assert.ThrowsAsync<MqttConnectException>(() => client.ConnectAsync());
                Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5));
                Assert.Contains("127.0.0.1:" + port, e.Message);
                Assert.Contains("refused", e.Message, StringComparison.OrdinalIgnoreCase);
                Assert.IsType<SocketException>(e.InnerException);
                Assert.False(client.IsConnected);
            }
        }

        [Fact]
        public async Task Silent_server_times_out_within_the_connect_timeout()
        {
            // Accepts TCP (the kernel completes the handshake) but never answers CONNECT.
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            try
            {
                var options = TestClients.Options(((IPEndPoint)listener.LocalEndpoint).Port);
                options.ConnectTimeout = TimeSpan.FromSeconds(1);
                using (var client = new MqttClient(options))
                {
                    var watch = Stopwatch.StartNew();
                    var e = await Assert.ThrowsAsync<TimeoutException>(() => client.ConnectAsync());
                    Assert.InRange(watch.Elapsed.TotalSeconds, 0.9, 3);
                    Assert.Contains("CONNACK", e.Message);
                    Assert.Contains("timed out after 1 s", e.Message);
                }
            }
            finally { listener.Stop(); }
        }

        [Fact]
        public async Task Cancellation_aborts_connecting()
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            try
            {
                using (var client = new MqttClient(TestClients.Options(((IPEndPoint)listener.LocalEndpoint).Port)))
                using (var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200)))
                {
                    await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.ConnectAsync(cts.Token));
                }
            }
            finally { listener.Stop(); }
        }

        /// <summary>A fake 3.1.1-only broker: answers a 5.0 CONNECT with return code 1, a 3.1.1 CONNECT with success.</summary>
        private static async Task RunLegacyBrokerAsync(TcpListener listener, CancellationToken cancellationToken)
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                TcpClient socket;
                try { socket = await listener.AcceptTcpClientAsync(cancellationToken); }
                catch (Exception) { return; }
                _ = Task.Run(async () =>
                {
                    using (socket)
                    {
                        var stream = socket.GetStream();
                        var buffer = new byte[256];
                        var read = 0;
                        // fixed header (2) + protocol name (6) + level (1)
                        while (read < 9)
                        {
                            var n = await stream.ReadAsync(buffer, read, buffer.Length - read);
                            if (n == 0) return;
                            read += n;
                        }
                        var level = buffer[8];
                        await stream.WriteAsync(new byte[] { 0x20, 0x02, 0x00, (byte)(level == 4 ? 0 : 1) });
                        if (level != 4) return;
                        try { while (await stream.ReadAsync(buffer, 0, buffer.Length) > 0) { } } catch (Exception) { }
                    }
                });
            }
        }

        [Fact]
        public async Task Broker_refusing_mqtt5_gets_an_error_saying_to_use_311_or_fallback()
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            using (var stop = new CancellationTokenSource())
            {
                var server = RunLegacyBrokerAsync(listener, stop.Token);
                var port = ((IPEndPoint)listener.LocalEndpoint).Port;
                using (var client = new MqttClient(TestClients.Options(port)))
                {
                    var e = await Assert.ThrowsAsync<MqttConnectException>(() => client.ConnectAsync());
                    Assert.Equal(ConnectReasonCode.UnsupportedProtocolVersion, e.ReasonCode);
                    Assert.Contains("does not support MQTT 5.0", e.Message);
                    Assert.Contains("3.1.1", e.Message);
                    Assert.Contains("fallback", e.Message);
                }
                var options = TestClients.Options(port);
                options.AllowProtocolFallback = true;
                using (var client = new MqttClient(options))
                {
                    var result = await client.ConnectAsync();
                    Assert.Equal(MqttProtocolVersion.V311, result.ProtocolVersion);
                    Assert.Equal(MqttProtocolVersion.V311, client.ProtocolVersion);
                    Assert.True(client.IsConnected);
                }
                stop.Cancel();
                listener.Stop();
                await server;
            }
        }

        [Fact]
        public async Task Operations_without_a_connection_fail_clearly_and_dispose_is_final()
        {
            using (var broker = await Mosquitto.StartAsync())
            {
                var client = new MqttClient(TestClients.Options(broker.Port));
                var notConnected = await Assert.ThrowsAsync<InvalidOperationException>(() => client.PublishAsync(new Messages.MqttMessage("t", "x")));
                Assert.Contains("call ConnectAsync first", notConnected.Message);
                await Assert.ThrowsAsync<InvalidOperationException>(() => client.SubscribeAsync("t"));

                await client.ConnectAsync();
                await Assert.ThrowsAsync<InvalidOperationException>(() => client.ConnectAsync());
                var receive = client.ReceiveAsync();
                client.Dispose();
                Assert.Null(await receive.WaitAsync(TimeSpan.FromSeconds(5)));
                Assert.False(client.IsConnected);
                await Assert.ThrowsAsync<ObjectDisposedException>(() => client.PublishAsync(new Messages.MqttMessage("t", "x")));
                await Assert.ThrowsAsync<ObjectDisposedException>(() => client.ConnectAsync());
            }
        }

        [Fact]
        public async Task Generated_client_id_is_mqttps_prefixed_and_reported()
        {
            using (var broker = await Mosquitto.StartAsync())
            using (var client = await TestClients.ConnectAsync(broker.Port))
            {
                Assert.StartsWith("mqttps-", client.ClientId);
                Assert.Equal(client.ClientId, client.LastConnectResult.ClientId);
            }
        }

        [Fact]
        public async Task The_same_client_can_connect_again_after_disconnecting()
        {
            using (var broker = await Mosquitto.StartAsync())
            using (var client = new MqttClient(TestClients.Options(broker.Port)))
            {
                for (var round = 0; round < 3; round++)
                {
                    await client.ConnectAsync();
                    await client.SubscribeAsync("again/t", MqttQualityOfService.AtLeastOnce);
                    await client.PublishAsync(new Messages.MqttMessage("again/t", "round " + round, MqttQualityOfService.ExactlyOnce));
                    Assert.Equal("round " + round, (await client.ReceiveAsync()).PayloadText);
                    await client.DisconnectAsync();
                    Assert.Null(await client.ReceiveAsync());
                    Assert.Equal(0, client.PendingPublishes);
                }
            }
        }
    }
}
