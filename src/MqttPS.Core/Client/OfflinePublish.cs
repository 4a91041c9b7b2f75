using System.Threading;
using System.Threading.Tasks;
using MqttPS.Core.Messages;

namespace MqttPS.Core.Client
{
    /// <summary>A publish accepted while disconnected; it is sent, in order, once the client has reconnected.</summary>
    internal sealed class OfflinePublish
    {
        public OfflinePublish(MqttMessage message, CancellationToken cancellationToken)
        {
            Message = message;
            CancellationToken = cancellationToken;
            Completion = new TaskCompletionSource<MqttPublishResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        public MqttMessage Message { get; }
        public CancellationToken CancellationToken { get; }
        public TaskCompletionSource<MqttPublishResult> Completion { get; }
    }
}
