using MqttPS.Core.Messages;
using MqttPS.Core.Protocol;

namespace MqttPS.Core.Shell
{
    /// <summary>
    /// How a retained message is cleared through any broker: a retained PUBLISH with an empty payload removes
    /// the retained message of that topic [MQTT-3.3.1-6], [MQTT-3.3.1-7]. Sent at QoS 1 so the broker's
    /// acknowledgement confirms it was processed.
    /// </summary>
    public static class RetainedMessageClearing
    {
        public static MqttMessage CreateClearMessage(string topic)
        {
            if (topic != null && MqttPS.Core.Topics.MqttTopic.HasWildcards(topic))
                throw new MqttShellException("WildcardTopic", ShellErrorCategory.InvalidArgument,
                    "-Topic " + ShellText.Quote(topic) + " contains a wildcard; a retained message is cleared by its exact topic. Use -Filter to clear every retained message under a filter.", topic);
            TopicValidation.RequireTopicName(topic, "Topic");
            return new MqttMessage(topic, new byte[0], MqttQualityOfService.AtLeastOnce, true);
        }
    }
}
