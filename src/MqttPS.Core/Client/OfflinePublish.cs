using System.Threading;
using System.Threading.Tasks;
using MqttPS.Core.Messages;

namespace MqttPS.Core.Client
{
    /// <summary>A publish accepted while disconnected; it is sent, in order, once the client has reconnected.</summary>
    internal sealed class OfflinePublish
    {
        public OfflinePublish(MqttMessage message, int windowLimit, CancellationToken cancellationToken)
        {
            Message = message;
            WindowLimit = windowLimit;
            CancellationToken = cancellationToken;
            Completion = new TaskCompletionSource<MqttPublishResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        public MqttMessage Message { get; }

        /// <summary>The in-flight window asked for with the publish (0: the connection's).</summary>
        public int WindowLimit { get; }
        public CancellationToken CancellationToken { get; }
        public TaskCompletionSource<MqttPublishResult> Completion { get; }
    }
}
