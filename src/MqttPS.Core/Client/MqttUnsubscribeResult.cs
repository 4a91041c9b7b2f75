using System.Collections.Generic;
using MqttPS.Core.Protocol;

namespace MqttPS.Core.Client
{
    /// <summary>The UNSUBACK: per filter reason codes in 5.0; for 3.1.1, which has none, Success for each filter.</summary>
    public sealed class MqttUnsubscribeResult
    {
        internal MqttUnsubscribeResult(IReadOnlyList<string> topicFilters, IReadOnlyList<UnsubAckReasonCode> reasonCodes, string reasonString)
        {
            TopicFilters = topicFilters;
            ReasonCodes = reasonCodes;
            ReasonString = reasonString;
        }

        public IReadOnlyList<string> TopicFilters { get; }
        public IReadOnlyList<UnsubAckReasonCode> ReasonCodes { get; }
        public string ReasonString { get; }
    }
}
