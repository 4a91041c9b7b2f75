using System;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using MqttPS.Core.Protocol;

namespace MqttPS.Core.Tests.BrokerProduction
{
    /// <summary>
    /// A bare MQTT 3.1.1 connection over a socket, driven packet by packet: light enough to open a thousand of, and
    /// able to misbehave (send garbage, never send CONNECT, stop reading).
    /// </summary>
    internal sealed class RawMqttConnection : IDisposable
    {
        private readonly Socket _socket;
        private readonly MqttPacketDecoder _decoder = new MqttPacketDecoder(MqttProtocolVersion.V311);

        private RawMqttConnection(Socket socket) { _socket = socket; }

        public Socket Socket => _socket;

        public static async Task<RawMqttConnection> OpenAsync(int port, int receiveBufferSize = 0)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            if (receiveBufferSize > 0) socket.ReceiveBufferSize = receiveBufferSize;
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
            return new RawMqttConnection(socket);
        }

        public Task SendAsync(MqttPacket packet) => SendAsync(MqttPacketEncoder.Encode(packet, MqttProtocolVersion.V311));

        public async Task SendAsync(byte[] bytes)
        {
            var sent = 0;
            while (sent < bytes.Length) sent += await _socket.SendAsync(new ArraySegment<byte>(bytes, sent, bytes.Length - sent), SocketFlags.None);
        }

        /// <summary>The next packet, or null when the broker closed the connection.</summary>
        public async Task<MqttPacket> ReceiveAsync(TimeSpan timeout)
        {
            using (var cts = new CancellationTokenSource(timeout))
            {
                while (true)
                {
                    if (_decoder.TryDecode(out var packet)) return packet;
                    var buffer = _decoder.GetReceiveBuffer(4096);
                    int n;
                    try { n = await _socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token); }
                    catch (OperationCanceledException) { throw new TimeoutException("no packet within " + timeout); }
                    catch (SocketException) { return null; }
                    if (n == 0) return null;
                    _decoder.Commit(n);
                }
            }
        }

        /// <summary>True when the peer closed the connection within <paramref name="timeout"/> (bytes sent before are skipped).</summary>
        public async Task<bool> WaitForCloseAsync(TimeSpan timeout)
        {
            var buffer = new byte[4096];
            using (var cts = new CancellationTokenSource(timeout))
            {
                try
                {
                    while (true)
                    {
                        var n = await _socket.ReceiveAsync(new ArraySegment<byte>(buffer), SocketFlags.None, cts.Token);
                        if (n == 0) return true;
                    }
                }
                catch (OperationCanceledException) { return false; }
                catch (SocketException) { return true; }
            }
        }

        public async Task ConnectAsync(string clientId, bool cleanSession = true)
        {
            await SendAsync(new ConnectPacket { ProtocolVersion = MqttProtocolVersion.V311, ClientId = clientId, CleanStart = cleanSession, KeepAliveSeconds = 120 });
            var connAck = await ReceiveAsync(TimeSpan.FromSeconds(20)) as ConnAckPacket;
            if (connAck == null || connAck.ReasonCode != ConnectReasonCode.Success) throw new InvalidOperationException("CONNECT of " + clientId + " refused or no CONNACK");
        }

        public async Task SubscribeAsync(string filter, MqttQualityOfService qos, ushort packetId = 1)
        {
            var subscribe = new SubscribePacket { PacketId = packetId };
            subscribe.Subscriptions.Add(new MqttTopicSubscription(filter, qos));
            await SendAsync(subscribe);
            if (!(await ReceiveAsync(TimeSpan.FromSeconds(20)) is SubAckPacket)) throw new InvalidOperationException("no SUBACK");
        }

        public void Dispose() => _socket.Dispose();
    }
}
