using System;
using MqttPS.Core.Messages;

namespace MqttPS.Core.Shell
{
    /// <summary>Where a background subscription's messages go: PowerShell's event manager, bridged by the cmdlet layer.</summary>
    public interface IMessageEventTarget
    {
        /// <summary>Raises the event for one message. Called on a thread-pool thread, one call at a time, in arrival order.</summary>
        void Raise(MqttMessage message);

        /// <summary>Calls <paramref name="reached"/> (on any thread) once every message raised before has been consumed:
        /// its action has run, or, without an action, it has been removed from the session's event queue.</summary>
        void RaiseCheckpoint(Action reached);
    }
}
