using System;
using System.IO;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Tasks;
using MqttPS.Core.Client;
using MqttPS.Core.Messages;
using MqttPS.Core.Protocol;
using MqttPS.Core.Tests.Infrastructure;
using MqttPS.Core.Transport;
using Xunit;

namespace MqttPS.Core.Tests.Client
{
    /// <summary>TLS (server validation, client certificates, SNI) and user name/password against mosquitto.</summary>
    public class SecurityTests
    {
        private static async Task<Mosquitto> StartTlsBrokerAsync(TestCertificates pki, bool requireClientCertificate)
        {
            // mosquitto drops root privileges and must still read the key.
            foreach (var f in new[] { pki.CaCert, pki.ServerCert, pki.ServerKey }) File.SetUnixFileMode(f, (UnixFileMode)0x1A4);
            File.SetUnixFileMode(pki.Directory, (UnixFileMode)0x1ED);
            var config = new[]
            {
                "cafile " + pki.CaCert, "certfile " + pki.ServerCert, "keyfile " + pki.ServerKey,
                "require_certificate " + (requireClientCertificate ? "true" : "false"),
            };
            return await Mosquitto.StartAsync(config);
        }

        private static MqttClientOptions TlsOptions(int port, MqttTlsOptions tls, string host = "localhost")
        {
            var options = TestClients.Options(port);
            options.Address = MqttBrokerAddress.Parse("mqtts://" + host + ":" + port);
            options.Tls = tls;
            return options;
        }

        private static async Task AssertRoundTripAsync(MqttClient client)
        {
            await client.SubscribeAsync("tls/t", MqttQualityOfService.AtLeastOnce);
            await client.PublishAsync(new MqttMessage("tls/t", "secret", MqttQualityOfService.AtLeastOnce));
            Assert.Equal("secret", (await client.ReceiveAsync()).PayloadText);
        }

        [Fact]
        public async Task Tls_with_ca_file_validates_the_server_and_carries_messages()
        {
            var pki = await TestCertificates.GetAsync();
            using (var broker = await StartTlsBrokerAsync(pki, false))
            using (var client = new MqttClient(TlsOptions(broker.Port, new MqttTlsOptions { CaFile = pki.CaCert })))
            {
                await client.ConnectAsync();
                Assert.Equal(MqttTransportKind.Tls, client.Address.Kind);
                await AssertRoundTripAsync(client);
            }
        }

        [Fact]
        public async Task Tls_refuses_a_server_not_signed_by_the_given_ca_or_the_system_store()
        {
            var pki = await TestCertificates.GetAsync();
            using (var broker = await StartTlsBrokerAsync(pki, false))
            {
                using (var client = new MqttClient(TlsOptions(broker.Port, new MqttTlsOptions { CaFile = pki.OtherCaCert })))
                {
                    var e = await Assert.ThrowsAsync<MqttConnectException>(() => client.ConnectAsync());
                    Assert.Contains("does not chain to the CA", e.Message);
                    Assert.Null(e.ReasonCode);
                }
                using (var client = new MqttClient(TlsOptions(broker.Port, new MqttTlsOptions())))
                {
                    var e = await Assert.ThrowsAsync<MqttConnectException>(() => client.ConnectAsync());
                    Assert.Contains("not trusted by the system store", e.Message);
                }
                // The explicit lab opt-in accepts it.
                using (var client = new MqttClient(TlsOptions(broker.Port, new MqttTlsOptions { SkipCertificateValidation = true })))
                {
                    await client.ConnectAsync();
                    await AssertRoundTripAsync(client);
                }
            }
        }

        [Fact]
        public async Task Tls_checks_the_server_name_and_sni_can_override_it()
        {
            var pki = await TestCertificates.GetAsync();
            using (var broker = await StartTlsBrokerAsync(pki, false))
            {
                using (var client = new MqttClient(TlsOptions(broker.Port, new MqttTlsOptions { CaFile = pki.CaCert, ServerName = "wrong.example" })))
                {
                    var e = await Assert.ThrowsAsync<MqttConnectException>(() => client.ConnectAsync());
                    Assert.Contains("does not match the host name", e.Message);
                }
                // Connecting by IP address with the certificate's DNS name given as SNI / expected name.
                using (var client = new MqttClient(TlsOptions(broker.Port, new MqttTlsOptions { CaFile = pki.CaCert, ServerName = "localhost" }, "127.0.0.1")))
                {
                    await client.ConnectAsync();
                }
            }
        }

