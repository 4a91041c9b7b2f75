using System;
using System.Threading.Tasks;
using MqttPS.Core.Messages;

namespace MqttPS.Core.Client
{
    /// <summary>A message arrived. Raised on the network loop before queueing: set Handled to keep it out of the
    /// receive queue, and call <see cref="Defer"/> when the handler's own consumer cannot take it yet.</summary>
    public sealed class MqttMessageReceivedEventArgs : EventArgs
    {
        public MqttMessageReceivedEventArgs(MqttMessage message) { Message = message; }
        public MqttMessage Message { get; }
        public bool Handled { get; set; }

        /// <summary>What <see cref="Defer"/> was given, or null.</summary>
        internal Task Acceptance { get; private set; }

        /// <summary>
        /// The handler has taken the message (this sets <see cref="Handled"/>) but its consumer accepts it only when
        /// <paramref name="accepted"/> completes. QoS 1 and 2: the acknowledgement (PUBACK / PUBREC) is sent then, in
        /// arrival order, and the client goes on reading, so the broker holds further messages back once its window
        /// of unacknowledged ones is full (nothing acknowledged is ever dropped for lack of room). QoS 0 has no
        /// acknowledgement: the client stops reading the socket until <paramref name="accepted"/> completes.
        /// </summary>
        public void Defer(Task accepted)
        {
            Handled = true;
            Acceptance = accepted;
        }
    }
}
