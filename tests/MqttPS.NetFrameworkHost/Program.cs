using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Reflection;
using System.Threading;
using System.Threading.Tasks;
using MqttPS.Core.Broker;
using MqttPS.Core.Client;
using MqttPS.Core.Messages;
using MqttPS.Core.Protocol;
using MqttPS.Core.Transport;
using MqttPS.Core.Transport.Epoll;

namespace MqttPS.NetFrameworkHost
{
    /// <summary>
    /// The engine matrix on a .NET Framework runtime: the embedded broker, the client at 5.0 and 3.1.1 against it
    /// and against mosquitto, wildcards, QoS 0/1/2 x 1,000 in order, retained messages, IPv6/IPv4, TLS with a CA file
    /// and a PFX client certificate, the module's cmdlet types. One line per step on standard output:
    /// "STEP|name|PASS or FAIL or LIMIT|milliseconds|detail". LIMIT is a known limit of the runtime (the detail says
    /// which, and what users of Windows PowerShell 5.1 do about it), not a failure. The last line, "END|n steps|n
    /// failed", shows the run was not cut short. Exit code: the number of FAILs.
    /// </summary>
    public static class Program
    {
        private static HostArguments _args;

        public static int Main(string[] argv)
        {
            try { _args = HostArguments.Parse(argv); }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine(e.Message);
                Console.Error.WriteLine(HostArguments.Usage);
                return 100;
            }
            var matrix = new StepMatrix(Console.Out, TimeSpan.FromSeconds(_args.StepTimeoutSeconds));
            RunAsync(matrix).GetAwaiter().GetResult();
            Console.WriteLine("END|" + matrix.Steps + " steps|" + matrix.Failures + " failed");
            return matrix.Failures;
        }

        private static async Task RunAsync(StepMatrix matrix)
        {
            await matrix.RunAsync("runtime", () => Task.FromResult(DescribeRuntime()));
            var broker = await matrix.RunAsync("embedded broker starts", StartBrokerAsync,
                b => "listening on " + string.Join(", ", b.Endpoints) + " (plain on IPv6 any, dual mode; TLS with client certificates)");
            if (broker != null)
            {
                try
                {
                    var port = broker.Port;
                    var tlsPort = broker.Endpoints[1].Port;
                    await matrix.RunAsync("embedded: client 5.0 connects", () => ConnectOnlyAsync("127.0.0.1", port, MqttProtocolVersion.V500));
                    await matrix.RunAsync("embedded: client 3.1.1 connects", () => ConnectOnlyAsync("127.0.0.1", port, MqttProtocolVersion.V311));
                    await matrix.RunAsync("embedded: reached at [::1]", () => ConnectOnlyAsync("::1", port, MqttProtocolVersion.V500));
                    await matrix.RunAsync("embedded: reached at 127.0.0.1", () => ConnectOnlyAsync("127.0.0.1", port, MqttProtocolVersion.V500));
                    await matrix.RunAsync("embedded: reached at localhost", () => ConnectOnlyAsync("localhost", port, MqttProtocolVersion.V500));
                    await matrix.RunAsync("embedded: wildcards + and #", () => WildcardsAsync("127.0.0.1", port));
                    foreach (var qos in new[] { MqttQualityOfService.AtMostOnce, MqttQualityOfService.AtLeastOnce, MqttQualityOfService.ExactlyOnce })
                        await matrix.RunAsync("embedded: QoS " + (int)qos + " x 1,000 in order (5.0)", () => InOrderAsync("127.0.0.1", port, qos, MqttProtocolVersion.V500));
                    await matrix.RunAsync("embedded: QoS 2 x 1,000 in order (3.1.1)", () => InOrderAsync("127.0.0.1", port, MqttQualityOfService.ExactlyOnce, MqttProtocolVersion.V311));
                    await matrix.RunAsync("embedded: retained set, list, clear", () => RetainedAsync("127.0.0.1", port, broker));
                    await matrix.RunAsync("embedded: TLS with CA file and PFX client certificate", () => TlsRoundTripAsync(tlsPort, _args.ClientLegacyPfx));
                }
                finally
                {
                    await broker.StopAsync();
                    broker.Dispose();
                }
            }
            if (_args.MosquittoPort > 0)
            {
                var port = _args.MosquittoPort;
                await matrix.RunAsync("mosquitto: client 5.0 connects", () => ConnectOnlyAsync("127.0.0.1", port, MqttProtocolVersion.V500));
                await matrix.RunAsync("mosquitto: client 3.1.1 connects", () => ConnectOnlyAsync("127.0.0.1", port, MqttProtocolVersion.V311));
                await matrix.RunAsync("mosquitto: wildcards + and #", () => WildcardsAsync("127.0.0.1", port));
                foreach (var qos in new[] { MqttQualityOfService.AtMostOnce, MqttQualityOfService.AtLeastOnce, MqttQualityOfService.ExactlyOnce })
                    await matrix.RunAsync("mosquitto: QoS " + (int)qos + " x 1,000 in order (3.1.1)", () => InOrderAsync("127.0.0.1", port, qos, MqttProtocolVersion.V311));
                await matrix.RunAsync("mosquitto: QoS 2 x 1,000 in order (5.0)", () => InOrderAsync("127.0.0.1", port, MqttQualityOfService.ExactlyOnce, MqttProtocolVersion.V500));
                await matrix.RunAsync("mosquitto: retained set, list, clear", () => RetainedAsync("127.0.0.1", port, null));
            }
            if (_args.MosquittoTlsPort > 0)
            {
                await matrix.RunAsync("mosquitto: TLS with CA file and PFX client certificate", () => TlsRoundTripAsync(_args.MosquittoTlsPort, _args.ClientLegacyPfx));
                await matrix.RunAsync("mosquitto: TLS with a PFX written by OpenSSL 3's defaults", () => OpenSsl3PfxAsync(_args.MosquittoTlsPort));
            }
            await matrix.RunAsync("TLS version choice", () => Task.FromResult(DescribeTlsChoice()));
            if (_args.ModulePath != null)
                await matrix.RunAsync("MqttPS.dll cmdlet types resolve", () => Task.FromResult(CmdletTypes()));
        }

