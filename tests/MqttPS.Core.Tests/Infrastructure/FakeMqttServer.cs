using System;
using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks;
using MqttPS.Core.Protocol;

namespace MqttPS.Core.Tests.Infrastructure
{
    /// <summary>A minimal MQTT server made with the codec, for one connection: the test reads and answers each
    /// packet itself, for behaviour a real broker does not show (or shows only by losing messages).</summary>
    public sealed class FakeMqttServer : IDisposable
    {
        private readonly TcpListener _listener = new TcpListener(IPAddress.Loopback, 0);
        private TcpClient _socket;
        private NetworkStream _stream;
        private readonly MqttPacketDecoder _decoder = new MqttPacketDecoder(null);

        public FakeMqttServer(MqttProtocolVersion version = MqttProtocolVersion.V500)
        {
            Version = version;
            _listener.Start();
        }

        /// <summary>The version packets are encoded with (and decoded as, once a CONNECT has said so).</summary>
        public MqttProtocolVersion Version { get; }
        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public async Task AcceptAsync()
        {
            _socket = await _listener.AcceptTcpClientAsync();
            _stream = _socket.GetStream();
        }

        /// <summary>The next packet, or null when the client closed the connection.</summary>
        public async Task<MqttPacket> ReadAsync()
        {
            while (true)
            {
                if (_decoder.TryDecode(out var p)) return p;
                var segment = _decoder.GetReceiveBuffer();
                var n = await _stream.ReadAsync(segment.Array, segment.Offset, segment.Count);
                if (n == 0) return null;
                _decoder.Commit(n);
            }
        }

        public Task SendAsync(MqttPacket packet)
        {
            var bytes = MqttPacketEncoder.Encode(packet, Version);
            return _stream.WriteAsync(bytes, 0, bytes.Length);
        }

        public void Dispose()
        {
            _listener.Stop();
            _socket?.Dispose();
            _decoder.Dispose();
        }
    }
}
