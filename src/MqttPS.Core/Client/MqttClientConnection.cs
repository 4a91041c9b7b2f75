using System.Diagnostics;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using MqttPS.Core.Protocol;

namespace MqttPS.Core.Client
{
    /// <summary>One network connection of a client, from CONNACK to close: the stream, its reader and writer, the
    /// broker's limits from the CONNACK and the per-connection topic aliases. A reconnect makes a new one.</summary>
    internal sealed class MqttClientConnection
    {
        private int _closed;

        public MqttClientConnection(Stream stream, MqttPacketDecoder decoder, MqttProtocolVersion version, MqttConnectResult connectResult, CancellationToken lifetime)
        {
            Stream = stream;
            Decoder = decoder;
            Version = version;
            ConnectResult = connectResult;
            Cancellation = CancellationTokenSource.CreateLinkedTokenSource(lifetime);
            LastReceiveTimestamp = Stopwatch.GetTimestamp();
        }

        public Stream Stream { get; }
        public MqttPacketDecoder Decoder { get; }
        public MqttProtocolVersion Version { get; }
        public MqttConnectResult ConnectResult { get; }
        public CancellationTokenSource Cancellation { get; }
        public PacketWriter Writer { get; set; }
        /// <summary>PUBACK / PUBREC of received messages, in arrival order even when some are accepted late.</summary>
        public AcknowledgementSequencer Acknowledgements { get; set; }
        public IncomingTopicAliases IncomingAliases { get; set; }
        public Task ReceiveTask { get; set; } = Task.CompletedTask;
        public Task KeepAliveTask { get; set; } = Task.CompletedTask;

        public long LastReceiveTimestamp;
        /// <summary>When the outstanding PINGREQ was sent, 0 when none is outstanding.</summary>
        public long PingSentTimestamp;
        /// <summary>The receive loop waits for the consumer (back-pressure): the link is not dead, we are not reading.</summary>
        public volatile bool ReceiveBlocked;

        /// <summary>Called by the receive loop when it ends: the decoder goes back to the pool.</summary>
        public void ReceiveLoopEnded()
        {
            if (Interlocked.Exchange(ref _decoderReleased, 1) == 0) Decoder.Dispose();
        }

        private int _decoderReleased;

        public bool IsClosed => Volatile.Read(ref _closed) != 0;

        /// <summary>Closes the socket and stops the loops; true only for the first caller.</summary>
        public bool Close()
        {
            if (Interlocked.Exchange(ref _closed, 1) != 0) return false;
            try { Cancellation.Cancel(); } catch (System.AggregateException) { }
            Writer?.Fail(new MqttConnectionLostException("The connection is closed."));
            try { Stream.Dispose(); } catch (IOException) { }
            Writer?.Dispose();
            return true;
        }
    }
}
