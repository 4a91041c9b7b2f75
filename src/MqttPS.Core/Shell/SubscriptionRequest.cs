using System.Collections.Generic;
using MqttPS.Core.Client;
using MqttPS.Core.Protocol;

namespace MqttPS.Core.Shell
{
    /// <summary>The filters and options of Register-MqttSubscription or Get-MqttRetainedMessage, validated.</summary>
    public sealed class SubscriptionRequest
    {
        public string[] TopicFilters { get; set; }
        public MqttQualityOfService QoS { get; set; }
        public bool NoLocal { get; set; }
        public bool RetainAsPublished { get; set; }
        public RetainHandling RetainHandling { get; set; }

        /// <summary>Messages that may wait for the consumer (-QueueSize).</summary>
        public int QueueSize { get; set; } = BoundedMessageQueue.DefaultCapacity;

        /// <summary>What happens to QoS 0 messages when the queue is full (-OverflowPolicy); QoS 1/2 always wait.</summary>
        public ReceiveOverflowPolicy OverflowPolicy { get; set; } = ReceiveOverflowPolicy.DropOldest;

        /// <summary>Checks the delivery options (-QueueSize, -OverflowPolicy).</summary>
        public void ValidateDelivery()
        {
            if (QueueSize < 1)
                throw new MqttShellException("InvalidQueueSize", ShellErrorCategory.InvalidArgument, "-QueueSize " + QueueSize + " is less than 1.", QueueSize);
            if (!System.Enum.IsDefined(typeof(ReceiveOverflowPolicy), OverflowPolicy))
                throw new MqttShellException("InvalidOverflowPolicy", ShellErrorCategory.InvalidArgument, "-OverflowPolicy " + OverflowPolicy + " is not Backpressure, DropOldest or DropNewest.", OverflowPolicy);
        }

        public IReadOnlyList<MqttTopicSubscription> Build(MqttProtocolVersion version)
        {
            if (TopicFilters == null || TopicFilters.Length == 0)
                throw new MqttShellException("TopicFilterMissing", ShellErrorCategory.InvalidArgument, "-Topic needs at least one topic filter.", null);
            if ((int)QoS < 0 || (int)QoS > 2)
                throw new MqttShellException("InvalidQoS", ShellErrorCategory.InvalidArgument, "-QoS " + (int)QoS + " is not 0, 1 or 2.", QoS);
            if ((NoLocal || RetainAsPublished || RetainHandling != RetainHandling.SendAtSubscribe) && version != MqttProtocolVersion.V500)
                throw new MqttShellException("RequiresMqtt5", ShellErrorCategory.InvalidArgument,
                    "-NoLocal, -RetainAsPublished and -RetainHandling are MQTT 5.0 subscription options; this connection speaks " + PublishRequest.VersionText(version) + ".", null);
            var seen = new HashSet<string>(System.StringComparer.Ordinal);
            var result = new List<MqttTopicSubscription>();
            foreach (var filter in TopicFilters)
            {
                TopicValidation.RequireTopicFilter(filter, "Topic");
                if (filter.StartsWith("$share/", System.StringComparison.Ordinal) && NoLocal)
                    throw new MqttShellException("InvalidSubscriptionOptions", ShellErrorCategory.InvalidArgument,
                        "-NoLocal cannot be used with the shared subscription " + ShellText.Quote(filter) + " [MQTT-3.8.3-4].", filter);
                if (!seen.Add(filter)) continue;
                result.Add(new MqttTopicSubscription(filter, QoS)
                {
                    NoLocal = NoLocal,
                    RetainAsPublished = RetainAsPublished,
                    RetainHandling = RetainHandling,
                });
            }
            return result;
        }
    }
}
