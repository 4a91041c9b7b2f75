using System;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using MqttPS.Core.Client;
using MqttPS.Core.Messages;
using MqttPS.Core.Protocol;
using MqttPS.Core.Tests.Client;
using MqttPS.Core.Tests.Infrastructure;
using MqttPS.Core.Transport;
using Xunit;

namespace MqttPS.Core.Tests.Transport
{
    /// <summary>RFC 6455 framing and handshake, both sides, and MQTT over WebSocket against mosquitto.</summary>
    public class WebSocketStreamTests
    {

        /// <summary>A connected loopback TCP pair: (client side, server side).</summary>
        private static async Task<(NetworkStream client, NetworkStream server, Action dispose)> SocketPairAsync()
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var client = new TcpClient();
            var accept = listener.AcceptTcpClientAsync();
            await client.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
            var server = await accept;
            listener.Stop();
            return (client.GetStream(), server.GetStream(), () => { client.Dispose(); server.Dispose(); });
        }

        private static async Task<byte[]> ReadExactlyAsync(Stream stream, int count)
        {
            var buffer = new byte[count];
            var read = 0;
            using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
            {
                while (read < count)
                {
                    var n = await stream.ReadAsync(buffer, read, count - read, cts.Token);
                    if (n == 0) throw new EndOfStreamException("stream ended after " + read + " of " + count + " bytes");
                    read += n;
                }
            }
            return buffer;
        }

        [Fact]
        public void Accept_key_matches_the_rfc_example()
        {
            // RFC 6455 section 1.3.
            Assert.Equal("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", WebSocketHandshake.ComputeAccept("dGhlIHNhbXBsZSBub25jZQ=="));
        }

        [Fact]
        public async Task Client_and_server_exchange_data_of_every_length_class_in_both_directions()
        {
            var (clientSide, serverSide, dispose) = await SocketPairAsync();
            try
            {
                var serverTask = WebSocketHandshake.AcceptAsync(serverSide, new[] { "mqtt" }, CancellationToken.None);
                var client = await WebSocketHandshake.ConnectAsync(clientSide, "localhost", "/mqtt", "mqtt", CancellationToken.None);
                var accepted = await serverTask;
                Assert.Equal("/mqtt", accepted.Path);
                Assert.Equal("mqtt", accepted.SubProtocol);
                var server = accepted.Stream;

                // 7-bit, 16-bit and 64-bit length encodings; the largest spans several write chunks.
                foreach (var size in new[] { 1, 125, 126, 300, 65535, 65536, 200000 })
                {
                    var data = Enumerable.Range(0, size).Select(i => (byte)(i * 31 + size)).ToArray();
                    var toServer = client.WriteAsync(data, 0, data.Length);
                    Assert.Equal(data, await ReadExactlyAsync(server, size));
                    await toServer;
                    var toClient = server.WriteAsync(data, 0, data.Length);
                    Assert.Equal(data, await ReadExactlyAsync(client, size));
                    await toClient;
                }

                await server.CloseAsync(1000);
                var buffer = new byte[10];
                Assert.Equal(0, await client.ReadAsync(buffer, 0, buffer.Length));
                Assert.Equal(1000, client.PeerCloseStatus);
                Assert.Equal(0, await server.ReadAsync(buffer, 0, buffer.Length)); // the client echoed the close
                Assert.True(server.CloseReceived);
            }
            finally { dispose(); }
        }

