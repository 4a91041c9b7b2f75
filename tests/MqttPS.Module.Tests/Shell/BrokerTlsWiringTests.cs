using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography.X509Certificates;
using MqttPS.Core.Broker;
using MqttPS.Core.Messages;
using MqttPS.Core.Protocol;
using MqttPS.Core.Shell;
using MqttPS.Core.Tests.Infrastructure;
using MqttPS.Module.Tests.Fakes;
using Xunit;

namespace MqttPS.Module.Tests.Shell
{
    /// <summary>Start-MqttBroker's TLS and WebSocket listeners through the Shell layer, reached by our client with a test CA.</summary>
    public sealed class BrokerTlsWiringTests : IDisposable
    {
        private readonly TestCertificates _pki;
        private readonly RecordingHost _host = new RecordingHost();
        private readonly MqttShellSession _session = new MqttShellSession(new MqttClientAdapterFactory());

        // The PKI is generated once per test run (openssl) and shared by every TLS test; xunit constructors are synchronous.
        public BrokerTlsWiringTests()
        {
            _pki = TestCertificates.GetAsync().GetAwaiter().GetResult();
        }

        public void Dispose() => _session.CloseAll(_host);

        private MqttConnection Connect(string uri, string clientId, string caFile = null, string clientPfx = null) =>
            _session.Connect(new MqttConnectionSettings
            {
                Broker = uri, ClientId = clientId, CaFile = caFile, ConnectTimeout = TimeSpan.FromSeconds(10),
                CertificatePath = clientPfx, CertificatePassword = clientPfx == null ? null : TestCertificates.PfxPassword,
            }, _host);

        // A client counts as connected once its session is attached, a moment after its CONNACK: poll briefly.
        private static IEnumerable<string> ClientIds(MqttEmbeddedBroker broker, string pattern, int expected)
        {
            var deadline = DateTime.UtcNow.AddSeconds(5);
            while (broker.GetClients(pattern).Count < expected && DateTime.UtcNow < deadline) System.Threading.Thread.Sleep(20);
            return broker.GetClients(pattern).Select(c => c.ClientId);
        }

        [Fact]
        public void A_pfx_certificate_gives_tls_ws_and_wss_listeners_listed_as_endpoints_and_reachable_with_the_test_CA()
        {
            var broker = _session.StartBroker(new MqttBrokerSettings
            {
                Port = 0, Name = "tls", CertificatePath = _pki.ServerPfx, CertificatePassword = TestCertificates.PfxPassword,
                TlsPort = 0, WebSocketPort = 0, SecureWebSocketPort = 0,
            }, _host);

            Assert.Equal(new[] { MqttListenerKind.Tcp, MqttListenerKind.Tls, MqttListenerKind.WebSocket, MqttListenerKind.SecureWebSocket }, broker.Endpoints.Select(e => e.Kind));
            Assert.Equal(4, broker.Endpoints.Select(e => e.Port).Distinct().Count());
            Assert.All(broker.Endpoints, e => Assert.NotEqual(0, e.Port));
            Assert.StartsWith("mqtts://127.0.0.1:", broker.TlsUri);
            Assert.Matches(@"^ws://127\.0\.0\.1:\d+/mqtt$", broker.WebSocketUri);
            Assert.Matches(@"^wss://127\.0\.0\.1:\d+/mqtt$", broker.SecureWebSocketUri);
            Assert.Equal(broker.Uri, broker.Endpoints[0].Uri);
            foreach (var e in broker.Endpoints) Assert.Contains(e.Uri, broker.ToString());

            var overTls = Connect(broker.TlsUri, "over-tls", _pki.CaCert);
            var overWs = Connect(broker.WebSocketUri, "over-ws");
            var overWss = Connect(broker.SecureWebSocketUri, "over-wss", _pki.CaCert);
            Assert.True(overTls.IsConnected && overWs.IsConnected && overWss.IsConnected);
            Assert.Equal(new[] { "over-tls", "over-ws", "over-wss" }, ClientIds(broker, "over-*", 3));

            // One broker behind all listeners: a message published over TLS reaches a subscriber on secure WebSocket.
            var s = _session.Subscribe(overWss, new SubscriptionRequest { TopicFilters = new[] { "cross/#" }, QoS = MqttQualityOfService.AtLeastOnce },
                SubscriptionMode.Stream, PayloadFormat.Auto, null, _host, null);
            var done = new List<PublishCompletion>();
            var window = new PublishWindow(overTls.PublishAsync, 5, TimeSpan.FromSeconds(10));
            window.Submit(new MqttMessage("cross/1", "hello", MqttQualityOfService.AtLeastOnce), "cross/1", _host, null, done);
            window.Flush(_host, null, done);
            Assert.True(done.Single().Succeeded, done.Single().Error?.Message);
            var got = new List<string>();
            MessageStreamReader.Read(s, _host, null, 1, TimeSpan.FromSeconds(10), m => got.Add(m.Topic + "=" + m.PayloadText));
            Assert.Equal(new[] { "cross/1=hello" }, got);

            // Without the test CA the broker's certificate is not trusted.
            var untrusted = Assert.Throws<MqttShellException>(() => Connect(broker.TlsUri, "no-ca"));
            Assert.Equal("ConnectFailed", untrusted.ErrorId);

            _session.StopBroker(broker, _host);
            Assert.Empty(broker.Endpoints);
            Assert.Null(broker.TlsUri);
        }