        [Theory]
        [InlineData("none")]
        [InlineData("pem")]
        [InlineData("pem-combined")]
        [InlineData("pfx")]
        [InlineData("object")]
        public async Task Broker_requiring_a_client_certificate_accepts_pem_and_pfx_and_refuses_none(string kind)
        {
            var pki = await TestCertificates.GetAsync();
            using (var broker = await StartTlsBrokerAsync(pki, true))
            {
                var tls = new MqttTlsOptions { CaFile = pki.CaCert };
                switch (kind)
                {
                    case "pem": tls.ClientCertificatePath = pki.ClientCert; tls.ClientCertificateKeyPath = pki.ClientKey; break;
                    case "pem-combined": tls.ClientCertificatePath = pki.ClientCombinedPem; break;
                    case "pfx": tls.ClientCertificatePath = pki.ClientPfx; tls.ClientCertificatePassword = TestCertificates.PfxPassword; break;
                    case "object": tls.ClientCertificate = X509CertificateLoader.LoadPkcs12FromFile(pki.ClientPfx, TestCertificates.PfxPassword); break;
                }
                using (var client = new MqttClient(TlsOptions(broker.Port, tls)))
                {
                    if (kind == "none")
                    {
                        // TLS 1.3 reports a missing client certificate only after the handshake: the CONNECT is answered by a close.
                        var e = await Assert.ThrowsAsync<MqttConnectException>(() => client.ConnectAsync());
                        Assert.Null(e.ReasonCode);
                        return;
                    }
                    await client.ConnectAsync();
                    await AssertRoundTripAsync(client);
                }
            }
        }

        [Fact]
        public async Task Wrong_pfx_password_and_missing_files_give_clear_errors()
        {
            var pki = await TestCertificates.GetAsync();
            using (var broker = await StartTlsBrokerAsync(pki, true))
            {
                using (var client = new MqttClient(TlsOptions(broker.Port, new MqttTlsOptions { CaFile = pki.CaCert, ClientCertificatePath = "/nonexistent/client.pem" })))
                {
                    var e = await Assert.ThrowsAnyAsync<Exception>(() => client.ConnectAsync());
                    Assert.Contains("/nonexistent/client.pem", e.ToString());
                }
                using (var client = new MqttClient(TlsOptions(broker.Port, new MqttTlsOptions { CaFile = pki.CaCert, ClientCertificatePath = pki.ClientPfx, ClientCertificatePassword = "wrong" })))
                {
                    var e = await Assert.ThrowsAsync<ArgumentException>(() => client.ConnectAsync());
                    Assert.Contains(pki.ClientPfx, e.Message);
                    Assert.Contains("wrong password", e.Message);
                }
                using (var client = new MqttClient(TlsOptions(broker.Port, new MqttTlsOptions { CaFile = pki.CaCert, ClientCertificatePath = pki.ClientCert, ClientCertificateKeyPath = pki.ClientEncryptedKey })))
                {
                    var e = await Assert.ThrowsAsync<NotSupportedException>(() => client.ConnectAsync());
                    Assert.Contains("encrypted", e.Message);
                    Assert.Contains("PFX", e.Message);
                }
                using (var client = new MqttClient(TlsOptions(broker.Port, new MqttTlsOptions { CaFile = "/nonexistent/ca.pem" })))
                {
                    var e = await Assert.ThrowsAnyAsync<Exception>(() => client.ConnectAsync());
                    Assert.Contains("/nonexistent/ca.pem", e.ToString());
                }
            }
        }

        [Theory]
        [InlineData(MqttProtocolVersion.V311)]
        [InlineData(MqttProtocolVersion.V500)]
        public async Task Username_and_password_are_checked_by_the_broker(MqttProtocolVersion version)
        {
            var dir = Directory.CreateTempSubdirectory("mqttps-passwd-").FullName;
            var passwordFile = Path.Combine(dir, "passwd");
            using (var p = await ExternalProcess.RunAsync("mosquitto_passwd", new[] { "-b", "-c", passwordFile, "alice", "s3cret" }, TimeSpan.FromSeconds(10)))
                Assert.Equal(0, p.ExitCode);
            File.SetUnixFileMode(dir, (UnixFileMode)0x1ED);
            File.SetUnixFileMode(passwordFile, (UnixFileMode)0x1A4);
            try
            {
                using (var broker = await Mosquitto.StartAsync(new[] { "allow_anonymous false", "password_file " + passwordFile }))
                {
                    using (var ok = await TestClients.ConnectAsync(broker.Port, version, configure: o => { o.Username = "alice"; o.Password = System.Text.Encoding.UTF8.GetBytes("s3cret"); }))
                    {
                        Assert.True(ok.IsConnected);
                    }
                    var wrong = await Assert.ThrowsAsync<MqttConnectException>(() => TestClients.ConnectAsync(broker.Port, version, configure: o => { o.Username = "alice"; o.Password = System.Text.Encoding.UTF8.GetBytes("wrong"); }));
                    // mosquitto 2.0 answers a wrong password with "not authorised": return code 5 in 3.1.1, 0x87 in 5.0
                    // (checked with mosquitto_sub -d); the 3.1.1 code is reported as its 5.0 equivalent.
                    Assert.Equal(ConnectReasonCode.NotAuthorized, wrong.ReasonCode);
                    Assert.Contains("127.0.0.1", wrong.Message);
                    Assert.Contains("0x87", wrong.Message);
                    var anonymous = await Assert.ThrowsAsync<MqttConnectException>(() => TestClients.ConnectAsync(broker.Port, version));
                    Assert.NotNull(anonymous.ReasonCode);
                }
            }
            finally { Directory.Delete(dir, true); }
        }
    }
}
