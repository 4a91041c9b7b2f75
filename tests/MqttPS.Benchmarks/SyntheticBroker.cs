using System;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using MqttPS.Core.Protocol;

namespace MqttPS.Benchmarks
{
    /// <summary>
    /// A minimal in-process MQTT 5.0 peer for measuring the client alone, without a broker in between: it accepts
    /// one connection, answers CONNACK (Receive Maximum 20, as mosquitto), and then either consumes publishes
    /// (acknowledging QoS 1) or sends a prepared burst of PUBLISH packets as fast as the socket takes them while
    /// discarding what the client sends back.
    /// </summary>
    internal sealed class SyntheticBroker : IDisposable
    {
        private readonly TcpListener _listener = new TcpListener(IPAddress.Loopback, 0);
        private TcpClient _socket;

        public SyntheticBroker() { _listener.Start(); }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        /// <summary>Accepts the client and completes its CONNECT/CONNACK.</summary>
        public async Task<(NetworkStream stream, MqttPacketDecoder decoder)> AcceptAsync()
        {
            _socket = await _listener.AcceptTcpClientAsync().ConfigureAwait(false);
            _socket.NoDelay = true;
            var stream = _socket.GetStream();
            var decoder = new MqttPacketDecoder(null);
            while (!decoder.TryDecode(out var connect))
            {
                var segment = decoder.GetReceiveBuffer();
                var n = await stream.ReadAsync(segment.Array, segment.Offset, segment.Count).ConfigureAwait(false);
                if (n == 0) throw new InvalidOperationException("client closed before CONNECT");
                decoder.Commit(n);
            }
            var connAck = new ConnAckPacket { ReasonCode = ConnectReasonCode.Success };
            connAck.Properties.ReceiveMaximum = 20;
            var bytes = MqttPacketEncoder.Encode(connAck, MqttProtocolVersion.V500);
            await stream.WriteAsync(bytes, 0, bytes.Length).ConfigureAwait(false);
            return (stream, decoder);
        }

        /// <summary>Reads until <paramref name="count"/> PUBLISH packets arrived, acknowledging QoS 1 (batched per read).</summary>
        public async Task ConsumeAsync(NetworkStream stream, MqttPacketDecoder decoder, int count, CancellationToken cancellationToken)
        {
            var received = 0;
            using (var acks = new MqttBufferWriter(8192))
            {
                while (received < count)
                {
                    while (decoder.TryDecode(out var packet))
                    {
                        if (packet is PublishPacket publish)
                        {
                            received++;
                            if (publish.QoS == MqttQualityOfService.AtLeastOnce)
                                MqttPacketEncoder.Encode(new PubAckPacket { PacketId = publish.PacketId }, MqttProtocolVersion.V500, acks);
                        }
                    }
                    if (acks.Length > 0)
                    {
                        await stream.WriteAsync(acks.Buffer, 0, acks.Length, cancellationToken).ConfigureAwait(false);
                        acks.Reset();
                    }
                    if (received >= count) break;
                    var segment = decoder.GetReceiveBuffer(65536);
                    var n = await stream.ReadAsync(segment.Array, segment.Offset, segment.Count, cancellationToken).ConfigureAwait(false);
                    if (n == 0) return;
                    decoder.Commit(n);
                }
            }
        }

        /// <summary>Writes <paramref name="burst"/> (pre-encoded PUBLISH packets) while draining whatever the client sends.</summary>
        public async Task BlastAsync(NetworkStream stream, byte[] burst, CancellationToken cancellationToken)
        {
            var drain = Task.Run(async () =>
            {
                var sink = new byte[65536];
                try { while (await stream.ReadAsync(sink, 0, sink.Length, cancellationToken).ConfigureAwait(false) > 0) { } }
                catch (Exception) { }
            });
            for (var offset = 0; offset < burst.Length; offset += 65536)
                await stream.WriteAsync(burst, offset, Math.Min(65536, burst.Length - offset), cancellationToken).ConfigureAwait(false);
            GC.KeepAlive(drain);
        }

        public void Dispose()
        {
            _listener.Stop();
            _socket?.Dispose();
        }
    }
}