        [Fact]
        public void Pem_certificate_with_required_client_certificates_admits_only_clients_of_the_CA()
        {
            var broker = _session.StartBroker(new MqttBrokerSettings
            {
                Port = 0, Name = "mutual", CertificatePath = _pki.ServerCert, CertificateKeyPath = _pki.ServerKey, TlsPort = 0,
                RequireClientCertificate = true, ClientCaPath = _pki.CaCert,
            }, _host);

            var alice = Connect(broker.TlsUri, "alice-1", _pki.CaCert, _pki.AlicePfx);
            Assert.True(alice.IsConnected);
            var anonymous = Assert.Throws<MqttShellException>(() => Connect(broker.TlsUri, "no-cert", _pki.CaCert));
            Assert.Equal("ConnectFailed", anonymous.ErrorId);
            var mallory = Assert.Throws<MqttShellException>(() => Connect(broker.TlsUri, "mallory", _pki.CaCert, _pki.UntrustedClientPfx));
            Assert.Equal("ConnectFailed", mallory.ErrorId);
            Assert.Equal(new[] { "alice-1" }, ClientIds(broker, "*", 1));
        }

        [Fact]
        public void The_certificate_identity_becomes_the_user_name_the_acl_sees()
        {
            var acl = Path.Combine(_pki.Directory, "identity-acl-" + Guid.NewGuid().ToString("N"));
            File.WriteAllLines(acl, new[] { "user alice", "topic readwrite alice/#" });
            var broker = _session.StartBroker(new MqttBrokerSettings
            {
                Port = 0, Name = "identity", CertificatePath = _pki.ServerPfx, CertificatePassword = TestCertificates.PfxPassword, TlsPort = 0,
                RequireClientCertificate = true, ClientCaPath = _pki.CaCert, UseCertificateIdentityAsUsername = true,
                AllowAnonymous = false, AclPath = acl,
            }, _host);

            var alice = Connect(broker.TlsUri, "cert-alice", _pki.CaCert, _pki.AlicePfx);   // no user name, no password
            var deadline = DateTime.UtcNow.AddSeconds(5);
            while (broker.GetClients("cert-alice").Count == 0 && DateTime.UtcNow < deadline) System.Threading.Thread.Sleep(20);
            Assert.Equal("alice", broker.GetClients("cert-alice").Single().Username);
            var done = new List<PublishCompletion>();
            var window = new PublishWindow(alice.PublishAsync, 5, TimeSpan.FromSeconds(10));
            foreach (var topic in new[] { "alice/ok", "bob/no" }) window.Submit(new MqttMessage(topic, "x", MqttQualityOfService.AtLeastOnce), topic, _host, null, done);
            window.Flush(_host, null, done);
            Assert.True(done[0].Succeeded, done[0].Error?.Message);
            Assert.Equal("PublishRejected", done[1].Error.ErrorId);
            // On the plain listener nobody is anonymous (refused at CONNECT: an authentication error, as a wrong password
            // is), and claiming the certificate's name does not make one alice.
            Assert.Equal(ShellErrorCategory.AuthenticationError,
                Assert.Throws<MqttShellException>(() => _session.Connect(new MqttConnectionSettings { Broker = broker.Uri, ClientId = "plain" }, _host)).Category);
            Assert.Equal(ShellErrorCategory.AuthenticationError, Assert.Throws<MqttShellException>(() =>
                _session.Connect(new MqttConnectionSettings { Broker = broker.Uri, ClientId = "impostor", Username = "alice", Password = "guess" }, _host)).Category);

            var e = Assert.Throws<MqttShellException>(() => _session.StartBroker(new MqttBrokerSettings
            {
                Port = 0, Name = "identity2", CertificatePath = _pki.ServerPfx, CertificatePassword = TestCertificates.PfxPassword, TlsPort = 0,
                UseCertificateIdentityAsUsername = true,
            }, _host));
            Assert.Equal("ClientCertificateRequired", e.ErrorId);
        }

