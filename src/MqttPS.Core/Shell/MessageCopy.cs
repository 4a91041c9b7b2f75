using MqttPS.Core.Messages;

namespace MqttPS.Core.Shell
{
    /// <summary>
    /// Copies a received message, so that a subscription presenting the payload its own way (-AsJson) does not
    /// change what another subscription on the same connection sees: both are handed the same received instance.
    /// </summary>
    public static class MessageCopy
    {
        public static MqttMessage Clone(MqttMessage source)
        {
            var copy = new MqttMessage(source.Topic, source.PayloadBytes, source.QoS, source.Retain)
            {
                Duplicate = source.Duplicate,
                ContentType = source.ContentType,
                PayloadFormatIndicator = source.PayloadFormatIndicator,
                MessageExpiryInterval = source.MessageExpiryInterval,
                ResponseTopic = source.ResponseTopic,
                CorrelationData = source.CorrelationData,
                Timestamp = source.Timestamp,
            };
            if (source.HasUserProperties) copy.UserProperties.AddRange(source.UserProperties);
            if (source.HasSubscriptionIdentifiers) copy.SubscriptionIdentifiers.AddRange(source.SubscriptionIdentifiers);
            return copy;
        }

        /// <summary>The message as a subscriber asked to see it; <paramref name="convertJson"/> turns parsed JSON
        /// into the caller's object model (PSCustomObject in the cmdlets). Always a copy, also for
        /// <see cref="PayloadFormat.Auto"/>: pipelines change the objects they get ($_.Topic = ... to re-publish),
        /// and the received instance is shared by every subscription on the connection that matches it.</summary>
        public static MqttMessage WithPayloadFormat(MqttMessage source, PayloadFormat format, System.Func<object, object> convertJson = null)
        {
            var copy = Clone(source);
            if (format == PayloadFormat.Auto) return copy;
            var view = PayloadDecoder.Decode(source, format);
            copy.Payload = format == PayloadFormat.Json && convertJson != null ? convertJson(view) : view;
            return copy;
        }
    }
}
