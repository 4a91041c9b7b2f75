using System.Collections.Generic;
using System.Threading.Tasks;
using MqttPS.Core.Messages;

namespace MqttPS.Core.Shell
{
    /// <summary>Something on a connection that wants the messages matching its filters: a streaming
    /// subscription, a background one, or a retained-message collection.</summary>
    public interface IMessageSink
    {
        IReadOnlyList<string> TopicFilters { get; }

        /// <summary>Wants only the retained messages a subscription brings (Get-MqttRetainedMessage), not live ones:
        /// it never raises the QoS of a filter others already use, and gets no live messages.</summary>
        bool RetainedOnly { get; }

        /// <summary>Called on a network thread; must not block. The task completes when the sink has accepted the
        /// message (at once unless its queue is full); until then a QoS 1/2 message stays unacknowledged.</summary>
        Task Offer(MqttMessage message);

        /// <summary>Called on a network thread when the connection closes for good: closed by the user, or
        /// <paramref name="lost"/> (broker gone, network down, no automatic reconnect).</summary>
        void OnConnectionClosed(string reason, bool lost);
    }
}
