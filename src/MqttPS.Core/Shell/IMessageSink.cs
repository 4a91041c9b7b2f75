using System.Collections.Generic;
using MqttPS.Core.Messages;

namespace MqttPS.Core.Shell
{
    /// <summary>Something on a connection that wants the messages matching its filters: a streaming
    /// subscription, a background one, or a retained-message collection.</summary>
    public interface IMessageSink
    {
        IReadOnlyList<string> TopicFilters { get; }

        /// <summary>Called on a network thread; must not block.</summary>
        void Offer(MqttMessage message);

        /// <summary>Called on a network thread when the connection closes for good.</summary>
        void OnConnectionClosed(string reason);
    }
}
