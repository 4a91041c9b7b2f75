using System;
using MqttPS.Core.Messages;

namespace MqttPS.Core.Shell
{
    /// <summary>The end of one publish from a window: the message, what the caller attached to it (the pipeline
    /// input), and either the broker's answer or the failure.</summary>
    public sealed class PublishCompletion
    {
        public PublishCompletion(MqttMessage message, object source, MqttPublishOutcome outcome, MqttShellException error)
        {
            Message = message;
            Source = source;
            Outcome = outcome;
            Error = error;
        }

        public MqttMessage Message { get; }
        public object Source { get; }
        public MqttPublishOutcome Outcome { get; }

        /// <summary>Null when the broker accepted the message.</summary>
        public MqttShellException Error { get; }

        public bool Succeeded => Error == null;
    }
}
