using System.Collections.Generic;
using MqttPS.Core.Protocol;

namespace MqttPS.Core.Client
{
    /// <summary>The SUBACK: one reason code per filter, in request order [MQTT-3.9.3-1].</summary>
    public sealed class MqttSubscribeResult
    {
        internal MqttSubscribeResult(IReadOnlyList<MqttTopicSubscription> subscriptions, IReadOnlyList<SubAckReasonCode> reasonCodes, string reasonString, IReadOnlyList<MqttUserProperty> userProperties)
        {
            Subscriptions = subscriptions;
            ReasonCodes = reasonCodes;
            ReasonString = reasonString;
            UserProperties = userProperties ?? new MqttUserProperty[0];
        }

        public IReadOnlyList<MqttTopicSubscription> Subscriptions { get; }
        public IReadOnlyList<SubAckReasonCode> ReasonCodes { get; }
        public string ReasonString { get; }
        public IReadOnlyList<MqttUserProperty> UserProperties { get; }

        /// <summary>True when every filter was granted (reason code below 0x80).</summary>
        public bool AllGranted
        {
            get
            {
                foreach (var code in ReasonCodes) if ((byte)code >= 0x80) return false;
                return true;
            }
        }
    }
}
