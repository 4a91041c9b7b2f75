using System;
using System.IO;
using System.Threading.Tasks;
using MqttPS.Core.Tests.Infrastructure;

namespace MqttPS.Core.Tests.BrokerProduction
{
    /// <summary>
    /// A throw-away PKI made with openssl for one test class: a CA, a server certificate for 127.0.0.1/localhost
    /// signed by it (PEM and PFX), a client certificate "CN=alice" signed by it, and a client certificate from a
    /// second, untrusted CA. Use as an xunit class fixture.
    /// </summary>
    public sealed class ProductionTestPki : IDisposable
    {
        public const string PfxPassword = "pfx-secret";

        public ProductionTestPki()
        {
            Directory = System.IO.Directory.CreateTempSubdirectory("mqttps-certs-").FullName;
            // mosquitto (started as root) drops to its own user and must read the files.
            File.SetUnixFileMode(Directory, (UnixFileMode)0x1ED);
            Generate().GetAwaiter().GetResult();
            foreach (var f in System.IO.Directory.GetFiles(Directory)) File.SetUnixFileMode(f, (UnixFileMode)0x1A4);
        }

        public string Directory { get; }
        public string CaCertificate => P("ca.crt");
        public string ServerCertificate => P("server.crt");
        public string ServerKey => P("server.key");
        public string ServerPfx => P("server.pfx");
        public string ClientCertificate => P("alice.crt");
        public string ClientKey => P("alice.key");
        public string ClientPfx => P("alice.pfx");
        public string UntrustedClientPfx => P("mallory.pfx");
        public string UntrustedClientCertificate => P("mallory.crt");
        public string UntrustedClientKey => P("mallory.key");

        private string P(string name) => Path.Combine(Directory, name);

        private async Task Generate()
        {
            await Openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", P("ca.key"), "-out", P("ca.crt"), "-days", "2", "-subj", "/CN=MqttPS Test CA");
            await Openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", P("evil-ca.key"), "-out", P("evil-ca.crt"), "-days", "2", "-subj", "/CN=Untrusted CA");
            File.WriteAllText(P("server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
            File.WriteAllText(P("client.ext"), "extendedKeyUsage=clientAuth\n");
            await Issue("server", "/CN=localhost", "ca", "server.ext");
            await Issue("alice", "/CN=alice/O=MqttPS Lab", "ca", "client.ext");
            await Issue("mallory", "/CN=mallory", "evil-ca", "client.ext");
            foreach (var name in new[] { "server", "alice", "mallory" })
                await Openssl("pkcs12", "-export", "-in", P(name + ".crt"), "-inkey", P(name + ".key"), "-out", P(name + ".pfx"), "-passout", "pass:" + PfxPassword);
        }

        private async Task Issue(string name, string subject, string ca, string extensions)
        {
            await Openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", P(name + ".key"), "-out", P(name + ".csr"), "-subj", subject);
            await Openssl("x509", "-req", "-in", P(name + ".csr"), "-CA", P(ca + ".crt"), "-CAkey", P(ca + ".key"), "-CAcreateserial", "-out", P(name + ".crt"), "-days", "2", "-extfile", P(extensions));
        }

        private static async Task Openssl(params string[] args)
        {
            using (var p = await ExternalProcess.RunAsync("openssl", args, TimeSpan.FromSeconds(60)))
            {
                if (p.ExitCode != 0) throw new InvalidOperationException("openssl " + string.Join(" ", args) + " failed: " + p.StandardError);
            }
        }

        public void Dispose()
        {
            try { System.IO.Directory.Delete(Directory, true); } catch (IOException) { }
        }
    }
}
