using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using MqttPS.Core.Client;
using MqttPS.Core.Messages;
using MqttPS.Core.Protocol;
using MqttPS.Core.Transport;

namespace MqttPS.Fuzz
{
    /// <summary>
    /// Fuzzes a broker over TCP with seeded cases: a mutated CONNECT; a valid CONNECT followed by a mutated packet of
    /// any type (3.1.1 or 5.0, client and server packets alike); a valid CONNECT followed by random bytes. Each case is
    /// one connection: its bytes are sent, the sending side is shut down, and the broker's answer is read until it
    /// closes (a case still open after <see cref="CaseDeadline"/> is a hang). After every batch a normal client must
    /// still connect, subscribe, publish at QoS 1 and receive its message. Used by the CI test (seeded, bounded in
    /// time) and by the long-running program (tests/MqttPS.Fuzz).
    /// </summary>
    public sealed class BrokerFuzzer
    {
        public static readonly TimeSpan CaseDeadline = TimeSpan.FromSeconds(10);

        private readonly int _port;
        private readonly MqttPacket[][] _templates;

        public BrokerFuzzer(int port)
        {
            _port = port;
            _templates = new[] { Templates(MqttProtocolVersion.V311), Templates(MqttProtocolVersion.V500) };
        }

        /// <summary>Counts of what happened, by case kind and by the broker's reaction.</summary>
        public sealed class Statistics
        {
            public long Cases;
            public long Hangs;
            public long HealthChecks;
            public long HealthFailures;
            public readonly SortedDictionary<string, long> Kinds = new SortedDictionary<string, long>(StringComparer.Ordinal);
            public readonly SortedDictionary<string, long> Reactions = new SortedDictionary<string, long>(StringComparer.Ordinal);
            public readonly List<string> Failures = new List<string>();

            internal void Count(SortedDictionary<string, long> into, string key)
            {
                lock (into) into[key] = into.TryGetValue(key, out var n) ? n + 1 : 1;
            }

            public override string ToString()
            {
                var text = new StringBuilder();
                text.Append(Cases).Append(" cases, ").Append(Hangs).Append(" hangs, ").Append(HealthChecks).Append(" health checks (")
                    .Append(HealthFailures).Append(" failed)");
                text.Append("; kinds: ");
                lock (Kinds) foreach (var k in Kinds) text.Append(k.Key).Append('=').Append(k.Value).Append(' ');
                text.Append("; broker reactions: ");
                lock (Reactions) foreach (var r in Reactions) text.Append(r.Key).Append('=').Append(r.Value).Append(' ');
                return text.ToString().TrimEnd();
            }
        }

        /// <summary>
        /// Runs cases from <paramref name="seed"/> until <paramref name="cases"/> are done or <paramref name="duration"/>
        /// has passed, <paramref name="parallel"/> connections at a time, with a health check every
        /// <paramref name="batch"/> cases; <paramref name="afterBatch"/> may add checks of its own (it throws to fail).
        /// </summary>
        public async Task<Statistics> RunAsync(int seed, long cases, TimeSpan duration, int parallel = 16, int batch = 500,
            Func<Statistics, Task> afterBatch = null, Action<Statistics> progress = null)
        {
            var stats = new Statistics();
            var watch = Stopwatch.StartNew();
            long next = 0;
            while (next < cases && watch.Elapsed < duration)
            {
                var start = next;
                var end = Math.Min(cases, start + batch);
                var nextCase = start;
                var workers = new Task[parallel];
                for (var w = 0; w < parallel; w++)
                {
                    workers[w] = Task.Run(async () =>
                    {
                        while (true)
                        {
                            var index = Interlocked.Increment(ref nextCase) - 1;
                            if (index >= end) return;
                            // Every case is generated from its own seed, so any case can be replayed alone.
                            var random = new Random(unchecked(seed * 1_000_003 + (int)index));
                            var bytes = Generate(random, out var kind);
                            stats.Count(stats.Kinds, kind);
                            var reaction = await RunCaseAsync(bytes).ConfigureAwait(false);
                            if (reaction == "hang")
                            {
                                Interlocked.Increment(ref stats.Hangs);
                                lock (stats.Failures) stats.Failures.Add("case " + index + " of seed " + seed + " (" + kind + ") hung: " + BitConverter.ToString(bytes, 0, Math.Min(bytes.Length, 64)));
                            }
                            stats.Count(stats.Reactions, reaction);
                            Interlocked.Increment(ref stats.Cases);
                        }
                    });
                }
                await Task.WhenAll(workers).ConfigureAwait(false);
                next = end;
                stats.HealthChecks++;
                var problem = await HealthCheckAsync().ConfigureAwait(false);
                if (problem != null)
                {
                    stats.HealthFailures++;
                    lock (stats.Failures) stats.Failures.Add("after case " + end + ": " + problem);
                }
                if (afterBatch != null) await afterBatch(stats).ConfigureAwait(false);
                progress?.Invoke(stats);
            }
            return stats;
        }

