using System;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using MqttPS.Core.Protocol;

namespace MqttPS.Core.Tests.Broker
{
    /// <summary>
    /// A bare MQTT client over a socket, built from the codec only: sends exactly the packets a test gives it and
    /// returns exactly what the broker sends, so tests can see every byte-level decision of the broker.
    /// </summary>
    public sealed class RawMqttClient : IDisposable
    {
        private readonly Socket _socket;
        private readonly MqttPacketDecoder _decoder;
        private readonly MqttProtocolVersion _version;

        private RawMqttClient(Socket socket, MqttProtocolVersion version)
        {
            _socket = socket;
            _version = version;
            _decoder = new MqttPacketDecoder(version);
        }

        public bool Closed { get; private set; }

        /// <summary>The socket, for tests that read the broker's bytes themselves.</summary>
        public Socket Socket => _socket;

        public static async Task<RawMqttClient> OpenAsync(int port, MqttProtocolVersion version = MqttProtocolVersion.V500)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
            return new RawMqttClient(socket, version);
        }

        /// <summary>Opens, sends CONNECT and returns the CONNACK (asserting nothing).</summary>
        public static async Task<(RawMqttClient client, ConnAckPacket connAck)> ConnectAsync(int port, string clientId,
            MqttProtocolVersion version = MqttProtocolVersion.V500, bool cleanStart = true, ushort keepAlive = 60,
            Action<ConnectPacket> configure = null)
        {
            var client = await OpenAsync(port, version);
            var connect = new ConnectPacket { ProtocolVersion = version, ClientId = clientId, CleanStart = cleanStart, KeepAliveSeconds = keepAlive };
            configure?.Invoke(connect);
            await client.SendAsync(connect);
            var reply = await client.ReceiveAsync(TimeSpan.FromSeconds(5));
            var connAck = reply as ConnAckPacket ?? throw new InvalidOperationException("expected CONNACK, got " + (reply?.PacketType.ToString() ?? (client.Closed ? "close" : "nothing")));
            return (client, connAck);
        }

        public Task SendAsync(MqttPacket packet) => SendRawAsync(MqttPacketEncoder.Encode(packet, _version));

        public async Task SendRawAsync(byte[] bytes)
        {
            var sent = 0;
            while (sent < bytes.Length) sent += await _socket.SendAsync(new ArraySegment<byte>(bytes, sent, bytes.Length - sent), SocketFlags.None);
        }

        /// <summary>The next packet, or null after <paramref name="timeout"/> or when the broker closed (see <see cref="Closed"/>).</summary>
        public async Task<MqttPacket> ReceiveAsync(TimeSpan timeout)
        {
            using var cts = new CancellationTokenSource(timeout);
            while (true)
            {
                if (_decoder.TryDecode(out var packet)) return packet;
                if (Closed) return null;
                var buffer = _decoder.GetReceiveBuffer(4096);
                int n;
                try { n = await _socket.ReceiveAsync(new Memory<byte>(buffer.Array, buffer.Offset, buffer.Count), SocketFlags.None, cts.Token); }
                catch (OperationCanceledException) { return null; }
                catch (SocketException) { Closed = true; return null; }
                if (n == 0) { Closed = true; return null; }
                _decoder.Commit(n);
            }
        }

        public async Task<T> ReceiveAsync<T>(TimeSpan? timeout = null) where T : MqttPacket
        {
            var p = await ReceiveAsync(timeout ?? TimeSpan.FromSeconds(5));
            if (p is T t) return t;
            throw new InvalidOperationException("expected " + typeof(T).Name + ", got " + (p?.PacketType.ToString() ?? (Closed ? "connection closed" : "nothing (timeout)")));
        }

        /// <summary>Waits (bounded) for the broker to close the connection, skipping any packets before that.</summary>
        public async Task<bool> WaitForCloseAsync(TimeSpan timeout)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (DateTime.UtcNow < deadline)
            {
                await ReceiveAsync(deadline - DateTime.UtcNow);
                if (Closed) return true;
            }
            return Closed;
        }

        public async Task SubscribeAsync(string filter, MqttQualityOfService qos, ushort packetId = 1, Action<MqttTopicSubscription> configure = null)
        {
            var s = new MqttTopicSubscription(filter, qos);
            configure?.Invoke(s);
            var packet = new SubscribePacket { PacketId = packetId };
            packet.Subscriptions.Add(s);
            await SendAsync(packet);
            var ack = await ReceiveAsync<SubAckPacket>();
            if (ack.PacketId != packetId) throw new InvalidOperationException("SUBACK for " + ack.PacketId);
        }

        public void Dispose()
        {
            try { _socket.Dispose(); } catch (Exception) { }
            _decoder.Dispose();
        }
    }
}
