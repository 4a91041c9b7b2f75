using System;

namespace MqttPS.Core.Client
{
    /// <summary>The broker refused a QoS 1/2 publish: its PUBACK or PUBREC carried a failure reason code (0x80 or above).</summary>
    public sealed class MqttPublishException : Exception
    {
        public MqttPublishException(string topic, MqttPublishResult result)
            : base("The broker refused the publish to '" + topic + "': " + result.ReasonCode + " (0x" + ((byte)result.ReasonCode).ToString("X2") + ")" +
                   (string.IsNullOrEmpty(result.ReasonString) ? "." : ": " + result.ReasonString))
        {
            Topic = topic;
            Result = result;
        }

        public string Topic { get; }
        public MqttPublishResult Result { get; }
    }
}
