using System;
using MqttPS.Core.Tests.Infrastructure;

namespace MqttPS.Core.Tests.BrokerProduction
{
    /// <summary>
    /// The shared test PKI (<see cref="TestCertificates"/>) as an xunit class fixture, under the names the module's
    /// broker TLS tests use (tests/MqttPS.Module.Tests links this file): a CA, a server certificate for
    /// 127.0.0.1/localhost (PEM and PFX), the client certificate "CN=alice" and a client certificate from a second,
    /// untrusted CA. New tests use <see cref="TestCertificates"/> directly.
    /// </summary>
    public sealed class ProductionTestPki : IDisposable
    {
        public const string PfxPassword = TestCertificates.PfxPassword;
        private readonly TestCertificates _shared;

        // xunit builds class fixtures through a synchronous constructor; the PKI is generated once per run.
        public ProductionTestPki() { _shared = TestCertificates.GetAsync().GetAwaiter().GetResult(); }

        public string Directory => _shared.Directory;
        public string CaCertificate => _shared.CaCert;
        public string ServerCertificate => _shared.ServerCert;
        public string ServerKey => _shared.ServerKey;
        public string ServerPfx => _shared.ServerPfx;
        public string ClientCertificate => _shared.AliceCert;
        public string ClientKey => _shared.AliceKey;
        public string ClientPfx => _shared.AlicePfx;
        public string UntrustedClientPfx => _shared.UntrustedClientPfx;
        public string UntrustedClientCertificate => _shared.UntrustedClientCert;
        public string UntrustedClientKey => _shared.UntrustedClientKey;

        /// <summary>Nothing to delete: the files are shared by every TLS test of the run.</summary>
        public void Dispose() { }
    }
}
