using System.Collections.Generic;

namespace MqttPS.Core.Broker
{
    /// <summary>
    /// Retained messages a connection still has to send for its SUBSCRIBEs. They go out paced by the connection's
    /// socket (see BrokerConnection.PumpRetained): a few hundred KiB at a time, more as the client reads, so a client
    /// that keeps up gets every one of any number of them, and one that does not holds the broker's list, not
    /// encoded copies of the messages. Thread-safe.
    /// </summary>
    internal sealed class RetainedDelivery
    {
        private sealed class Batch
        {
            public Subscription Subscription;
            public List<BrokerMessage> Messages;
            public int Next;
        }

        private readonly Queue<Batch> _batches = new Queue<Batch>();
        private long _remaining;

        public bool IsEmpty { get { lock (_batches) return _remaining == 0; } }

        public void Add(Subscription subscription, List<BrokerMessage> messages)
        {
            if (messages.Count == 0) return;
            lock (_batches)
            {
                _batches.Enqueue(new Batch { Subscription = subscription, Messages = messages });
                _remaining += messages.Count;
            }
        }

        /// <summary>The next message to send and the subscription it is for; false when none is left.</summary>
        public bool TryTake(out Subscription subscription, out BrokerMessage message)
        {
            lock (_batches)
            {
                while (_batches.Count > 0)
                {
                    var batch = _batches.Peek();
                    if (batch.Next < batch.Messages.Count)
                    {
                        subscription = batch.Subscription;
                        message = batch.Messages[batch.Next];
                        batch.Messages[batch.Next++] = null; // sent: the list no longer keeps it alive
                        _remaining--;
                        return true;
                    }
                    _batches.Dequeue();
                }
            }
            subscription = null;
            message = null;
            return false;
        }

        /// <summary>Forgets everything not yet sent; returns how many messages that was.</summary>
        public long Clear()
        {
            lock (_batches)
            {
                var cut = _remaining;
                _batches.Clear();
                _remaining = 0;
                return cut;
            }
        }
    }
}