        [Fact]
        public async Task Fragmented_message_with_a_ping_in_between_reads_as_one_stream_and_the_ping_is_answered()
        {
            var (clientSide, serverSide, dispose) = await SocketPairAsync();
            try
            {
                var client = new WebSocketStream(clientSide, isClient: true);
                // Unmasked server frames written by hand: binary "abc" (FIN=0), ping "hi", continuation "def" (FIN=1).
                var frames = new byte[] { 0x02, 3, (byte)'a', (byte)'b', (byte)'c', 0x89, 2, (byte)'h', (byte)'i', 0x80, 3, (byte)'d', (byte)'e', (byte)'f' };
                await serverSide.WriteAsync(frames, 0, frames.Length);
                Assert.Equal("abcdef", Encoding.ASCII.GetString(await ReadExactlyAsync(client, 6)));

                // The pong: FIN+opcode 0xA, masked, length 2, 4 mask bytes, "hi" masked.
                var pong = await ReadExactlyAsync(serverSide, 8);
                Assert.Equal(0x8A, pong[0]);
                Assert.Equal(0x82, pong[1]);
                Assert.Equal("hi", Encoding.ASCII.GetString(new[] { (byte)(pong[6] ^ pong[2]), (byte)(pong[7] ^ pong[3]) }));
            }
            finally { dispose(); }
        }

        [Fact]
        public async Task Text_frames_and_masked_server_frames_are_refused_with_a_close()
        {
            var (clientSide, serverSide, dispose) = await SocketPairAsync();
            try
            {
                var client = new WebSocketStream(clientSide, isClient: true);
                await serverSide.WriteAsync(new byte[] { 0x81, 1, (byte)'x' });
                var e = await Assert.ThrowsAsync<MqttWebSocketException>(() => client.ReadAsync(new byte[10], 0, 10));
                Assert.Contains("MQTT-6.0.0-1", e.Message);
                Assert.Equal(1003, e.CloseStatus);
                var close = await ReadExactlyAsync(serverSide, 8);
                Assert.Equal(0x88, close[0]);
                Assert.Equal(1003, ((close[6] ^ close[2]) << 8) | (close[7] ^ close[3]));
            }
            finally { dispose(); }

            (clientSide, serverSide, dispose) = await SocketPairAsync();
            try
            {
                var server = new WebSocketStream(serverSide, isClient: false);
                await clientSide.WriteAsync(new byte[] { 0x82, 1, (byte)'x' }); // unmasked from a client
                var e = await Assert.ThrowsAsync<MqttWebSocketException>(() => server.ReadAsync(new byte[10], 0, 10));
                Assert.Contains("unmasked", e.Message);
            }
            finally { dispose(); }
        }

        [Fact]
        public async Task Handshake_failures_are_reported()
        {
            var (clientSide, serverSide, dispose) = await SocketPairAsync();
            try
            {
                // A server that answers 101 with a wrong accept key.
                var fake = Task.Run(async () =>
                {
                    var buffer = new byte[4096];
                    await serverSide.ReadAsync(buffer, 0, buffer.Length);
                    var response = Encoding.ASCII.GetBytes("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: AAAA\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n");
                    await serverSide.WriteAsync(response, 0, response.Length);
                });
                var e = await Assert.ThrowsAsync<MqttWebSocketException>(() => WebSocketHandshake.ConnectAsync(clientSide, "h", "/mqtt", "mqtt", CancellationToken.None));
                Assert.Contains("Sec-WebSocket-Accept", e.Message);
                await fake;
            }
            finally { dispose(); }

            (clientSide, serverSide, dispose) = await SocketPairAsync();
            try
            {
                var server = WebSocketHandshake.AcceptAsync(serverSide, new[] { "mqtt" }, CancellationToken.None);
                var client = WebSocketHandshake.ConnectAsync(clientSide, "h", "/mqtt", "chat", CancellationToken.None);
                var serverError = await Assert.ThrowsAsync<MqttWebSocketException>(() => server);
                Assert.Contains("subprotocols 'chat'", serverError.Message);
                var clientError = await Assert.ThrowsAsync<MqttWebSocketException>(() => client);
                Assert.Contains("HTTP 400", clientError.Message);
            }
            finally { dispose(); }
        }

