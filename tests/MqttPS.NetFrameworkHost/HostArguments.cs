using System;
using System.Collections.Generic;

namespace MqttPS.NetFrameworkHost
{
    /// <summary>What the test gives the host: the test PKI, the mosquitto ports, the module to load.</summary>
    internal sealed class HostArguments
    {
        public const string Usage = "MqttPS.NetFrameworkHost.exe --pki DIR [--mosquitto-port N] [--mosquitto-tls-port N] [--engine epoll|dotnet] " +
            "[--module MqttPS.dll --sma System.Management.Automation.dll [--cmdlets A,B,...]] [--step-timeout SECONDS]";

        public string PkiDirectory { get; private set; }
        public string CaFile => System.IO.Path.Combine(PkiDirectory, "ca.crt");
        public string ServerLegacyPfx => System.IO.Path.Combine(PkiDirectory, "server-legacy.pfx");
        public string ClientLegacyPfx => System.IO.Path.Combine(PkiDirectory, "client-legacy.pfx");
        public string ClientOpenSsl3Pfx => System.IO.Path.Combine(PkiDirectory, "client.pfx");
        public string PfxPassword { get; private set; } = "secret";
        public int MosquittoPort { get; private set; }
        public int MosquittoTlsPort { get; private set; }
        public string ExpectedEngine { get; private set; }
        public string ModulePath { get; private set; }
        public string SmaPath { get; private set; }
        public IReadOnlyList<string> ExpectedCmdlets { get; private set; }
        public int StepTimeoutSeconds { get; private set; } = 30;

        public static HostArguments Parse(string[] argv)
        {
            var a = new HostArguments();
            for (var i = 0; i < argv.Length; i++)
            {
                var name = argv[i];
                if (i + 1 >= argv.Length) throw new ArgumentException(name + " needs a value");
                var value = argv[++i];
                switch (name)
                {
                    case "--pki": a.PkiDirectory = value; break;
                    case "--pfx-password": a.PfxPassword = value; break;
                    case "--mosquitto-port": a.MosquittoPort = int.Parse(value); break;
                    case "--mosquitto-tls-port": a.MosquittoTlsPort = int.Parse(value); break;
                    case "--engine": a.ExpectedEngine = value; break;
                    case "--module": a.ModulePath = value; break;
                    case "--sma": a.SmaPath = value; break;
                    case "--cmdlets": a.ExpectedCmdlets = value.Split(new[] { ',' }, StringSplitOptions.RemoveEmptyEntries); break;
                    case "--step-timeout": a.StepTimeoutSeconds = int.Parse(value); break;
                    default: throw new ArgumentException("unknown option " + name);
                }
            }
            if (a.PkiDirectory == null) throw new ArgumentException("--pki is required");
            return a;
        }
    }
}
