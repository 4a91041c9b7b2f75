using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace MqttPS.Core.Tests.Infrastructure
{
    /// <summary>
    /// A throw-away PKI made with openssl for the TLS tests (client, broker listeners, module): a CA, a server
    /// certificate for localhost/127.0.0.1 and the client certificates "CN=mqttps-test-client" and
    /// "CN=alice, O=MqttPS Lab" (PEM and PFX with password "secret"), all signed by the CA; plus a second, untrusted CA
    /// and a client certificate "CN=mallory" signed by it. Generated once per test run into a temporary directory
    /// that mosquitto can read after it drops root.
    /// </summary>
    public sealed class TestCertificates
    {
        public const string PfxPassword = "secret";
        private static readonly SemaphoreSlim Gate = new SemaphoreSlim(1, 1);
        private static TestCertificates _instance;

        public string Directory { get; private set; }
        public string CaCert => Path.Combine(Directory, "ca.crt");
        public string OtherCaCert => Path.Combine(Directory, "other-ca.crt");
        public string ServerCert => Path.Combine(Directory, "server.crt");
        public string ServerKey => Path.Combine(Directory, "server.key");
        public string ServerPfx => Path.Combine(Directory, "server.pfx");
        public string ClientCert => Path.Combine(Directory, "client.crt");
        public string ClientKey => Path.Combine(Directory, "client.key");
        /// <summary>Encrypted as OpenSSL 3 does by default: AES-256-CBC with PBKDF2 (PBES2).</summary>
        public string ClientPfx => Path.Combine(Directory, "client.pfx");
        /// <summary>The same certificate and key with OpenSSL's -legacy encryption (3DES, RC2), which .NET Framework on
        /// older Windows and Mono can read.</summary>
        public string ClientLegacyPfx => Path.Combine(Directory, "client-legacy.pfx");
        /// <summary>Certificate and key in one PEM file.</summary>
        public string ClientCombinedPem => Path.Combine(Directory, "client-combined.pem");
        /// <summary>The client key encrypted with the PFX password (PKCS#8, AES-256).</summary>
        public string ClientEncryptedKey => Path.Combine(Directory, "client-encrypted.key");
        /// <summary>Client certificate "CN=alice, O=MqttPS Lab" (for identity-as-username tests).</summary>
        public string AliceCert => Path.Combine(Directory, "alice.crt");
        public string AliceKey => Path.Combine(Directory, "alice.key");
        public string AlicePfx => Path.Combine(Directory, "alice.pfx");
        /// <summary>Client certificate "CN=mallory" signed by the untrusted CA (<see cref="OtherCaCert"/>).</summary>
        public string UntrustedClientCert => Path.Combine(Directory, "mallory.crt");
        public string UntrustedClientKey => Path.Combine(Directory, "mallory.key");
        public string UntrustedClientPfx => Path.Combine(Directory, "mallory.pfx");

        public static async Task<TestCertificates> GetAsync()
        {
            await Gate.WaitAsync().ConfigureAwait(false);
            try
            {
                if (_instance != null) return _instance;
                var certificates = new TestCertificates { Directory = System.IO.Directory.CreateTempSubdirectory("mqttps-pki-").FullName };
                // mosquitto (started as root) drops to its own user and must read the files.
                File.SetUnixFileMode(certificates.Directory, (UnixFileMode)0x1ED);
                await certificates.GenerateAsync().ConfigureAwait(false);
                foreach (var f in System.IO.Directory.GetFiles(certificates.Directory)) File.SetUnixFileMode(f, (UnixFileMode)0x1A4);
                _instance = certificates;
                return certificates;
            }
            finally { Gate.Release(); }
        }

        private async Task GenerateAsync()
        {
            await OpenSsl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", Path.Combine(Directory, "ca.key"), "-out", CaCert, "-days", "2", "-subj", "/CN=MqttPS Test CA",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign").ConfigureAwait(false);
            await OpenSsl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", Path.Combine(Directory, "other-ca.key"), "-out", OtherCaCert, "-days", "2", "-subj", "/CN=Untrusted CA",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign").ConfigureAwait(false);
            const string clientExtensions = "extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n";
            await IssueAsync("server", "/CN=localhost", "ca", "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n").ConfigureAwait(false);
            await IssueAsync("client", "/CN=mqttps-test-client", "ca", clientExtensions).ConfigureAwait(false);
            await IssueAsync("alice", "/CN=alice/O=MqttPS Lab", "ca", clientExtensions).ConfigureAwait(false);
            await IssueAsync("mallory", "/CN=mallory", "other-ca", clientExtensions).ConfigureAwait(false);
            foreach (var name in new[] { "server", "client", "alice", "mallory" })
                await OpenSsl("pkcs12", "-export", "-in", Path.Combine(Directory, name + ".crt"), "-inkey", Path.Combine(Directory, name + ".key"),
                    "-out", Path.Combine(Directory, name + ".pfx"), "-passout", "pass:" + PfxPassword).ConfigureAwait(false);
            await OpenSsl("pkcs12", "-export", "-legacy", "-in", ClientCert, "-inkey", ClientKey, "-out", ClientLegacyPfx, "-passout", "pass:" + PfxPassword).ConfigureAwait(false);
            await OpenSsl("pkcs8", "-topk8", "-in", ClientKey, "-out", ClientEncryptedKey, "-v2", "aes-256-cbc", "-passout", "pass:" + PfxPassword).ConfigureAwait(false);
            File.WriteAllText(ClientCombinedPem, File.ReadAllText(ClientCert) + File.ReadAllText(ClientKey));
        }

        private async Task IssueAsync(string name, string subject, string ca, string extensions)
        {
            var key = Path.Combine(Directory, name + ".key");
            var csr = Path.Combine(Directory, name + ".csr");
            var ext = Path.Combine(Directory, name + ".ext");
            File.WriteAllText(ext, extensions);
            await OpenSsl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr, "-subj", subject).ConfigureAwait(false);
            await OpenSsl("x509", "-req", "-in", csr, "-CA", Path.Combine(Directory, ca + ".crt"), "-CAkey", Path.Combine(Directory, ca + ".key"), "-CAcreateserial", "-out", Path.Combine(Directory, name + ".crt"), "-days", "2", "-extfile", ext).ConfigureAwait(false);
        }

        private static async Task OpenSsl(params string[] arguments)
        {
            using (var p = await ExternalProcess.RunAsync("openssl", arguments, TimeSpan.FromSeconds(30)).ConfigureAwait(false))
            {
                if (p.ExitCode != 0) throw new InvalidOperationException("openssl " + string.Join(" ", arguments) + " failed: " + p.StandardError);
            }
        }
    }
}
