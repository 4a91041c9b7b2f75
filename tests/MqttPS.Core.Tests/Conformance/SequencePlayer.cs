using System;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace MqttPS.Core.Tests.Conformance
{
    /// <summary>Plays one conformance sequence against a broker over a fresh TCP connection.</summary>
    public sealed class SequencePlayer
    {
        private readonly int _port;

        public SequencePlayer(int port)
        {
            _port = port;
        }

        /// <summary>Time allowed for bytes the broker must send.</summary>
        public TimeSpan ReceiveTimeout { get; set; } = TimeSpan.FromSeconds(3);

        /// <summary>Time allowed for the broker to close a connection it must close.</summary>
        public TimeSpan CloseTimeout { get; set; } = TimeSpan.FromMilliseconds(1500);

        /// <summary>Null when the sequence passed, else what went wrong.</summary>
        public async Task<string> PlayAsync(ConformanceSequence sequence, string clientId)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, _port)).ConfigureAwait(false);
            if (sequence.Connect)
            {
                await SendAsync(socket, BuildConnect(clientId, sequence.Version)).ConfigureAwait(false);
                var connAck = await ReceiveAsync(socket, 2, ReceiveTimeout).ConfigureAwait(false);
                if (connAck.Count < 2 || connAck.Data[0] != 0x20)
                    return "default CONNECT: expected CONNACK, got " + ByteNotation.ToHex(connAck.Data, connAck.Count) + connAck.Note;
                var rest = await ReceiveAsync(socket, connAck.Data[1], ReceiveTimeout).ConfigureAwait(false);
                if (rest.Count < 2 || rest.Data[1] != 0)
                    return "default CONNECT: CONNACK not accepted: 20 " + connAck.Data[1].ToString("X2") + " " + ByteNotation.ToHex(rest.Data, rest.Count) + rest.Note;
            }
            for (var i = 0; i < sequence.Steps.Count; i++)
            {
                var step = sequence.Steps[i];
                var where = "step " + (i + 1) + " (" + step.Type + (step.Comment == null ? "" : ", " + step.Comment) + ")";
                switch (step.Type)
                {
                    case "send":
                        try { await SendAsync(socket, ByteNotation.Parse(step.Payload)).ConfigureAwait(false); }
                        catch (SocketException e) { return where + ": send failed: " + e.SocketErrorCode; }
                        break;
                    case "recv":
                    {
                        var expected = ByteNotation.Parse(step.Payload);
                        var got = await ReceiveAsync(socket, expected.Length, ReceiveTimeout).ConfigureAwait(false);
                        if (got.Count != expected.Length || !Same(expected, got.Data, got.Count))
                            return where + ": expected " + ByteNotation.ToHex(expected) + " got " + ByteNotation.ToHex(got.Data, got.Count) + got.Note;
                        break;
                    }
                    case "external_publish":
                    {
                        var error = await HelperPublisher.PublishAsync(_port, "helper-" + Guid.NewGuid().ToString("N").Substring(0, 10),
                            step.Topic, Encoding.UTF8.GetBytes(step.Payload ?? ""), step.QoS, step.Retain, ReceiveTimeout).ConfigureAwait(false);
                        if (error != null) return where + ": helper publish failed: " + error;
                        break;
                    }
                    default:
                        return where + ": step type '" + step.Type + "' is not supported by the runner";
                }
            }
            if (sequence.ExpectDisconnect)
            {
                var probe = await ReceiveAsync(socket, 1, CloseTimeout).ConfigureAwait(false);
                if (probe.Closed) return null;
                if (probe.Count > 0)
                {
                    var more = await ReceiveAsync(socket, 64, TimeSpan.FromMilliseconds(100)).ConfigureAwait(false);
                    return "end: expected the connection to be closed, got more bytes: " + ByteNotation.ToHex(probe.Data, 1) + " " + ByteNotation.ToHex(more.Data, more.Count);
                }
                return "end: expected the connection to be closed, it stayed open for " + CloseTimeout.TotalMilliseconds + " ms";
            }
            try { await SendAsync(socket, new byte[] { 0xC0, 0x00 }).ConfigureAwait(false); }
            catch (SocketException e) { return "end: expected the connection to stay open, PINGREQ failed: " + e.SocketErrorCode; }
            var pong = await ReceiveAsync(socket, 2, ReceiveTimeout).ConfigureAwait(false);
            if (pong.Count != 2 || pong.Data[0] != 0xD0 || pong.Data[1] != 0x00)
                return "end: expected the connection to stay open (PINGRESP D0 00), got " + ByteNotation.ToHex(pong.Data, pong.Count) + pong.Note;
            return null;
        }

        public static byte[] BuildConnect(string clientId, int version)
        {
            var id = Encoding.UTF8.GetBytes(clientId);
            var name = version == 3 ? "MQIsdp" : "MQTT";
            var body = new System.Collections.Generic.List<byte>();
            body.Add(0); body.Add((byte)name.Length); body.AddRange(Encoding.ASCII.GetBytes(name));
            body.Add((byte)version);
            body.Add(0x02);      // clean session / clean start
            body.Add(0); body.Add(60); // keep alive 60
            if (version == 5) body.Add(0); // empty property list
            body.Add((byte)(id.Length >> 8)); body.Add((byte)id.Length); body.AddRange(id);
            var packet = new System.Collections.Generic.List<byte> { 0x10 };
            var n = body.Count;
            do { var b = (byte)(n % 128); n /= 128; if (n > 0) b |= 0x80; packet.Add(b); } while (n > 0);
            packet.AddRange(body);
            return packet.ToArray();
        }

        private static bool Same(byte[] a, byte[] b, int count)
        {
            for (var i = 0; i < count; i++) if (a[i] != b[i]) return false;
            return true;
        }

        internal static async Task SendAsync(Socket socket, byte[] data)
        {
            var sent = 0;
            while (sent < data.Length) sent += await socket.SendAsync(new ArraySegment<byte>(data, sent, data.Length - sent), SocketFlags.None).ConfigureAwait(false);
        }

        internal sealed class Received
        {
            public byte[] Data;
            public int Count;
            public bool Closed;
            public string Note = "";
        }

        /// <summary>Reads up to <paramref name="count"/> bytes within <paramref name="timeout"/>.</summary>
        internal static async Task<Received> ReceiveAsync(Socket socket, int count, TimeSpan timeout)
        {
            var r = new Received { Data = new byte[Math.Max(count, 1)] };
            using var cts = new CancellationTokenSource(timeout);
            try
            {
                while (r.Count < count)
                {
                    var n = await socket.ReceiveAsync(new Memory<byte>(r.Data, r.Count, count - r.Count), SocketFlags.None, cts.Token).ConfigureAwait(false);
                    if (n == 0) { r.Closed = true; r.Note = " (connection closed by the broker)"; break; }
                    r.Count += n;
                }
            }
            catch (OperationCanceledException) { r.Note = " (timeout after " + timeout.TotalMilliseconds + " ms)"; }
            catch (SocketException e) { r.Closed = true; r.Note = " (connection " + e.SocketErrorCode + ")"; }
            return r;
        }
    }
}
