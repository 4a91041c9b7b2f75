using System;
using System.IO;
using System.Threading.Tasks;
using MqttPS.Core.Shell;
using MqttPS.Core.Tests.Infrastructure;
using MqttPS.Module.Tests.Fakes;
using Xunit;

namespace MqttPS.Module.Tests.Shell
{
    /// <summary>Connect-Mqtt's TLS parameters end to end against mosquitto with a test PKI.</summary>
    public sealed class TlsConnectTests
    {
        private static async Task<(TestCertificates Pki, Mosquitto Broker)> StartAsync(bool requireClientCertificate)
        {
            var pki = await TestCertificates.GetAsync();
            // mosquitto drops root privileges and must still read the key.
            foreach (var f in new[] { pki.CaCert, pki.ServerCert, pki.ServerKey }) File.SetUnixFileMode(f, (UnixFileMode)0x1A4);
            File.SetUnixFileMode(pki.Directory, (UnixFileMode)0x1ED);
            var broker = await Mosquitto.StartAsync(new[]
            {
                "cafile " + pki.CaCert, "certfile " + pki.ServerCert, "keyfile " + pki.ServerKey,
                "require_certificate " + (requireClientCertificate ? "true" : "false"),
            });
            return (pki, broker);
        }

        [Fact]
        public async Task Mqtts_with_a_private_CA_connects_and_an_unknown_CA_is_refused_as_a_connection_error()
        {
            var (pki, broker) = await StartAsync(false);
            using (broker)
            {
                var session = new MqttShellSession(new MqttClientAdapterFactory());
                var host = new RecordingHost();
                try
                {
                    var ok = session.Connect(new MqttConnectionSettings { Broker = "mqtts://localhost:" + broker.Port, CaFile = pki.CaCert }, host);
                    Assert.True(ok.IsConnected);
                    Assert.StartsWith("mqtts://", ok.Broker);

                    var e = Assert.Throws<MqttShellException>(() =>
                        session.Connect(new MqttConnectionSettings { Broker = "localhost", Port = broker.Port, UseTls = true, CaFile = pki.OtherCaCert }, host));
                    Assert.Equal("ConnectFailed", e.ErrorId);
                    Assert.True(e.Category == ShellErrorCategory.AuthenticationError || e.Category == ShellErrorCategory.ConnectionError, e.Category + ": " + e.Message);

                    // -SkipCertificateCheck alone implies TLS and accepts the broker's certificate.
                    var skipped = session.Connect(new MqttConnectionSettings { Broker = "localhost", Port = broker.Port, SkipCertificateCheck = true }, host);
                    Assert.True(skipped.IsConnected);
                }
                finally
                {
                    session.CloseAll(host);
                }
            }
        }

        [Fact]
        public async Task A_client_certificate_from_CertificatePath_is_presented()
        {
            var (pki, broker) = await StartAsync(true);
            using (broker)
            {
                var session = new MqttShellSession(new MqttClientAdapterFactory());
                var host = new RecordingHost();
                try
                {
                    var c = session.Connect(new MqttConnectionSettings
                    {
                        Broker = "mqtts://localhost:" + broker.Port, CaFile = pki.CaCert,
                        CertificatePath = pki.ClientPfx, CertificatePassword = TestCertificates.PfxPassword,
                    }, host);
                    Assert.True(c.IsConnected);
                    Assert.Throws<MqttShellException>(() => session.Connect(new MqttConnectionSettings { Broker = "mqtts://localhost:" + broker.Port, CaFile = pki.CaCert }, host));
                }
                finally
                {
                    session.CloseAll(host);
                }
            }
        }

        [Fact]
        public async Task Start_MqttBroker_with_a_certificate_listens_for_TLS_on_TlsPort()
        {
            var pki = await TestCertificates.GetAsync();
            var session = new MqttShellSession(new MqttClientAdapterFactory());
            var host = new RecordingHost();
            try
            {
                var tlsPort = FreePort.Next();
                var broker = session.StartBroker(new MqttBrokerSettings
                {
                    Port = 0, Name = "tls", CertificatePath = pki.ServerCert, CertificateKeyPath = pki.ServerKey, TlsPort = tlsPort,
                }, host);
                var secure = session.Connect(new MqttConnectionSettings { Broker = "mqtts://localhost:" + tlsPort, CaFile = pki.CaCert }, host);
                Assert.True(secure.IsConnected);
                var plain = session.Connect(new MqttConnectionSettings { Broker = broker.Uri }, host);
                Assert.True(plain.IsConnected);
            }
            finally
            {
                session.CloseAll(host);
            }
        }
    }
}