        [Fact]
        public void A_certificate_object_serves_tls()
        {
            var certificate = X509CertificateLoader.LoadPkcs12FromFile(_pki.ServerPfx, TestCertificates.PfxPassword);
            var broker = _session.StartBroker(new MqttBrokerSettings { Port = 0, Name = "object", Certificate = certificate, TlsPort = 0 }, _host);
            Assert.True(Connect(broker.TlsUri, "by-object", _pki.CaCert).IsConnected);
        }

        [Fact]
        public void Bad_certificate_settings_are_errors_naming_the_problem_and_start_nothing()
        {
            var garbage = Path.Combine(_pki.Directory, "garbage-" + Guid.NewGuid().ToString("N") + ".pfx");
            File.WriteAllText(garbage, "this is not a certificate");
            MqttShellException Refused(MqttBrokerSettings settings)
            {
                settings.Port = 0;
                settings.Name = "refused";
                var e = Assert.Throws<MqttShellException>(() => _session.StartBroker(settings, _host));
                Assert.Empty(_session.Brokers.Find("refused"));
                return e;
            }

            var e1 = Refused(new MqttBrokerSettings { CertificatePath = _pki.ServerPfx, CertificatePassword = "wrong", TlsPort = 0 });
            Assert.Equal("InvalidCertificate", e1.ErrorId);
            Assert.Contains(_pki.ServerPfx, e1.Message);
            Assert.Equal("InvalidCertificate", Refused(new MqttBrokerSettings { CertificatePath = garbage, TlsPort = 0 }).ErrorId);
            Assert.Equal("CertificateNotFound", Refused(new MqttBrokerSettings { CertificatePath = garbage + ".missing", TlsPort = 0 }).ErrorId);
            var noKey = Refused(new MqttBrokerSettings { CertificatePath = _pki.ServerCert, CertificateKeyPath = _pki.ServerKey + ".missing", TlsPort = 0 });
            Assert.Equal("CertificateNotFound", noKey.ErrorId);
            Assert.Contains(".missing", noKey.Message);
            var ca = Refused(new MqttBrokerSettings { CertificatePath = _pki.ServerPfx, CertificatePassword = TestCertificates.PfxPassword, TlsPort = 0, ClientCaPath = garbage + ".missing" });
            Assert.Equal("ClientCaNotFound", ca.ErrorId);
            var badCa = Refused(new MqttBrokerSettings { CertificatePath = _pki.ServerPfx, CertificatePassword = TestCertificates.PfxPassword, TlsPort = 0, ClientCaPath = garbage });
            Assert.Equal("InvalidClientCa", badCa.ErrorId);

            var noCertificate = Refused(new MqttBrokerSettings { TlsPort = 8883 });
            Assert.Equal("CertificateRequired", noCertificate.ErrorId);
            Assert.Contains("-TlsPort", noCertificate.Message);
            Assert.Equal("CertificateRequired", Refused(new MqttBrokerSettings { SecureWebSocketPort = 0 }).ErrorId);
            Assert.Equal("CertificateRequired", Refused(new MqttBrokerSettings { RequireClientCertificate = true }).ErrorId);
            Assert.Equal("CertificateConflict", Refused(new MqttBrokerSettings
            {
                CertificatePath = _pki.ServerPfx, Certificate = X509CertificateLoader.LoadPkcs12FromFile(_pki.ServerPfx, TestCertificates.PfxPassword),
            }).ErrorId);
        }
    }
}
