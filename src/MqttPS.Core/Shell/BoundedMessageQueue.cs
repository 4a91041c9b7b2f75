using System.Threading.Tasks;
using MqttPS.Core.Client;
using MqttPS.Core.Messages;
using MqttPS.Core.Protocol;

namespace MqttPS.Core.Shell
{
    /// <summary>The queue between a connection's network thread and a subscription's consumer (the pipeline thread of a
    /// streaming subscription, the event pump of a background one). QoS 1/2 messages are never dropped: a full queue
    /// holds back their acknowledgement instead. QoS 0 messages follow the overflow policy.</summary>
    public sealed class BoundedMessageQueue : BoundedQueue<MqttMessage>
    {
        public BoundedMessageQueue(int capacity = DefaultCapacity, ReceiveOverflowPolicy overflowPolicy = ReceiveOverflowPolicy.DropOldest)
            : base(capacity, overflowPolicy) { }

        /// <summary>Queues a received message; the task completes when the message is accepted (see <see cref="BoundedQueue{T}.Add"/>).</summary>
        public Task Offer(MqttMessage message) => Add(message, message.QoS == MqttQualityOfService.AtMostOnce);
    }
}
