using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using MqttPS.Core.Client;
using MqttPS.Core.Messages;
using MqttPS.Core.Protocol;
using MqttPS.Core.Transport;

namespace MqttPS.Benchmarks
{
    /// <summary>
    /// End to end through a real mosquitto started here: N messages of 64 B at QoS 0 and 1, published and received
    /// by our client, against mosquitto_pub -l (stdin lines, same payloads) and mosquitto_sub in the same run, plus
    /// the two mixed pairs to show which side limits. Reported: messages/s from the first publish to the last
    /// message received, and the publish-side rate (until the publisher is done).
    /// </summary>
    public sealed class ClientBenchmark : IBenchmarkSuite
    {
        private const string Mosquitto = "/usr/sbin/mosquitto";
        private const int PayloadSize = 64;

        public string Name => "client";
        public string Description => "MqttClient vs mosquitto_pub -l / mosquitto_sub through mosquitto: 64 B messages at QoS 0 and 1";

        public void Run(BenchmarkRunner runner)
        {
            if (!File.Exists(Mosquitto)) { runner.Note("mosquitto is not installed: suite skipped"); return; }
            RunAsync(runner).GetAwaiter().GetResult(); // console entry point: no synchronization context, nothing else to block
        }

        private sealed class Outcome
        {
            public int Received;
            public double PublishSeconds;
            public double TotalSeconds;
        }

        private static async Task RunAsync(BenchmarkRunner runner)
        {
            var count = runner.Quick ? 20000 : 200000;
            var timeout = TimeSpan.FromSeconds(runner.Quick ? 30 : 120);
            var directory = Directory.CreateTempSubdirectory("mqttps-bench-").FullName;
            var lines = new StringBuilder();
            var payloads = new byte[count][];
            for (var i = 0; i < count; i++)
            {
                var line = i.ToString("D8") + new string('x', PayloadSize - 8);
                lines.Append(line).Append('\n');
                payloads[i] = Encoding.ASCII.GetBytes(line);
            }
            var inputFile = Path.Combine(directory, "input.txt");
            File.WriteAllText(inputFile, lines.ToString());

            var port = FreePort();
            var config = Path.Combine(directory, "mosquitto.conf");
            File.WriteAllLines(config, new[]
            {
                "listener " + port + " 127.0.0.1", "allow_anonymous true", "persistence false",
                "max_queued_messages 1000000", "log_type subscribe", "log_dest stderr",
            });
            var brokerLog = new StringBuilder();
            using (var broker = StartProcess(Mosquitto, new[] { "-c", config }, brokerLog))
            {
                try
                {
                    await WaitForPortAsync(port);
                    runner.Note(count.ToString("N0") + " messages of " + PayloadSize + " B each way, mosquitto " + port + " on loopback; rates are end to end (first publish to last receipt)");
                    foreach (var qos in new[] { MqttQualityOfService.AtMostOnce, MqttQualityOfService.AtLeastOnce })
                    {
                        var alone = await PublishToSyntheticAsync(qos, payloads, timeout);
                        var receiving = await ReceiveFromSyntheticAsync(qos, payloads, timeout);
                        Report(runner, "QoS " + (int)qos + "  MqttClient -> in-process sink (no broker)", alone, count);
                        Report(runner, "QoS " + (int)qos + "  in-process burst -> MqttClient (no broker)", receiving, count);
                    }
                    foreach (var qos in new[] { MqttQualityOfService.AtMostOnce, MqttQualityOfService.AtLeastOnce })
                    {
                        var q = (int)qos;
                        var ours = await OursToOursAsync(port, qos, payloads, timeout);
                        var theirs = await MosquittoToMosquittoAsync(port, qos, count, inputFile, brokerLog, timeout, "mm" + q);
                        var oursToSub = await OursToMosquittoSubAsync(port, qos, payloads, brokerLog, timeout, "om" + q);
                        var pubToOurs = await MosquittoPubToOursAsync(port, qos, count, inputFile, timeout);
                        Report(runner, "QoS " + q + "  MqttClient -> MqttClient", ours, count);
                        Report(runner, "QoS " + q + "  mosquitto_pub -l -> mosquitto_sub", theirs, count);
                        Report(runner, "QoS " + q + "  MqttClient -> mosquitto_sub", oursToSub, count);
                        Report(runner, "QoS " + q + "  mosquitto_pub -l -> MqttClient", pubToOurs, count);
                        // Same subscriber, other publisher / same publisher, other subscriber: which side is faster.
                        runner.Note(string.Format("QoS {0}  ratio MqttClient/mosquitto clients, end to end: {1:F2}x; as publisher (to mosquitto_sub): {2:F2}x; as subscriber (from mosquitto_pub): {3:F2}x",
                            q, Rate(ours.TotalSeconds, count) / Rate(theirs.TotalSeconds, count),
                            Rate(oursToSub.TotalSeconds, count) / Rate(theirs.TotalSeconds, count),
                            Rate(pubToOurs.TotalSeconds, count) / Rate(theirs.TotalSeconds, count)));
                    }
                }
                finally
                {
                    Kill(broker);
                    try { Directory.Delete(directory, true); } catch (IOException) { }
                }
            }
        }

