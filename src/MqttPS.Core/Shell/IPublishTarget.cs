using System.Threading;
using System.Threading.Tasks;
using MqttPS.Core.Messages;

namespace MqttPS.Core.Shell
{
    /// <summary>Where a <see cref="PublishWindow"/> publishes: a connection (or a test's stand-in).</summary>
    public interface IPublishTarget
    {
        /// <summary>The connection's name, for messages.</summary>
        string Name { get; }

        Task<MqttPublishOutcome> PublishAsync(MqttMessage message, CancellationToken cancellationToken);

        /// <summary>The connection is lost and reconnecting automatically: publishes wait in its offline queue.</summary>
        bool IsReconnecting { get; }

        /// <summary>Publishes in the offline queue.</summary>
        int QueuedMessages { get; }

        /// <summary>How many the offline queue takes.</summary>
        int OfflineQueueSize { get; }

        /// <summary>Why the connection was lost, once it has ended for good; else null.</summary>
        string LostReason { get; }

        /// <summary>Automatic reconnects so far: after one, unacknowledged publishes are sent again and get a fresh deadline.</summary>
        int ReconnectCount { get; }
    }
}
