using System;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using MqttPS.Core.Broker;

namespace MqttPS.BrokerHost
{
    /// <summary>
    /// dotnet run -c Release --project tests/MqttPS.BrokerHost -- --port N [--bind ADDRESS] [--conformance]
    ///     [--max-queued N] [--max-packet-size N] [--max-connect-packet-size N] [--persistence DIR] [--pool-completions]
    /// Prints the bound port as the first line of standard output, then runs until SIGINT/SIGTERM or stdin closes
    /// (with --stdin-close).
    /// </summary>
    public static class Program
    {
        public static async Task<int> Main(string[] args)
        {
            // A dedicated broker process: let .NET's socket completions run on its event threads instead of queueing
            // them to the thread pool (one hop less per packet; the broker never blocks in a completion). Read by .NET's
            // socket engine when it starts, i.e. before the first socket exists. --pool-completions turns it off. Only
            // .NET's sockets read it (Windows, macOS, MQTTPS_SOCKET_ENGINE=dotnet): the Linux epoll engine runs its
            // wake-ups inline anyway, in this host and inside PowerShell alike.
            if (Array.IndexOf(args, "--pool-completions") < 0 && Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") == null)
                Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
            var options = new MqttBrokerOptions { Port = 1883, BindAddress = IPAddress.Loopback };
            var stopOnStdinClose = false;
            for (var i = 0; i < args.Length; i++)
            {
                string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException(args[i] + " needs a value");
                switch (args[i])
                {
                    case "--port": options.Port = int.Parse(Next()); break;
                    case "--bind": options.BindAddress = IPAddress.Parse(Next()); break;
                    case "--conformance":
                        // The limits the mosquitto conformance sequences were written for.
                        options.TopicAliasMaximum = 10;
                        options.MaximumPacketSize = 2000000;
                        options.ReceiveMaximum = 20;
                        break;
                    case "--max-queued": options.MaxQueuedMessagesPerSession = int.Parse(Next()); break;
                    case "--max-inflight": options.MaxInflightMessages = ushort.Parse(Next()); break;
                    case "--max-packet-size": options.MaximumPacketSize = uint.Parse(Next()); break;
                    case "--max-connect-packet-size": options.MaximumConnectPacketSize = uint.Parse(Next()); break;
                    case "--persistence": options.PersistencePath = Next(); break;
                    case "--durability": options.PersistenceDurability = (MqttPS.Core.Broker.Persistence.PersistenceDurability)Enum.Parse(typeof(MqttPS.Core.Broker.Persistence.PersistenceDurability), Next(), true); break;
                    case "--stdin-close": stopOnStdinClose = true; break;
                    case "--pool-completions": break;
                    case "--help":
                    case "-h":
                        Console.WriteLine("usage: MqttPS.BrokerHost --port N [--bind ADDRESS] [--conformance] [--max-queued N] [--max-inflight N] [--max-packet-size N] [--max-connect-packet-size N] [--persistence DIR] [--stdin-close]");
                        return 0;
                    default:
                        Console.Error.WriteLine("unknown argument: " + args[i]);
                        return 2;
                }
            }

            var broker = new MqttBroker(options);
            try { await broker.StartAsync().ConfigureAwait(false); }
            catch (Exception e)
            {
                Console.Error.WriteLine("cannot start the broker on " + options.BindAddress + ":" + options.Port + ": " + e.Message);
                return 1;
            }
            if (broker.PersistenceRecovery != null) Console.Error.WriteLine("persistence: " + broker.PersistenceRecovery);
            Console.WriteLine(broker.Port);
            Console.Out.Flush();
            Console.Error.WriteLine("mqttps broker listening on " + string.Join(", ", broker.Endpoints) + " (pid " + Environment.ProcessId + ")");

            var stop = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.TrySetResult(true); };
            AppDomain.CurrentDomain.ProcessExit += (_, __) => stop.TrySetResult(true);
            using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; stop.TrySetResult(true); });
            if (stopOnStdinClose)
            {
                _ = Task.Run(() =>
                {
                    while (Console.In.ReadLine() != null) { }
                    stop.TrySetResult(true);
                });
            }
            await stop.Task.ConfigureAwait(false);
            using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
                await broker.StopAsync(cts.Token).ConfigureAwait(false);
            broker.Dispose();
            var s = broker.GetStatistics();
            Console.Error.WriteLine("stopped: " + s.ClientsTotal + " clients, " + s.PublishReceived + " publish received, " + s.PublishSent + " sent, " + s.PublishDropped + " dropped");
            return 0;
        }
    }
}
