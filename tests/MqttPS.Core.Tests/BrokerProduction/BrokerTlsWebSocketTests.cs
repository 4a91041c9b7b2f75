using System;
using System.Linq;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Tasks;
using MqttPS.Core.Broker;
using MqttPS.Core.Client;
using MqttPS.Core.Protocol;
using MqttPS.Core.Tests.Infrastructure;
using MqttPS.Core.Transport;
using Xunit;
using static MqttPS.Core.Tests.BrokerProduction.BrokerTestHelpers;
using static MqttPS.Core.Tests.Infrastructure.Eventually;

namespace MqttPS.Core.Tests.BrokerProduction
{
    public sealed class BrokerTlsWebSocketTests : IAsyncLifetime
    {
        private TestCertificates _pki;

        public async Task InitializeAsync() => _pki = await TestCertificates.GetAsync();
        public Task DisposeAsync() => Task.CompletedTask;

        private MqttListenerOptions Listener(MqttListenerKind kind, bool requireClientCertificate = false) => new MqttListenerOptions
        {
            Kind = kind,
            BindAddress = System.Net.IPAddress.Loopback,
            Port = 0,
            CertificatePath = _pki.ServerCert,
            CertificateKeyPath = _pki.ServerKey,
            RequireClientCertificate = requireClientCertificate,
            ClientCaFile = requireClientCertificate ? _pki.CaCert : null,
            UseIdentityAsUsername = requireClientCertificate,
        };

        private static int PortOf(MqttBroker broker, int listenerIndex) => broker.Endpoints[listenerIndex].Port;

        [Fact]
        public async Task Mosquitto_sub_with_cafile_receives_over_our_TLS_listener()
        {
            var options = new MqttBrokerOptions();
            options.Listeners.Add(Listener(MqttListenerKind.Tls));
            using (var broker = await StartAsync(options))
            {
                var tlsPort = PortOf(broker, 1);
                using (var sub = ExternalProcess.Start("mosquitto_sub", new[] { "-h", "localhost", "-p", tlsPort.ToString(), "--cafile", _pki.CaCert, "-t", "secure/topic", "-q", "1", "-C", "1", "-W", "20", "-V", "mqttv311" }))
                {
                    await WaitUntilAsync(() => broker.GetClients().Count == 1, TimeSpan.FromSeconds(15), "mosquitto_sub to connect over TLS: " + sub.StandardError);
                    await WaitUntilAsync(() => broker.GetClients()[0].Subscriptions.Count == 1, TimeSpan.FromSeconds(10), "the subscription");
                    var tls = ClientOptions(tlsPort, "pub", kind: MqttTransportKind.Tls);
                    tls.Tls = new MqttTlsOptions { CaFile = _pki.CaCert, ServerName = "localhost" };
                    using (var pub = await ConnectAsync(tls))
                        await pub.PublishAsync(Message("secure/topic", "over TLS", MqttQualityOfService.AtLeastOnce));
                    await sub.WaitForExitAsync(TimeSpan.FromSeconds(20));
                    Assert.Equal("over TLS", sub.StandardOutput.Trim());
                }
            }
        }

        [Fact]
        public async Task Our_client_connects_with_a_client_certificate_whose_CN_becomes_the_username()
        {
            var options = new MqttBrokerOptions { AllowAnonymous = false };
            options.Listeners.Add(Listener(MqttListenerKind.Tls, requireClientCertificate: true));
            using (var broker = await StartAsync(options))
            {
                var o = ClientOptions(PortOf(broker, 1), "with-cert", kind: MqttTransportKind.Tls);
                o.Tls = new MqttTlsOptions { CaFile = _pki.CaCert, ServerName = "localhost", ClientCertificatePath = _pki.AliceCert, ClientCertificateKeyPath = _pki.AliceKey };
                using (var client = await ConnectAsync(o))
                {
                    Assert.True(client.IsConnected);
                    Assert.Equal("alice", broker.GetClients().Single().Username);
                }
            }
        }

        [Fact]
        public async Task Our_client_without_a_certificate_connects_to_a_TLS_listener_that_does_not_require_one_but_not_to_one_that_does()
        {
            var options = new MqttBrokerOptions();
            options.Listeners.Add(Listener(MqttListenerKind.Tls));
            options.Listeners.Add(Listener(MqttListenerKind.Tls, requireClientCertificate: true));
            using (var broker = await StartAsync(options))
            {
                var open = ClientOptions(PortOf(broker, 1), "no-cert", kind: MqttTransportKind.Tls);
                open.Tls = new MqttTlsOptions { CaFile = _pki.CaCert, ServerName = "localhost" };
                using (var client = await ConnectAsync(open)) Assert.True(client.IsConnected);

                var strict = ClientOptions(PortOf(broker, 2), "no-cert-strict", kind: MqttTransportKind.Tls);
                strict.Tls = new MqttTlsOptions { CaFile = _pki.CaCert, ServerName = "localhost" };
                strict.ConnectTimeout = TimeSpan.FromSeconds(5);
                using (var client = new MqttClient(strict))
                    await Assert.ThrowsAnyAsync<Exception>(() => client.ConnectAsync());
                Assert.Empty(broker.GetClients());
            }
        }

