namespace MqttPS.Core.Protocol
{
    /// <summary>One topic filter of a SUBSCRIBE with its subscription options.</summary>
    public sealed class MqttTopicSubscription
    {
        public MqttTopicSubscription() { }

        public MqttTopicSubscription(string topicFilter, MqttQualityOfService qos)
        {
            TopicFilter = topicFilter;
            QoS = qos;
        }

        public string TopicFilter { get; set; }
        public MqttQualityOfService QoS { get; set; }
        public bool NoLocal { get; set; }
        public bool RetainAsPublished { get; set; }
        public RetainHandling RetainHandling { get; set; }
    }
}
