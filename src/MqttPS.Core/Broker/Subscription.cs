using MqttPS.Core.Protocol;

namespace MqttPS.Core.Broker
{
    /// <summary>One session's subscription to one topic filter, with its 5.0 options.</summary>
    internal sealed class Subscription : SubscriptionEntry
    {
        public Subscription(MqttSession session, string topicFilter, string matchFilter, string shareName, MqttTopicSubscription options, uint subscriptionIdentifier)
        {
            Session = session;
            TopicFilter = topicFilter;
            MatchFilter = matchFilter;
            ShareName = shareName;
            QoS = options.QoS;
            NoLocal = options.NoLocal;
            RetainAsPublished = options.RetainAsPublished;
            RetainHandling = options.RetainHandling;
            SubscriptionIdentifier = subscriptionIdentifier;
        }

        public MqttSession Session { get; }

        /// <summary>The filter as the client sent it (including "$share/name/").</summary>
        public string TopicFilter { get; }

        /// <summary>The filter matched against topics (without the share prefix).</summary>
        public string MatchFilter { get; }

        /// <summary>Share name of a shared subscription, else null.</summary>
        public string ShareName { get; }
        public MqttQualityOfService QoS { get; }
        public bool NoLocal { get; }
        public bool RetainAsPublished { get; }
        public RetainHandling RetainHandling { get; }

        /// <summary>0 = none.</summary>
        public uint SubscriptionIdentifier { get; }
    }
}