        private static string DescribeRuntime()
        {
            var engine = EpollEventLoop.IsSupported ? "epoll" : "dotnet";
            var text = System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription + "; CLR " + Environment.Version +
                "; socket engine " + engine + "; .NET Framework code paths " + (NetFrameworkRuntime.IsNetFramework ? "on" : "off");
            if (!NetFrameworkRuntime.IsNetFramework)
                throw new InvalidOperationException("not a .NET Framework runtime: " + text);
            if (_args.ExpectedEngine != null && _args.ExpectedEngine != engine)
                throw new InvalidOperationException("expected the " + _args.ExpectedEngine + " socket engine: " + text);
            return text;
        }

        private static async Task<MqttBroker> StartBrokerAsync()
        {
            var options = new MqttBrokerOptions();
            // Plain TCP on IPv6 any (dual mode: IPv6 and IPv4 clients), then TLS on loopback.
            options.Listeners.Add(new MqttListenerOptions { Kind = MqttListenerKind.Tcp, BindAddress = IPAddress.IPv6Any, Port = 0 });
            options.Listeners.Add(new MqttListenerOptions
            {
                Kind = MqttListenerKind.Tls,
                BindAddress = IPAddress.Loopback,
                Port = 0,
                CertificatePath = _args.ServerLegacyPfx,
                CertificatePassword = _args.PfxPassword,
                RequireClientCertificate = true,
                ClientCaFile = _args.CaFile,
            });
            var broker = new MqttBroker(options);
            await broker.StartAsync();
            return broker;
        }

        private static MqttClientOptions Options(string host, int port, MqttProtocolVersion version)
        {
            return new MqttClientOptions(host, port)
            {
                ProtocolVersion = version,
                ConnectTimeout = TimeSpan.FromSeconds(10),
                ClientId = "fx-" + Guid.NewGuid().ToString("n").Substring(0, 12),
            };
        }

        private static async Task<MqttClient> ConnectAsync(MqttClientOptions options)
        {
            var client = new MqttClient(options);
            try { await client.ConnectAsync(); }
            catch { client.Dispose(); throw; }
            return client;
        }

        private static async Task<string> ConnectOnlyAsync(string host, int port, MqttProtocolVersion version)
        {
            using (var client = await ConnectAsync(Options(host, port, version)))
            {
                var result = client.LastConnectResult;
                await client.DisconnectAsync();
                return "connected as " + client.ProtocolVersion + (result.SessionPresent ? " (session present)" : "");
            }
        }

        private static async Task<string> WildcardsAsync(string host, int port)
        {
            var prefix = "fx/" + Guid.NewGuid().ToString("n").Substring(0, 8);
            using (var plus = await ConnectAsync(Options(host, port, MqttProtocolVersion.V500)))
            using (var hash = await ConnectAsync(Options(host, port, MqttProtocolVersion.V311)))
            using (var publisher = await ConnectAsync(Options(host, port, MqttProtocolVersion.V500)))
            {
                await plus.SubscribeAsync(prefix + "/+/temp", MqttQualityOfService.AtLeastOnce);
                await hash.SubscribeAsync(prefix + "/#", MqttQualityOfService.AtLeastOnce);
                foreach (var topic in new[] { "/a/temp", "/b/hum", "/c/d/temp" })
                    await publisher.PublishAsync(new MqttMessage(prefix + topic, "x", MqttQualityOfService.AtLeastOnce));
                var viaPlus = await ReceiveAsync(plus, 1);
                var viaHash = await ReceiveAsync(hash, 3);
                Expect(string.Join(",", viaPlus.Select(m => m.Topic.Substring(prefix.Length))), "/a/temp", "'+' matches");
                Expect(string.Join(",", viaHash.Select(m => m.Topic.Substring(prefix.Length))), "/a/temp,/b/hum,/c/d/temp", "'#' matches");
                await ExpectNothingMoreAsync(plus);
                return "+ matched 1 of 3, # matched 3 of 3";
            }
        }