        private static double Rate(double seconds, int count) => seconds > 0 ? count / seconds : 0;

        private static void Report(BenchmarkRunner runner, string name, Outcome o, int count)
        {
            runner.Note(string.Format("{0,-44} {1,12:N0} msg/s end to end {2,14} msg/s publishing   {3}",
                name, Rate(o.TotalSeconds, count), o.PublishSeconds == o.TotalSeconds ? "-" : Rate(o.PublishSeconds, count).ToString("N0"),
                o.Received == count ? "all received" : "RECEIVED " + o.Received + " of " + count));
        }

        private static MqttClient NewClient(int port, string id)
        {
            return new MqttClient(new MqttClientOptions
            {
                Address = new MqttBrokerAddress("127.0.0.1", port),
                ClientId = id,
                ReceiveQueueCapacity = 100000,
            });
        }

        private static async Task<double> PublishAllAsync(MqttClient publisher, string topic, MqttQualityOfService qos, byte[][] payloads)
        {
            var watch = Stopwatch.StartNew();
            var pending = new Queue<Task<MqttPublishResult>>();
            for (var i = 0; i < payloads.Length; i++)
            {
                var task = publisher.PublishAsync(new MqttMessage(topic, payloads[i], qos));
                if (!task.IsCompleted) pending.Enqueue(task);
                while (pending.Count > 5000) await pending.Dequeue().ConfigureAwait(false);
            }
            while (pending.Count > 0) await pending.Dequeue().ConfigureAwait(false);
            return watch.Elapsed.TotalSeconds;
        }

        private static async Task<int> ReceiveAllAsync(MqttClient subscriber, int count, CancellationToken cancellationToken)
        {
            var received = 0;
            try
            {
                while (received < count)
                {
                    var message = await subscriber.ReceiveAsync(cancellationToken).ConfigureAwait(false);
                    if (message == null) break;
                    if (message.PayloadBytes.Length != PayloadSize) throw new InvalidDataException("payload of " + message.PayloadBytes.Length + " bytes");
                    received++;
                }
            }
            catch (OperationCanceledException) { }
            return received;
        }

        private static async Task<Outcome> OursToOursAsync(int port, MqttQualityOfService qos, byte[][] payloads, TimeSpan timeout)
        {
            var topic = "bench/ours/" + (int)qos;
            using (var subscriber = NewClient(port, "bench-our-sub"))
            using (var publisher = NewClient(port, "bench-our-pub"))
            using (var cts = new CancellationTokenSource(timeout))
            {
                await subscriber.ConnectAsync().ConfigureAwait(false);
                await publisher.ConnectAsync().ConfigureAwait(false);
                await subscriber.SubscribeAsync(topic, qos).ConfigureAwait(false);
                var watch = Stopwatch.StartNew();
                var receiving = ReceiveAllAsync(subscriber, payloads.Length, cts.Token);
                var publishSeconds = await PublishAllAsync(publisher, topic, qos, payloads).ConfigureAwait(false);
                var received = await receiving.ConfigureAwait(false);
                var total = watch.Elapsed.TotalSeconds;
                await publisher.DisconnectAsync().ConfigureAwait(false);
                await subscriber.DisconnectAsync().ConfigureAwait(false);
                return new Outcome { Received = received, PublishSeconds = publishSeconds, TotalSeconds = total };
            }
        }

