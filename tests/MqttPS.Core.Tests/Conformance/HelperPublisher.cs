using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Tasks;

namespace MqttPS.Core.Tests.Conformance
{
    /// <summary>The sequences' "external_publish" helper: a separate MQTT 3.1.1 clean client that publishes one
    /// message with packet id 1, completes the acknowledgement flow and disconnects. Raw bytes, no codec involved.</summary>
    public static class HelperPublisher
    {
        public static async Task<string> PublishAsync(int port, string clientId, string topic, byte[] payload, int qos, bool retain, TimeSpan timeout)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port)).ConfigureAwait(false);
            await SequencePlayer.SendAsync(socket, SequencePlayer.BuildConnect(clientId, 4)).ConfigureAwait(false);
            var connAck = await SequencePlayer.ReceiveAsync(socket, 4, timeout).ConfigureAwait(false);
            if (connAck.Count != 4 || connAck.Data[0] != 0x20 || connAck.Data[3] != 0) return "CONNACK " + ByteNotation.ToHex(connAck.Data, connAck.Count) + connAck.Note;

            var t = Encoding.UTF8.GetBytes(topic);
            var body = new List<byte> { (byte)(t.Length >> 8), (byte)t.Length };
            body.AddRange(t);
            if (qos > 0) { body.Add(0); body.Add(1); }
            body.AddRange(payload);
            var packet = new List<byte> { (byte)(0x30 | (qos << 1) | (retain ? 1 : 0)) };
            var n = body.Count;
            do { var b = (byte)(n % 128); n /= 128; if (n > 0) b |= 0x80; packet.Add(b); } while (n > 0);
            packet.AddRange(body);
            await SequencePlayer.SendAsync(socket, packet.ToArray()).ConfigureAwait(false);
            if (qos == 1)
            {
                var ack = await SequencePlayer.ReceiveAsync(socket, 4, timeout).ConfigureAwait(false);
                if (ack.Count != 4 || ack.Data[0] != 0x40) return "PUBACK " + ByteNotation.ToHex(ack.Data, ack.Count) + ack.Note;
            }
            else if (qos == 2)
            {
                var rec = await SequencePlayer.ReceiveAsync(socket, 4, timeout).ConfigureAwait(false);
                if (rec.Count != 4 || rec.Data[0] != 0x50) return "PUBREC " + ByteNotation.ToHex(rec.Data, rec.Count) + rec.Note;
                await SequencePlayer.SendAsync(socket, new byte[] { 0x62, 0x02, 0x00, 0x01 }).ConfigureAwait(false);
                var comp = await SequencePlayer.ReceiveAsync(socket, 4, timeout).ConfigureAwait(false);
                if (comp.Count != 4 || comp.Data[0] != 0x70) return "PUBCOMP " + ByteNotation.ToHex(comp.Data, comp.Count) + comp.Note;
            }
            await SequencePlayer.SendAsync(socket, new byte[] { 0xE0, 0x00 }).ConfigureAwait(false);
            return null;
        }
    }
}