        private static async Task<string> InOrderAsync(string host, int port, MqttQualityOfService qos, MqttProtocolVersion publisherVersion)
        {
            const int count = 1000;
            var topic = "fx/order/" + Guid.NewGuid().ToString("n").Substring(0, 8);
            using (var subscriber = await ConnectAsync(Options(host, port, MqttProtocolVersion.V500)))
            using (var publisher = await ConnectAsync(Options(host, port, publisherVersion)))
            {
                await subscriber.SubscribeAsync(topic, qos);
                var watch = Stopwatch.StartNew();
                // All at once, as a pipeline would: the client's in-flight window paces them.
                var publishes = Enumerable.Range(1, count).Select(i => publisher.PublishAsync(new MqttMessage(topic, i.ToString(), qos))).ToArray();
                var received = await ReceiveAsync(subscriber, count);
                await Task.WhenAll(publishes);
                var payloads = received.Select(m => m.PayloadText).ToArray();
                for (var i = 0; i < count; i++)
                {
                    if (payloads[i] != (i + 1).ToString())
                        throw new InvalidOperationException("message " + (i + 1) + " arrived as '" + payloads[i] + "' (out of order)");
                }
                return count + " in order in " + watch.ElapsedMilliseconds + " ms (publisher " + publisher.ProtocolVersion + ", window " + publisher.InflightWindow + ")";
            }
        }

        private static async Task<string> RetainedAsync(string host, int port, MqttBroker embedded)
        {
            var prefix = "fx/retained/" + Guid.NewGuid().ToString("n").Substring(0, 8);
            using (var publisher = await ConnectAsync(Options(host, port, MqttProtocolVersion.V500)))
            {
                foreach (var name in new[] { "/1", "/2" })
                    await publisher.PublishAsync(new MqttMessage(prefix + name, "kept" + name, MqttQualityOfService.AtLeastOnce, retain: true));
                var listed = await ListRetainedAsync(host, port, prefix, 2);
                Expect(string.Join(",", listed), prefix + "/1=kept/1," + prefix + "/2=kept/2", "retained messages listed by a new subscriber");
                if (embedded != null) Expect(embedded.Retained.List(prefix + "/#").Count.ToString(), "2", "retained messages in the broker's store");

                foreach (var name in new[] { "/1", "/2" })
                    await publisher.PublishAsync(new MqttMessage(prefix + name, new byte[0], MqttQualityOfService.AtLeastOnce, retain: true));
                var afterClear = await ListRetainedAsync(host, port, prefix, 0);
                Expect(afterClear.Count.ToString(), "0", "retained messages after clearing");
                if (embedded != null) Expect(embedded.Retained.List(prefix + "/#").Count.ToString(), "0", "retained messages in the broker's store after clearing");
                return "set 2, listed 2, cleared 2";
            }
        }

        /// <summary>What a new subscriber to prefix/# gets as retained messages: "topic=payload", sorted.</summary>
        private static async Task<List<string>> ListRetainedAsync(string host, int port, string prefix, int expected)
        {
            using (var reader = await ConnectAsync(Options(host, port, MqttProtocolVersion.V500)))
            {
                await reader.SubscribeAsync(prefix + "/#", MqttQualityOfService.AtLeastOnce);
                var messages = expected > 0 ? await ReceiveAsync(reader, expected) : new List<MqttMessage>();
                await ExpectNothingMoreAsync(reader);
                if (messages.Any(m => !m.Retain)) throw new InvalidOperationException("a message to a new subscriber came without the retain flag");
                return messages.Select(m => m.Topic + "=" + m.PayloadText).OrderBy(t => t, StringComparer.Ordinal).ToList();
            }
        }

        private static MqttClientOptions TlsOptions(int port, string clientPfx)
        {
            var options = Options("localhost", port, MqttProtocolVersion.V500);
            options.Address = MqttBrokerAddress.Parse("mqtts://localhost:" + port);
            options.Tls = new MqttTlsOptions { CaFile = _args.CaFile, ClientCertificatePath = clientPfx, ClientCertificatePassword = _args.PfxPassword };
            return options;
        }