        private static async Task<Outcome> MosquittoToMosquittoAsync(int port, MqttQualityOfService qos, int count, string inputFile, StringBuilder brokerLog, TimeSpan timeout, string tag)
        {
            var topic = "bench/mosq/" + tag;
            var q = ((int)qos).ToString();
            using (var sub = StartProcess("/bin/sh", new[] { "-c", "exec mosquitto_sub -h 127.0.0.1 -p " + port + " -i bench-sub-" + tag + " -q " + q + " -t " + topic + " -C " + count + " > /dev/null" }, null))
            {
                await WaitForSubscriptionAsync(brokerLog, "bench-sub-" + tag, timeout).ConfigureAwait(false);
                var watch = Stopwatch.StartNew();
                using (var pub = StartProcess("/bin/sh", new[] { "-c", PubCommand(port, "bench-pub-" + tag, q, topic, inputFile) }, null))
                {
                    var done = await WaitForExitAsync(sub, timeout).ConfigureAwait(false);
                    var total = watch.Elapsed.TotalSeconds;
                    Kill(pub);
                    if (!done) Kill(sub);
                    // mosquitto_pub's own finish cannot be observed (stdin held open): its publishing time is the end-to-end time.
                    return new Outcome { Received = done && sub.ExitCode == 0 ? count : -1, PublishSeconds = total, TotalSeconds = total };
                }
            }
        }

        private static async Task<Outcome> OursToMosquittoSubAsync(int port, MqttQualityOfService qos, byte[][] payloads, StringBuilder brokerLog, TimeSpan timeout, string tag)
        {
            var topic = "bench/mixed/" + tag;
            var q = ((int)qos).ToString();
            using (var sub = StartProcess("/bin/sh", new[] { "-c", "exec mosquitto_sub -h 127.0.0.1 -p " + port + " -i bench-sub-" + tag + " -q " + q + " -t " + topic + " -C " + payloads.Length + " > /dev/null" }, null))
            using (var publisher = NewClient(port, "bench-pub-" + tag))
            {
                await publisher.ConnectAsync().ConfigureAwait(false);
                await WaitForSubscriptionAsync(brokerLog, "bench-sub-" + tag, timeout).ConfigureAwait(false);
                var watch = Stopwatch.StartNew();
                var publishSeconds = await PublishAllAsync(publisher, topic, qos, payloads).ConfigureAwait(false);
                var done = await WaitForExitAsync(sub, timeout).ConfigureAwait(false);
                var total = watch.Elapsed.TotalSeconds;
                if (!done) Kill(sub);
                await publisher.DisconnectAsync().ConfigureAwait(false);
                return new Outcome { Received = done && sub.ExitCode == 0 ? payloads.Length : -1, PublishSeconds = publishSeconds, TotalSeconds = total };
            }
        }

        private static async Task<Outcome> MosquittoPubToOursAsync(int port, MqttQualityOfService qos, int count, string inputFile, TimeSpan timeout)
        {
            var topic = "bench/mixed/in" + (int)qos;
            using (var subscriber = NewClient(port, "bench-our-sub-in"))
            using (var cts = new CancellationTokenSource(timeout))
            {
                await subscriber.ConnectAsync().ConfigureAwait(false);
                await subscriber.SubscribeAsync(topic, qos).ConfigureAwait(false);
                var watch = Stopwatch.StartNew();
                var receiving = ReceiveAllAsync(subscriber, count, cts.Token);
                using (var pub = StartProcess("/bin/sh", new[] { "-c", PubCommand(port, "bench-pub-in", ((int)qos).ToString(), topic, inputFile) }, null))
                {
                    var received = await receiving.ConfigureAwait(false);
                    var total = watch.Elapsed.TotalSeconds;
                    var publishSeconds = total;
                    Kill(pub);
                    await subscriber.DisconnectAsync().ConfigureAwait(false);
                    return new Outcome { Received = received, PublishSeconds = publishSeconds, TotalSeconds = total };
                }
            }
        }

        /// <summary>
        /// mosquitto_pub -l disconnects as soon as stdin ends, dropping QoS 1 messages still queued in libmosquitto
        /// (seen with 2.0.11: 3,401 of 200,000 arrived). So stdin is held open after the file; the run ends when the
        /// subscriber has everything, and the publisher is then killed.
        /// </summary>
        private static string PubCommand(int port, string clientId, string qos, string topic, string inputFile)
            => "(cat " + inputFile + "; sleep 600) | mosquitto_pub -h 127.0.0.1 -p " + port + " -i " + clientId + " -q " + qos + " -t " + topic + " -l";