        /// <summary>One case: send, shut down the sending side, read the broker's answer until it closes.</summary>
        public async Task<string> RunCaseAsync(byte[] bytes)
        {
            using (var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true })
            using (var deadline = new CancellationTokenSource(CaseDeadline))
            {
                try
                {
                    await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, _port)).ConfigureAwait(false);
                    var sent = 0;
                    while (sent < bytes.Length)
                        sent += await socket.SendAsync(new ArraySegment<byte>(bytes, sent, bytes.Length - sent), SocketFlags.None).ConfigureAwait(false);
                    socket.Shutdown(SocketShutdown.Send);
                }
                catch (SocketException)
                {
                    // The broker closed (reset) while the case was still sending: it refused what it had read.
                }
                var answer = new List<byte>();
                var buffer = new byte[4096];
                try
                {
                    while (true)
                    {
                        var n = await socket.ReceiveAsync(new ArraySegment<byte>(buffer), SocketFlags.None).WaitAsync(deadline.Token).ConfigureAwait(false);
                        if (n == 0) break;
                        if (answer.Count < 64) for (var i = 0; i < n && answer.Count < 64; i++) answer.Add(buffer[i]);
                    }
                }
                catch (OperationCanceledException) { return "hang"; }
                catch (SocketException) { }
                catch (ObjectDisposedException) { }
                return Classify(answer);
            }
        }

        /// <summary>The first packet the broker sent, roughly: "closed", "CONNACK 0x00", "DISCONNECT 0x81", "PUBACK", ...</summary>
        private static string Classify(List<byte> answer)
        {
            if (answer.Count == 0) return "closed without an answer";
            var type = answer[0] >> 4;
            switch (type)
            {
                case 2:
                    // CONNACK: 3.1.1 return code or 5.0 reason code at byte 3; a success is followed by what came after.
                    var code = answer.Count > 3 ? answer[3] : -1;
                    if (code != 0) return "CONNACK refusal 0x" + code.ToString("X2");
                    var rest = answer.Count > 2 + answer[1] ? answer[2 + answer[1]] >> 4 : 0;
                    return rest == 14 ? "CONNACK then DISCONNECT" : rest == 0 ? "CONNACK then close" : "CONNACK then " + ((MqttPacketType)rest);
                case 14:
                    return "DISCONNECT 0x" + (answer.Count > 2 ? answer[2].ToString("X2") : "00");
                default:
                    return ((MqttPacketType)type).ToString();
            }
        }

        /// <summary>A normal client still gets service: connect, subscribe, publish at QoS 1, receive. Null when it does.</summary>
        public async Task<string> HealthCheckAsync()
        {
            var options = new MqttClientOptions
            {
                Address = new MqttBrokerAddress("127.0.0.1", _port, MqttTransportKind.Tcp),
                ClientId = "fuzz-health-" + Guid.NewGuid().ToString("N").Substring(0, 8),
                ConnectTimeout = TimeSpan.FromSeconds(10),
            };
            try
            {
                using (var client = new MqttClient(options))
                using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20)))
                {
                    await client.ConnectAsync(timeout.Token).ConfigureAwait(false);
                    var topic = "fuzz/health/" + options.ClientId;
                    await client.SubscribeAsync(topic, MqttQualityOfService.AtLeastOnce, timeout.Token).ConfigureAwait(false);
                    await client.PublishAsync(new MqttMessage(topic, Encoding.UTF8.GetBytes("ok"), MqttQualityOfService.AtLeastOnce), timeout.Token).ConfigureAwait(false);
                    var message = await client.ReceiveAsync(timeout.Token).ConfigureAwait(false);
                    if (message.PayloadText != "ok") return "health check received '" + message.PayloadText + "'";
                    await client.DisconnectAsync(cancellationToken: timeout.Token).ConfigureAwait(false);
                    return null;
                }
            }
            catch (Exception e)
            {
                return "health check failed: " + e.GetType().Name + ": " + e.Message;
            }
        }

        // ------------------------------------------------------------------ cases

        public byte[] Generate(Random random, out string kind)
        {
            var v5 = random.Next(2) == 1;
            var version = v5 ? MqttProtocolVersion.V500 : MqttProtocolVersion.V311;
            var templates = _templates[v5 ? 1 : 0];
            // A client id of its own per case: cases must not meet each other's sessions (a mutated CONNECT can make a
            // session another user's, and the broker then rightly refuses the next case with that id).
            var connectPacket = Connect(version, random.Next(3), "fuzz-" + random.Next().ToString("x8"));
            var connect = MqttPacketEncoder.Encode(connectPacket, version);
            var roll = random.Next(10);
            if (roll < 3)
            {
                kind = (v5 ? "5.0" : "3.1.1") + " mutated CONNECT";
                return Mutate(random, connect);
            }
            if (roll < 8)
            {
                var template = templates[3 + random.Next(templates.Length - 3)];
                kind = (v5 ? "5.0" : "3.1.1") + " CONNECT + mutated " + template.PacketType;
                var packet = Mutate(random, MqttPacketEncoder.Encode(template, version));
                return Concat(connect, packet);
            }
            kind = (v5 ? "5.0" : "3.1.1") + " CONNECT + random bytes";
            var junk = new byte[1 + random.Next(random.Next(2) == 0 ? 64 : 4096)];
            random.NextBytes(junk);
            return Concat(connect, junk);
        }

        private static byte[] Concat(byte[] a, byte[] b)
        {
            var result = new byte[a.Length + b.Length];
            Buffer.BlockCopy(a, 0, result, 0, a.Length);
            Buffer.BlockCopy(b, 0, result, a.Length, b.Length);
            return result;
        }

        private static readonly byte[] Interesting = { 0x00, 0x01, 0x7F, 0x80, 0xFF, 0x3F, 0xC0, 0x10, 0x20, 0x26 };

        /// <summary>One to four mutations: bit flips, byte replacements, inserted, deleted or repeated bytes, a cut, an
        /// extreme remaining length.</summary>
        private static byte[] Mutate(Random random, byte[] packet)
        {
            var bytes = new List<byte>(packet);
            var count = 1 + random.Next(4);
            for (var m = 0; m < count; m++)
            {
                if (bytes.Count == 0) bytes.Add((byte)random.Next(256));
                var at = random.Next(bytes.Count);
                switch (random.Next(8))
                {
                    case 0: bytes[at] ^= (byte)(1 << random.Next(8)); break;
                    case 1: bytes[at] = (byte)random.Next(256); break;
                    case 2: bytes[at] = Interesting[random.Next(Interesting.Length)]; break;
                    case 3:
                    {
                        var insert = new byte[1 + random.Next(16)];
                        random.NextBytes(insert);
                        bytes.InsertRange(at, insert);
                        break;
                    }
                    case 4: bytes.RemoveRange(at, Math.Min(bytes.Count - at, 1 + random.Next(8))); break;
                    case 5: bytes.RemoveRange(at, bytes.Count - at); break;
                    case 6:
                    {
                        var length = Math.Min(bytes.Count - at, 1 + random.Next(32));
                        bytes.InsertRange(at, bytes.GetRange(at, length));
                        break;
                    }
                    default:
                        // The remaining length: up to four bytes of anything, i.e. lengths up to 256 MB or malformed.
                        if (bytes.Count > 1)
                        {
                            var take = Math.Min(bytes.Count - 1, 1 + random.Next(4));
                            for (var i = 1; i <= take; i++) bytes[i] = (byte)random.Next(256);
                        }
                        break;
                }
            }
            return bytes.ToArray();
        }

        /// <summary>One of three valid CONNECTs: plain, with credentials and a will, or with an empty client id.</summary>
        private static ConnectPacket Connect(MqttProtocolVersion version, int which, string clientId)
        {
            var v5 = version == MqttProtocolVersion.V500;
            if (which == 2) return new ConnectPacket { ProtocolVersion = version, ClientId = "", CleanStart = true };
            if (which == 1)
            {
                var withWill = new ConnectPacket
                {
                    ProtocolVersion = version, ClientId = clientId, CleanStart = false, KeepAliveSeconds = 60, Username = "user", Password = Encoding.UTF8.GetBytes("secret"),
                    Will = new MqttWillMessage { Topic = "fuzz/will", Payload = Encoding.UTF8.GetBytes("gone"), QoS = MqttQualityOfService.AtLeastOnce, Retain = true },
                };
                if (v5)
                {
                    withWill.Will.Properties.WillDelayInterval = 1;
                    withWill.Will.Properties.ContentType = "text/plain";
                }
                return withWill;
            }
            var plain = new ConnectPacket { ProtocolVersion = version, ClientId = clientId, CleanStart = true, KeepAliveSeconds = 30 };
            if (v5)
            {
                plain.Properties.SessionExpiryInterval = 30;
                plain.Properties.ReceiveMaximum = 10;
                plain.Properties.TopicAliasMaximum = 5;
                plain.Properties.UserProperties.Add(new MqttUserProperty("k", "v"));
            }
            return plain;
        }

        /// <summary>Valid packets of every type; the first three are CONNECTs (see <see cref="Connect"/>).</summary>
        private static MqttPacket[] Templates(MqttProtocolVersion version)
        {
            var v5 = version == MqttProtocolVersion.V500;
            var plain = Connect(version, 0, "fuzz");
            var withWill = Connect(version, 1, "fuzz-will");
            var empty = Connect(version, 2, "");
            var publish2 = new PublishPacket { Topic = "fuzz/a/b", Payload = Encoding.UTF8.GetBytes("payload"), QoS = MqttQualityOfService.ExactlyOnce, PacketId = 7, Retain = true };
            var subscribe = new SubscribePacket { PacketId = 3 };
            subscribe.Subscriptions.Add(new MqttTopicSubscription("fuzz/+/b", MqttQualityOfService.AtLeastOnce));
            subscribe.Subscriptions.Add(new MqttTopicSubscription("fuzz/#", MqttQualityOfService.ExactlyOnce));
            var unsubscribe = new UnsubscribePacket { PacketId = 4 };
            unsubscribe.TopicFilters.Add("fuzz/#");
            var subAck = new SubAckPacket { PacketId = 3 };
            subAck.ReasonCodes.Add(SubAckReasonCode.GrantedQoS1);
            var unsubAck = new UnsubAckPacket { PacketId = 4 };
            if (v5)
            {
                publish2.Properties.TopicAlias = 1;
                publish2.Properties.MessageExpiryInterval = 60;
                publish2.Properties.ResponseTopic = "fuzz/reply";
                publish2.Properties.CorrelationData = new byte[] { 1, 2, 3 };
                publish2.Properties.UserProperties.Add(new MqttUserProperty("a", "b"));
                subscribe.Properties.SubscriptionIdentifiers.Add(42);
                unsubAck.ReasonCodes.Add(UnsubAckReasonCode.Success);
            }
            var packets = new List<MqttPacket>
            {
                plain, withWill, empty,
                new PublishPacket { Topic = "fuzz/x", Payload = Encoding.UTF8.GetBytes("zero"), QoS = MqttQualityOfService.AtMostOnce },
                new PublishPacket { Topic = "fuzz/y", Payload = new byte[300], QoS = MqttQualityOfService.AtLeastOnce, PacketId = 5 },
                publish2,
                new PubAckPacket { PacketId = 5 },
                new PubRecPacket { PacketId = 7 },
                new PubRelPacket { PacketId = 7 },
                new PubCompPacket { PacketId = 7 },
                subscribe,
                unsubscribe,
                PingReqPacket.Instance,
                new DisconnectPacket(),
                new ConnAckPacket { ReasonCode = ConnectReasonCode.Success },
                subAck,
                unsubAck,
                PingRespPacket.Instance,
            };
            if (v5) packets.Add(new AuthPacket());
            return packets.ToArray();
        }
    }
}