        [Fact]
        public async Task Mqtt_over_websocket_against_mosquitto()
        {
            var wsPort = FreePort.Next();
            // libwebsockets in Debian's mosquitto cannot bind a websockets listener to an address, only to all IPv4 interfaces.
            using (var broker = await Mosquitto.StartAsync(new[] { "listener " + wsPort, "socket_domain ipv4", "protocol websockets" }))
            using (var tcp = await TestClients.ConnectAsync(broker.Port))
            {
                await tcp.SubscribeAsync("ws/#", MqttQualityOfService.AtLeastOnce);
                var options = TestClients.Options(wsPort);
                options.Address = MqttBrokerAddress.Parse("ws://127.0.0.1:" + wsPort + "/mqtt");
                MqttClient ws = null;
                for (var attempt = 0; ws == null; attempt++)
                {
                    try { ws = new MqttClient(options); await ws.ConnectAsync(); }
                    catch (MqttConnectException) when (attempt < 20) { ws.Dispose(); ws = null; await Task.Delay(100); } // listener still starting
                }
                using (ws)
                {
                    // Large messages only upwards: mosquitto 2.0's libwebsockets sends about 4 KiB per 100 ms service
                    // loop downwards (300 KB took 7 s), which would only measure mosquitto.
                    await ws.SubscribeAsync(new[] { new MqttTopicSubscription("ws/small", MqttQualityOfService.AtLeastOnce), new MqttTopicSubscription("ws/fromtcp", MqttQualityOfService.ExactlyOnce) });
                    var big = Enumerable.Range(0, 300000).Select(i => (byte)i).ToArray();
                    var medium = Enumerable.Range(0, 9000).Select(i => (byte)(i * 3)).ToArray();
                    await ws.PublishAsync(new MqttMessage("ws/small", "over websocket", MqttQualityOfService.AtLeastOnce));
                    await ws.PublishAsync(new MqttMessage("ws/big", big, MqttQualityOfService.ExactlyOnce));
                    await tcp.PublishAsync(new MqttMessage("ws/fromtcp", medium, MqttQualityOfService.ExactlyOnce));

                    var atTcp = await tcp.ReceiveManyAsync(3);
                    Assert.Equal("over websocket", atTcp[0].PayloadText);
                    Assert.Equal(big, atTcp[1].PayloadBytes);
                    var atWs = await ws.ReceiveManyAsync(2);
                    Assert.Equal(new[] { "ws/small", "ws/fromtcp" }, atWs.Select(m => m.Topic));
                    Assert.Equal(medium, atWs[1].PayloadBytes);
                    await ws.DisconnectAsync();
                }
            }
        }

        [Fact]
        public async Task Mqtt_over_secure_websocket_against_mosquitto()
        {
            var pki = await TestCertificates.GetAsync();
            foreach (var f in new[] { pki.CaCert, pki.ServerCert, pki.ServerKey }) File.SetUnixFileMode(f, (UnixFileMode)0x1A4);
            File.SetUnixFileMode(pki.Directory, (UnixFileMode)0x1ED);
            var wssPort = FreePort.Next();
            using (var broker = await Mosquitto.StartAsync(new[] { "listener " + wssPort, "socket_domain ipv4", "protocol websockets",
                "cafile " + pki.CaCert, "certfile " + pki.ServerCert, "keyfile " + pki.ServerKey }))
            {
                var options = TestClients.Options(wssPort);
                options.Address = MqttBrokerAddress.Parse("wss://localhost:" + wssPort);
                options.Tls = new MqttTlsOptions { CaFile = pki.CaCert };
                MqttClient wss = null;
                for (var attempt = 0; wss == null; attempt++)
                {
                    try { wss = new MqttClient(options); await wss.ConnectAsync(); }
                    catch (MqttConnectException) when (attempt < 20) { wss.Dispose(); wss = null; await Task.Delay(100); }
                }
                using (wss)
                {
                    Assert.Equal(MqttTransportKind.SecureWebSocket, wss.Address.Kind);
                    await wss.SubscribeAsync("wss/t", MqttQualityOfService.AtLeastOnce);
                    await wss.PublishAsync(new MqttMessage("wss/t", "tls and websocket", MqttQualityOfService.AtLeastOnce));
                    Assert.Equal("tls and websocket", (await wss.ReceiveAsync()).PayloadText);
                    await wss.DisconnectAsync();
                }
            }
        }
    }
}
