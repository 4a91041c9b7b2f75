using System;
using MqttPS.Core.Messages;

namespace MqttPS.Core.Broker
{
    /// <summary>Something that happened in the broker, for observability (Start-MqttBroker events, logs).</summary>
    public sealed class MqttBrokerEvent : EventArgs
    {
        public MqttBrokerEventKind Kind { get; set; }
        public DateTimeOffset Timestamp { get; set; } = DateTimeOffset.Now;
        public string ClientId { get; set; }

        /// <summary>Topic of a message, or the topic filter of a subscription event.</summary>
        public string Topic { get; set; }
        public MqttMessage Message { get; set; }

        /// <summary>Why: disconnect cause, drop cause, ...</summary>
        public string Reason { get; set; }

        /// <summary>The MQTT reason code involved, when there is one.</summary>
        public byte? ReasonCode { get; set; }

        public override string ToString() => Kind + " " + ClientId + " " + Topic + (Reason == null ? "" : " (" + Reason + ")");
    }
}