        /// <summary>The client's own publishing capacity: an in-process peer consumes (and acknowledges) instead of mosquitto.</summary>
        private static async Task<Outcome> PublishToSyntheticAsync(MqttQualityOfService qos, byte[][] payloads, TimeSpan timeout)
        {
            using (var peer = new SyntheticBroker())
            using (var client = NewClient(peer.Port, "bench-synthetic-pub"))
            using (var cts = new CancellationTokenSource(timeout))
            {
                var accept = peer.AcceptAsync();
                await client.ConnectAsync().ConfigureAwait(false);
                var (stream, decoder) = await accept.ConfigureAwait(false);
                using (decoder)
                {
                    var watch = Stopwatch.StartNew();
                    var consuming = peer.ConsumeAsync(stream, decoder, payloads.Length, cts.Token);
                    var publishSeconds = await PublishAllAsync(client, "bench/synthetic", qos, payloads).ConfigureAwait(false);
                    await consuming.ConfigureAwait(false);
                    var total = watch.Elapsed.TotalSeconds;
                    return new Outcome { Received = payloads.Length, PublishSeconds = publishSeconds, TotalSeconds = total };
                }
            }
        }

        /// <summary>The client's own receiving capacity: an in-process peer sends a prepared burst of PUBLISH packets.</summary>
        private static async Task<Outcome> ReceiveFromSyntheticAsync(MqttQualityOfService qos, byte[][] payloads, TimeSpan timeout)
        {
            using (var burst = new MqttBufferWriter(payloads.Length * 80))
            {
                for (var i = 0; i < payloads.Length; i++)
                {
                    var packet = new PublishPacket { Topic = "bench/synthetic", Payload = payloads[i], QoS = qos, PacketId = qos == MqttQualityOfService.AtMostOnce ? (ushort)0 : (ushort)(i % 65535 + 1) };
                    MqttPacketEncoder.Encode(packet, MqttProtocolVersion.V500, burst);
                }
                var bytes = burst.ToArray();
                using (var peer = new SyntheticBroker())
                using (var client = NewClient(peer.Port, "bench-synthetic-sub"))
                using (var cts = new CancellationTokenSource(timeout))
                {
                    var accept = peer.AcceptAsync();
                    await client.ConnectAsync().ConfigureAwait(false);
                    var (stream, decoder) = await accept.ConfigureAwait(false);
                    using (decoder)
                    {
                        var watch = Stopwatch.StartNew();
                        var receiving = ReceiveAllAsync(client, payloads.Length, cts.Token);
                        await peer.BlastAsync(stream, bytes, cts.Token).ConfigureAwait(false);
                        var received = await receiving.ConfigureAwait(false);
                        var total = watch.Elapsed.TotalSeconds;
                        return new Outcome { Received = received, PublishSeconds = total, TotalSeconds = total };
                    }
                }
            }
        }

        private static async Task WaitForSubscriptionAsync(StringBuilder brokerLog, string clientId, TimeSpan timeout)
        {
            // "log_type subscribe" makes mosquitto print "<client id> <qos> <filter>" once the subscription exists.
            var deadline = DateTime.UtcNow + timeout;
            while (true)
            {
                lock (brokerLog) if (brokerLog.ToString().Contains(" " + clientId + " ")) return;
                if (DateTime.UtcNow > deadline) throw new TimeoutException("mosquitto_sub " + clientId + " did not subscribe");
                await Task.Delay(10).ConfigureAwait(false);
            }
        }

        private static Process StartProcess(string file, string[] arguments, StringBuilder stderr)
        {
            var info = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardError = stderr != null, RedirectStandardOutput = false };
            foreach (var a in arguments) info.ArgumentList.Add(a);
            var process = new Process { StartInfo = info };
            if (stderr != null) process.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (stderr) stderr.AppendLine(e.Data); };
            process.Start();
            if (stderr != null) process.BeginErrorReadLine();
            return process;
        }

        private static async Task<bool> WaitForExitAsync(Process process, TimeSpan timeout)
        {
            using (var cts = new CancellationTokenSource(timeout))
            {
                try { await process.WaitForExitAsync(cts.Token).ConfigureAwait(false); return true; }
                catch (OperationCanceledException) { return false; }
            }
        }

        private static void Kill(Process process)
        {
            try { if (!process.HasExited) process.Kill(true); } catch (InvalidOperationException) { }
        }

        private static int FreePort()
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            try { return ((IPEndPoint)listener.LocalEndpoint).Port; }
            finally { listener.Stop(); }
        }

        private static async Task WaitForPortAsync(int port)
        {
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (true)
            {
                try
                {
                    using (var probe = new TcpClient())
                    {
                        await probe.ConnectAsync(IPAddress.Loopback, port).ConfigureAwait(false);
                        return;
                    }
                }
                catch (SocketException) when (DateTime.UtcNow < deadline) { await Task.Delay(50).ConfigureAwait(false); }
            }
        }
    }
}