        [Fact]
        public async Task A_client_certificate_from_an_untrusted_CA_is_refused()
        {
            var options = new MqttBrokerOptions();
            options.Listeners.Add(Listener(MqttListenerKind.Tls, requireClientCertificate: true));
            using (var broker = await StartAsync(options))
            {
                var events = new System.Collections.Concurrent.ConcurrentQueue<MqttBrokerEvent>();
                broker.EventRaised += (_, e) => events.Enqueue(e);
                var o = ClientOptions(PortOf(broker, 1), "mallory", kind: MqttTransportKind.Tls);
                o.Tls = new MqttTlsOptions { CaFile = _pki.CaCert, ServerName = "localhost", ClientCertificatePath = _pki.UntrustedClientPfx, ClientCertificatePassword = TestCertificates.PfxPassword };
                o.ConnectTimeout = TimeSpan.FromSeconds(5);
                using (var client = new MqttClient(o))
                    await Assert.ThrowsAnyAsync<Exception>(() => client.ConnectAsync());
                Assert.Empty(broker.GetClients());
                // Operators see why: a ClientDisconnected event names the listener, the address and the reason.
                await WaitUntilAsync(() => events.Any(e => e.Kind == MqttBrokerEventKind.ClientDisconnected && e.Reason.Contains("not issued by a CA")), TimeSpan.FromSeconds(5), "the refusal event");
                Assert.Contains(events, e => e.Reason != null && e.Reason.StartsWith("refused on tls 127.0.0.1:", StringComparison.Ordinal));
                // mosquitto_pub with the untrusted certificate is refused too.
                using (var p = await ExternalProcess.RunAsync("mosquitto_pub", new[] { "-h", "localhost", "-p", PortOf(broker, 1).ToString(), "--cafile", _pki.CaCert,
                    "--cert", _pki.UntrustedClientCert, "--key", _pki.UntrustedClientKey, "-t", "t", "-m", "x" }, TimeSpan.FromSeconds(20)))
                    Assert.NotEqual(0, p.ExitCode);
            }
        }

        [Theory]
        [InlineData(MqttListenerKind.WebSocket, MqttTransportKind.WebSocket)]
        [InlineData(MqttListenerKind.SecureWebSocket, MqttTransportKind.SecureWebSocket)]
        public async Task Our_client_publishes_and_receives_over_websockets(MqttListenerKind listenerKind, MqttTransportKind clientKind)
        {
            var options = new MqttBrokerOptions();
            options.Listeners.Add(Listener(listenerKind));
            using (var broker = await StartAsync(options))
            {
                var o = ClientOptions(PortOf(broker, 1), "ws-client", kind: clientKind);
                if (clientKind == MqttTransportKind.SecureWebSocket) o.Tls = new MqttTlsOptions { CaFile = _pki.CaCert, ServerName = "localhost" };
                using (var wsClient = await ConnectAsync(o))
                using (var tcpClient = await ConnectAsync(ClientOptions(broker.Port, "tcp-client")))
                {
                    await wsClient.SubscribeAsync("ws/#", MqttQualityOfService.AtLeastOnce);
                    await tcpClient.PublishAsync(Message("ws/in", "to websocket", MqttQualityOfService.AtLeastOnce));
                    var received = await ReceiveOrNullAsync(wsClient, TimeSpan.FromSeconds(10));
                    Assert.Equal("to websocket", received?.PayloadText);

                    await tcpClient.SubscribeAsync("back", MqttQualityOfService.AtLeastOnce);
                    var big = new string('w', 200_000); // several WebSocket frames' worth
                    var result = await wsClient.PublishAsync(Message("back", big, MqttQualityOfService.AtLeastOnce));
                    Assert.Equal(PubAckReasonCode.Success, result.ReasonCode);
                    Assert.Equal(big, (await ReceiveOrNullAsync(tcpClient, TimeSpan.FromSeconds(10)))?.PayloadText);
                }
            }
        }
    
        [Fact]
        public async Task A_websocket_client_on_another_path_or_speaking_plain_http_is_refused()
        {
            var options = new MqttBrokerOptions();
            var ws = Listener(MqttListenerKind.WebSocket);
            ws.Path = "/mqtt";
            options.Listeners.Add(ws);
            using (var broker = await StartAsync(options))
            {
                var o = ClientOptions(PortOf(broker, 1), "wrong-path");
                o.Address = new MqttBrokerAddress("127.0.0.1", PortOf(broker, 1), MqttTransportKind.WebSocket, "/elsewhere");
                o.ConnectTimeout = TimeSpan.FromSeconds(5);
                using (var client = new MqttClient(o))
                    await Assert.ThrowsAnyAsync<Exception>(() => client.ConnectAsync());
                using (var raw = await RawMqttConnection.OpenAsync(PortOf(broker, 1)))
                {
                    await raw.SendAsync(System.Text.Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
                    Assert.True(await raw.WaitForCloseAsync(TimeSpan.FromSeconds(10)));
                }
                Assert.Empty(broker.GetClients());
                using (var client = await ConnectAsync(ClientOptions(broker.Port, "tcp-still-fine"))) Assert.True(client.IsConnected);
            }
        }
    }
}
