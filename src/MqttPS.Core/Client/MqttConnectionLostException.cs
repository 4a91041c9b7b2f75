using System;
using MqttPS.Core.Protocol;

namespace MqttPS.Core.Client
{
    /// <summary>The connection to the broker ended while an operation was waiting for it.</summary>
    public sealed class MqttConnectionLostException : Exception
    {
        public MqttConnectionLostException(string message, DisconnectReasonCode? reasonCode = null, Exception inner = null) : base(message, inner)
        {
            ReasonCode = reasonCode;
        }

        /// <summary>Reason code of the broker's DISCONNECT, when it sent one.</summary>
        public DisconnectReasonCode? ReasonCode { get; }

        /// <summary>For a publish that failed with the connection: true when its PUBLISH had been written (the broker
        /// may have it, unacknowledged), false when it had not been sent at all; null when not known.</summary>
        public bool? PublishWasSent { get; private set; }

        internal MqttConnectionLostException ForPublish(bool sent) =>
            new MqttConnectionLostException(Message, ReasonCode, InnerException) { PublishWasSent = sent };
    }
}
