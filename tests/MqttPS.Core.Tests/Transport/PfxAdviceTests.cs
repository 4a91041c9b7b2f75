using System;
using System.Threading.Tasks;
using MqttPS.Core.Tests.Infrastructure;
using MqttPS.Core.Transport;
using Xunit;

namespace MqttPS.Core.Tests.Transport
{
    /// <summary>
    /// PFX files and Windows PowerShell 5.1: OpenSSL 3 encrypts PFX files with AES/PBKDF2 (PBES2) by default, which
    /// .NET Framework on older Windows and Mono cannot decrypt. The advice the engine gives says how to export a file
    /// every runtime reads (-legacy), and a PFX that fails to open says which encryption it has.
    /// </summary>
    public class PfxAdviceTests
    {
        [Fact]
        public async Task The_encryption_of_a_pfx_file_is_recognised()
        {
            var pki = await TestCertificates.GetAsync();
            Assert.True(PemCertificates.UsesPbes2(pki.ClientPfx));
            Assert.False(PemCertificates.UsesPbes2(pki.ClientLegacyPfx));
            Assert.False(PemCertificates.UsesPbes2(pki.ClientCert));
        }

        [Fact]
        public async Task A_pfx_that_does_not_open_names_its_encryption_and_the_export_every_runtime_reads()
        {
            var pki = await TestCertificates.GetAsync();
            var modern = Assert.Throws<ArgumentException>(() => PemCertificates.LoadWithPrivateKey("client", null, pki.ClientPfx, null, "wrong"));
            Assert.Contains("wrong password", modern.Message);
            Assert.Contains("PBES2", modern.Message);
            Assert.Contains("openssl pkcs12 -export -legacy -in client.crt -inkey client.key -out client.pfx", modern.Message);
            Assert.Contains("PEM files with PowerShell 7", modern.Message);

            var legacy = Assert.Throws<ArgumentException>(() => PemCertificates.LoadWithPrivateKey("client", null, pki.ClientLegacyPfx, null, "wrong"));
            Assert.Contains("wrong password", legacy.Message);
            Assert.DoesNotContain("PBES2", legacy.Message);
        }

        [Fact]
        public async Task A_pfx_exported_with_legacy_encryption_carries_its_private_key()
        {
            var pki = await TestCertificates.GetAsync();
            using (var certificate = PemCertificates.LoadWithPrivateKey("client", null, pki.ClientLegacyPfx, null, TestCertificates.PfxPassword))
            {
                Assert.True(certificate.HasPrivateKey);
                Assert.Equal("CN=mqttps-test-client", certificate.Subject);
            }
        }
    }
}
