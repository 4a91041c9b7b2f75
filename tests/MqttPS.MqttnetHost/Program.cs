using System;
using System.Net;
using System.Runtime.InteropServices;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Tasks;

namespace MqttPS.MqttnetHost
{
    /// <summary>
    /// dotnet tests/MqttPS.MqttnetHost/bin/Release/net10.0/MqttPS.MqttnetHost.dll --port N [--bind ADDRESS]
    ///     [--persistent-sessions] [--max-pending N] [--tls-port N --cert PFX [--cert-password P]] [--ws-port N [--wss]]
    ///     [--stdin-close]
    /// Prints the bound port as the first line of standard output (as tests/MqttPS.BrokerHost does), then one line per
    /// further endpoint ("tls N", "ws N" or "wss N"), a summary on standard error, and runs until SIGINT/SIGTERM or,
    /// with --stdin-close, until stdin closes. Port 0 picks a free port.
    /// </summary>
    public static class Program
    {
        private const string Usage = "usage: MqttPS.MqttnetHost --port N [--bind ADDRESS] [--persistent-sessions] [--max-pending N] " +
                                     "[--tls-port N --cert PFX [--cert-password P]] [--ws-port N [--wss]] [--stdin-close]";

        public static async Task<int> Main(string[] args)
        {
            var settings = new MqttnetServerSettings { Port = 1883 };
            string certificate = null, certificatePassword = null;
            var stopOnStdinClose = false;
            try
            {
                for (var i = 0; i < args.Length; i++)
                {
                    string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException(args[i] + " needs a value");
                    switch (args[i])
                    {
                        case "--port": settings.Port = int.Parse(Next()); break;
                        case "--bind": settings.BindAddress = IPAddress.Parse(Next()); break;
                        case "--persistent-sessions": settings.PersistentSessions = true; break;
                        case "--max-pending": settings.MaxPendingMessagesPerClient = int.Parse(Next()); break;
                        case "--tls-port": settings.TlsPort = PortOrFree(int.Parse(Next())); break;
                        case "--cert": certificate = Next(); break;
                        case "--cert-password": certificatePassword = Next(); break;
                        case "--ws-port": settings.WebSocketPort = PortOrFree(int.Parse(Next())); break;
                        case "--wss": settings.WebSocketTls = true; break;
                        case "--stdin-close": stopOnStdinClose = true; break;
                        case "--help":
                        case "-h":
                            Console.WriteLine(Usage);
                            return 0;
                        default:
                            Console.Error.WriteLine("unknown argument: " + args[i] + "\n" + Usage);
                            return 2;
                    }
                }
                if ((settings.TlsPort != 0 || settings.WebSocketTls) && certificate == null) throw new ArgumentException("--tls-port and --wss need --cert (a PFX file)");
                if (certificate != null) settings.TlsCertificate = X509CertificateLoader.LoadPkcs12FromFile(certificate, certificatePassword);
            }
            catch (Exception e) when (e is ArgumentException || e is FormatException || e is OverflowException || e is System.Security.Cryptography.CryptographicException)
            {
                Console.Error.WriteLine(e.Message + "\n" + Usage);
                return 2;
            }

            MqttnetServerHost host;
            try { host = await MqttnetServerHost.StartAsync(settings).ConfigureAwait(false); }
            catch (Exception e)
            {
                Console.Error.WriteLine("cannot start the MQTTnet server on " + settings.BindAddress + ":" + settings.Port + ": " + e.Message);
                return 1;
            }
            var s = host.Settings;
            Console.WriteLine(s.Port);
            if (s.TlsPort != 0) Console.WriteLine("tls " + s.TlsPort);
            if (s.WebSocketPort != 0) Console.WriteLine((s.WebSocketTls ? "wss " : "ws ") + s.WebSocketPort);
            Console.Out.Flush();
            Console.Error.WriteLine("MQTTnet " + typeof(MQTTnet.Server.MqttServer).Assembly.GetName().Version + " server listening on " + s.BindAddress + ":" + s.Port +
                (s.TlsPort != 0 ? ", TLS " + s.TlsPort : "") + (s.WebSocketPort != 0 ? (s.WebSocketTls ? ", wss " : ", ws ") + s.WebSocketPort + s.WebSocketPath : "") +
                (s.PersistentSessions ? ", persistent sessions" : "") + " (pid " + Environment.ProcessId + ")");

            var stop = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.TrySetResult(true); };
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; stop.TrySetResult(true); });
            if (stopOnStdinClose)
            {
                _ = Task.Run(() =>
                {
                    while (Console.In.ReadLine() != null) { }
                    stop.TrySetResult(true);
                });
            }
            await stop.Task.ConfigureAwait(false);
            var stopping = host.StopAsync();
            if (await Task.WhenAny(stopping, Task.Delay(TimeSpan.FromSeconds(5))).ConfigureAwait(false) != stopping)
                Console.Error.WriteLine("the MQTTnet server did not stop within 5 s");
            return 0;
        }

        /// <summary>For the optional endpoints 0 means "none", so a free port is asked for with 0 on the command line too.</summary>
        private static int PortOrFree(int port) => port == 0 ? -1 : port;
    }
}