        private static async Task<string> TlsRoundTripAsync(int port, string clientPfx)
        {
            using (var client = await ConnectAsync(TlsOptions(port, clientPfx)))
            {
                var topic = "fx/tls/" + Guid.NewGuid().ToString("n").Substring(0, 8);
                await client.SubscribeAsync(topic, MqttQualityOfService.AtLeastOnce);
                await client.PublishAsync(new MqttMessage(topic, "over TLS", MqttQualityOfService.AtLeastOnce));
                Expect((await ReceiveAsync(client, 1))[0].PayloadText, "over TLS", "the message over TLS");
                return "server validated against the CA file, client certificate " + Path.GetFileName(clientPfx) + " accepted";
            }
        }

        private static async Task<string> OpenSsl3PfxAsync(int port)
        {
            try
            {
                await TlsRoundTripAsync(port, _args.ClientOpenSsl3Pfx);
                return "this runtime decrypts PBES2 (AES-256, PBKDF2) PFX files";
            }
            catch (ArgumentException e) when (e.Message.Contains("PBES2") && e.Message.Contains("-legacy"))
            {
                throw new RuntimeLimitException("Mono cannot decrypt a PFX encrypted with AES-256/PBKDF2 (PBES2), OpenSSL 3's default; nor can .NET Framework " +
                    "on older Windows such as Server 2016. The engine's error says so and names the fix (openssl pkcs12 -export -legacy, or PEM with " +
                    "PowerShell 7); the legacy PFX of the TLS steps works. Message: " + e.Message);
            }
        }

        private static string DescribeTlsChoice()
        {
            var none = TlsProtocolSelection.IsAccepted(System.Security.Authentication.SslProtocols.None);
            var both = TlsProtocolSelection.IsAccepted(TlsProtocolSelection.Tls12 | TlsProtocolSelection.Tls13);
            var tls12 = TlsProtocolSelection.IsAccepted(TlsProtocolSelection.Tls12);
            if (!tls12) throw new InvalidOperationException("TLS 1.2 is not accepted by this runtime's SslStream");
            return "system default " + (none ? "accepted" : "refused") + ", TLS 1.2+1.3 " + (both ? "accepted" : "refused") +
                ", TLS 1.2 accepted; the engine uses " + TlsProtocolSelection.Describe(TlsProtocolSelection.Choose(System.Security.Authentication.SslProtocols.None));
        }

        /// <summary>MqttPS.dll loaded as Windows PowerShell would (System.Management.Automation supplied from
        /// PowerShellStandard.Library), every cmdlet class resolving with its base types and attributes.</summary>
        private static string CmdletTypes()
        {
            var smaPath = _args.SmaPath;
            AppDomain.CurrentDomain.AssemblyResolve += (sender, e) =>
                new AssemblyName(e.Name).Name == "System.Management.Automation" && smaPath != null ? Assembly.LoadFrom(smaPath) : null;
            var module = Assembly.LoadFrom(_args.ModulePath);
            var names = new List<string>();
            foreach (var type in module.GetTypes())
            {
                foreach (var attribute in type.GetCustomAttributesData())
                {
                    if (attribute.AttributeType.FullName != "System.Management.Automation.CmdletAttribute") continue;
                    names.Add(attribute.ConstructorArguments[0].Value + "-" + attribute.ConstructorArguments[1].Value);
                    // Each parameter's attributes resolve too (ValidateSet, Parameter, ...).
                    foreach (var property in type.GetProperties()) property.GetCustomAttributesData();
                }
            }
            names.Sort(StringComparer.Ordinal);
            if (_args.ExpectedCmdlets != null)
            {
                var expected = _args.ExpectedCmdlets.OrderBy(n => n, StringComparer.Ordinal).ToList();
                Expect(string.Join(",", names), string.Join(",", expected), "the cmdlet types of MqttPS.dll against the manifest's CmdletsToExport");
            }
            return names.Count + " cmdlet types: " + string.Join(", ", names);
        }

        private static async Task<List<MqttMessage>> ReceiveAsync(MqttClient client, int count)
        {
            var messages = new List<MqttMessage>(count);
            using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20)))
            {
                try
                {
                    while (messages.Count < count) messages.Add(await client.ReceiveAsync(cts.Token));
                }
                catch (OperationCanceledException)
                {
                    throw new TimeoutException("received " + messages.Count + " of " + count + " messages within 20 s");
                }
            }
            return messages;
        }

        private static async Task ExpectNothingMoreAsync(MqttClient client)
        {
            using (var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300)))
            {
                try
                {
                    var extra = await client.ReceiveAsync(cts.Token);
                    throw new InvalidOperationException("an unexpected message arrived on '" + extra.Topic + "'");
                }
                catch (OperationCanceledException) { }
            }
        }

        private static void Expect(string actual, string expected, string what)
        {
            if (actual != expected) throw new InvalidOperationException(what + ": expected '" + expected + "', got '" + actual + "'");
        }
    }
}
