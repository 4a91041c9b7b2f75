using System;
using System.Collections.Concurrent;
using MqttPS.Core.Messages;
using MqttPS.Core.Shell;

namespace MqttPS.Module.Tests.Fakes
{
    /// <summary>Stands in for PowerShell's event manager behind a background subscription: records the raised
    /// messages; checkpoints are reached at once (an action that keeps up) unless <see cref="HoldCheckpoints"/>.</summary>
    public sealed class RecordingEventTarget : IMessageEventTarget
    {
        private readonly Action<MqttMessage> _onRaise;

        public RecordingEventTarget(Action<MqttMessage> onRaise = null) { _onRaise = onRaise; }

        public ConcurrentQueue<MqttMessage> Raised { get; } = new ConcurrentQueue<MqttMessage>();
        public ConcurrentQueue<Action> HeldCheckpoints { get; } = new ConcurrentQueue<Action>();
        public bool HoldCheckpoints { get; set; }
        public int Checkpoints;

        public void Raise(MqttMessage message)
        {
            Raised.Enqueue(message);
            _onRaise?.Invoke(message);
        }

        public void RaiseCheckpoint(Action reached)
        {
            System.Threading.Interlocked.Increment(ref Checkpoints);
            if (HoldCheckpoints) HeldCheckpoints.Enqueue(reached);
            else reached();
        }

        /// <summary>The consumer catches up: every held checkpoint is reached.</summary>
        public void ReleaseCheckpoints()
        {
            while (HeldCheckpoints.TryDequeue(out var reached)) reached();
        }
    }
}
