using System.Threading;

namespace MqttPS.Core.Broker
{
    /// <summary>The broker's running counters, updated lock-free from every connection.</summary>
    internal sealed class BrokerCounters
    {
        private long _messagesReceived, _messagesSent, _bytesReceived, _bytesSent;
        private long _publishReceived, _publishSent, _publishDropped, _clientsTotal, _protocolErrors;
        private int _clientsConnected, _clientsMaximum;

        public long MessagesReceived => Volatile.Read(ref _messagesReceived);
        public long MessagesSent => Volatile.Read(ref _messagesSent);
        public long BytesReceived => Volatile.Read(ref _bytesReceived);
        public long BytesSent => Volatile.Read(ref _bytesSent);
        public long PublishReceived => Volatile.Read(ref _publishReceived);
        public long PublishSent => Volatile.Read(ref _publishSent);
        public long PublishDropped => Volatile.Read(ref _publishDropped);
        public long ClientsTotal => Volatile.Read(ref _clientsTotal);
        public long ProtocolErrors => Volatile.Read(ref _protocolErrors);
        public int ClientsConnected => Volatile.Read(ref _clientsConnected);
        public int ClientsMaximum => Volatile.Read(ref _clientsMaximum);

        public void AddMessageReceived() => Interlocked.Increment(ref _messagesReceived);
        public void AddMessagesSent(int n) => Interlocked.Add(ref _messagesSent, n);
        public void AddBytesReceived(int n) => Interlocked.Add(ref _bytesReceived, n);
        public void AddBytesSent(int n) => Interlocked.Add(ref _bytesSent, n);
        public void AddPublishReceived() => Interlocked.Increment(ref _publishReceived);
        public void AddPublishSent() => Interlocked.Increment(ref _publishSent);
        public void AddPublishDropped() => Interlocked.Increment(ref _publishDropped);
        public void AddPublishDropped(long n) => Interlocked.Add(ref _publishDropped, n);
        public void AddProtocolError() => Interlocked.Increment(ref _protocolErrors);

        public void ClientConnected()
        {
            Interlocked.Increment(ref _clientsTotal);
            var now = Interlocked.Increment(ref _clientsConnected);
            int max;
            while (now > (max = Volatile.Read(ref _clientsMaximum)) && Interlocked.CompareExchange(ref _clientsMaximum, now, max) != max) { }
        }

        public void ClientDisconnected() => Interlocked.Decrement(ref _clientsConnected);
    }
}
