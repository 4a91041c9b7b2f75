using MqttPS.Core.Messages;

namespace MqttPS.Core.Shell
{
    /// <summary>The queue between a connection's network thread and a streaming subscription's pipeline thread.</summary>
    public sealed class BoundedMessageQueue : BoundedQueue<MqttMessage>
    {
        public BoundedMessageQueue(int capacity = DefaultCapacity) : base(capacity) { }
    }
}
