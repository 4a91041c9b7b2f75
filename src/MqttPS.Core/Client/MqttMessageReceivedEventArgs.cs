using System;
using MqttPS.Core.Messages;

namespace MqttPS.Core.Client
{
    /// <summary>A message arrived. Raised on the network loop before queueing: set Handled to keep it out of the receive queue.</summary>
    public sealed class MqttMessageReceivedEventArgs : EventArgs
    {
        public MqttMessageReceivedEventArgs(MqttMessage message) { Message = message; }
        public MqttMessage Message { get; }
        public bool Handled { get; set; }
    }
}
