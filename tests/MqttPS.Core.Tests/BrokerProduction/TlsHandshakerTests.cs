using System;
using System.IO;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using MqttPS.Core.Broker;
using MqttPS.Core.Broker.Listeners;
using MqttPS.Core.Tests.Infrastructure;
using Xunit;

namespace MqttPS.Core.Tests.BrokerProduction
{
    public sealed class TlsHandshakerTests : IAsyncLifetime
    {
        private TestCertificates _certs;

        public async Task InitializeAsync() => _certs = await TestCertificates.GetAsync();
        public Task DisposeAsync() => Task.CompletedTask;

        /// <summary>One TLS exchange over a loopback socket pair: returns the server's result (or exception) and the client's.</summary>
        private async Task<(MqttSecureConnection server, Exception serverError, Exception clientError)> Handshake(MqttListenerOptions options, X509Certificate2 clientCertificate)
        {
            var handshaker = new MqttTlsHandshaker(options);
            var ca = new X509Certificate2(_certs.CaCert);
            using (var listener = new TcpListener(IPAddress.Loopback, 0))
            {
                listener.Start();
                var port = ((IPEndPoint)listener.LocalEndpoint).Port;
                var client = new TcpClient();
                var connect = client.ConnectAsync(IPAddress.Loopback, port);
                var accepted = await listener.AcceptTcpClientAsync();
                await connect;
                var serverTask = handshaker.AuthenticateAsync(accepted.GetStream(), CancellationToken.None);
                Exception clientError = null;
                var ssl = new SslStream(client.GetStream(), false, (s, cert, chain, errors) =>
                {
                    // Trust exactly the test CA.
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.Add(ca);
                    return chain.Build(new X509Certificate2(cert));
                });
                try
                {
                    var certificates = clientCertificate == null ? null : new X509CertificateCollection { clientCertificate };
                    await ssl.AuthenticateAsClientAsync("localhost", certificates, SslProtocols.None, false);
                    var ping = Encoding.ASCII.GetBytes("ping");
                    await ssl.WriteAsync(ping, 0, 4);
                }
                catch (Exception e) { clientError = e; }
                MqttSecureConnection server = null;
                Exception serverError = null;
                try
                {
                    server = await serverTask;
                    var buffer = new byte[4];
                    var n = await server.Stream.ReadAsync(buffer, 0, 4);
                    Assert.Equal("ping", Encoding.ASCII.GetString(buffer, 0, n));
                }
                catch (Exception e) { serverError = e; }
                ssl.Dispose();
                client.Dispose();
                return (server, serverError, clientError);
            }
        }

        [Fact]
        public async Task Serves_a_PEM_certificate_to_a_client_trusting_the_CA()
        {
            var r = await Handshake(new MqttListenerOptions { CertificatePath = _certs.ServerCert, CertificateKeyPath = _certs.ServerKey }, null);
            Assert.Null(r.clientError);
            Assert.Null(r.serverError);
            Assert.Null(r.server.ClientCertificate);
            Assert.Null(r.server.ClientIdentity);
        }

        [Fact]
        public async Task Serves_a_PFX_certificate()
        {
            var r = await Handshake(new MqttListenerOptions { CertificatePath = _certs.ServerPfx, CertificatePassword = TestCertificates.PfxPassword }, null);
            Assert.Null(r.serverError);
            Assert.Null(r.clientError);
        }

        [Fact]
        public async Task A_client_certificate_from_the_CA_is_accepted_and_its_CN_becomes_the_identity()
        {
            var options = new MqttListenerOptions { CertificatePath = _certs.ServerPfx, CertificatePassword = TestCertificates.PfxPassword, RequireClientCertificate = true, ClientCaFile = _certs.CaCert, UseIdentityAsUsername = true };
            var r = await Handshake(options, new X509Certificate2(_certs.AlicePfx, TestCertificates.PfxPassword));
            Assert.Null(r.serverError);
            Assert.Equal("alice", r.server.ClientIdentity);
            Assert.Contains("CN=alice", r.server.ClientCertificate.Subject);

            options.UseIdentityAsUsername = false;
            options.UseSubjectAsUsername = true;
            r = await Handshake(options, new X509Certificate2(_certs.AlicePfx, TestCertificates.PfxPassword));
            Assert.Contains("CN=alice", r.server.ClientIdentity);
            Assert.Contains("O=MqttPS Lab", r.server.ClientIdentity);
        }

        [Fact]
        public async Task A_client_certificate_from_another_CA_is_refused_with_the_reason()
        {
            var options = new MqttListenerOptions { CertificatePath = _certs.ServerPfx, CertificatePassword = TestCertificates.PfxPassword, RequireClientCertificate = true, ClientCaFile = _certs.CaCert };
            var r = await Handshake(options, new X509Certificate2(_certs.UntrustedClientPfx, TestCertificates.PfxPassword));
            var e = Assert.IsType<AuthenticationException>(r.serverError);
            Assert.Contains("not issued by a CA of the listener's CA file", e.Message);
            Assert.Contains("Untrusted CA", e.Message);
        }

        [Fact]
        public async Task A_missing_client_certificate_is_refused_when_required()
        {
            var options = new MqttListenerOptions { CertificatePath = _certs.ServerPfx, CertificatePassword = TestCertificates.PfxPassword, RequireClientCertificate = true, ClientCaFile = _certs.CaCert };
            var r = await Handshake(options, null);
            var e = Assert.IsType<AuthenticationException>(r.serverError);
            Assert.Contains("presented no certificate", e.Message);
        }

        [Fact]
        public async Task A_client_that_never_starts_the_handshake_times_out()
        {
            var handshaker = new MqttTlsHandshaker(new MqttListenerOptions { CertificatePath = _certs.ServerPfx, CertificatePassword = TestCertificates.PfxPassword, HandshakeTimeout = TimeSpan.FromMilliseconds(300) });
            using (var listener = new TcpListener(IPAddress.Loopback, 0))
            {
                listener.Start();
                using (var client = new TcpClient())
                {
                    await client.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
                    using (var accepted = await listener.AcceptTcpClientAsync())
                    {
                        var e = await Assert.ThrowsAsync<TimeoutException>(() => handshaker.AuthenticateAsync(accepted.GetStream(), CancellationToken.None));
                        Assert.Contains("did not complete within", e.Message);
                    }
                }
            }
        }

        [Fact]
        public void Missing_or_keyless_certificates_are_reported_clearly()
        {
            Assert.Throws<FileNotFoundException>(() => new MqttTlsHandshaker(new MqttListenerOptions { CertificatePath = "/nonexistent.pem" }));
            var e = Assert.Throws<ArgumentException>(() => new MqttTlsHandshaker(new MqttListenerOptions { Certificate = new X509Certificate2(_certs.CaCert) }));
            Assert.Contains("no private key", e.Message);
            Assert.Throws<ArgumentException>(() => new MqttTlsHandshaker(new MqttListenerOptions()));
        }
    }
}
