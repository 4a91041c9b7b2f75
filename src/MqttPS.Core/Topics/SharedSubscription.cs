using System;
using MqttPS.Core.Protocol;

namespace MqttPS.Core.Topics
{
    /// <summary>
    /// An MQTT 5.0 Shared Subscription filter, "$share/{ShareName}/{filter}" (section 4.8.2): the server delivers
    /// each matching message to one member of the share group instead of to every subscriber.
    /// </summary>
    /// <remarks>
    /// Errors follow mosquitto's choice: a malformed "$share/" structure (empty or wildcard-bearing ShareName,
    /// missing filter) is a Protocol Error (0x82); a well-structured share whose inner filter breaks the topic
    /// rules of section 4.7 is Topic Filter invalid (0x8F), exactly as the same filter outside a share would be.
    /// </remarks>
    public sealed class SharedSubscription
    {
        public const string Prefix = "$share/";

        private SharedSubscription(string shareName, string topicFilter)
        {
            ShareName = shareName;
            TopicFilter = topicFilter;
        }

        /// <summary>The share group name, e.g. "consumers" in "$share/consumers/jobs/#".</summary>
        public string ShareName { get; }

        /// <summary>The filter that is matched against topics, e.g. "jobs/#" in "$share/consumers/jobs/#".</summary>
        public string TopicFilter { get; }

        /// <summary>The filter as the client sent it.</summary>
        public string FullFilter => Prefix + ShareName + "/" + TopicFilter;

        public override string ToString() => FullFilter;

        /// <summary>True when <paramref name="filter"/> starts with "$share/", i.e. it must obey the shared subscription rules.</summary>
        public static bool IsShared(string filter)
        {
            return filter != null && filter.StartsWith(Prefix, StringComparison.Ordinal);
        }

        /// <summary>
        /// Parses a shared subscription filter; throws <see cref="MqttProtocolException"/> when it is not one or is
        /// invalid ([MQTT-4.8.2-1], [MQTT-4.8.2-2], or the section 4.7 rule its inner filter breaks).
        /// </summary>
        public static SharedSubscription Parse(string filter)
        {
            string shareName, topicFilter;
            MqttReasonCode reasonCode;
            string specReference, message;
            if (!TryParseCore(filter, out shareName, out topicFilter, out reasonCode, out specReference, out message))
            {
                throw new MqttProtocolException(reasonCode, specReference, message);
            }
            return new SharedSubscription(shareName, topicFilter);
        }

        /// <summary>
        /// True when <paramref name="filter"/> is a valid shared subscription; then <paramref name="shareName"/> and
        /// <paramref name="topicFilter"/> are its parts. False for ordinary filters and for invalid shares alike
        /// (use <see cref="IsShared"/> to tell them apart, or <see cref="TryParse(string, out SharedSubscription, out string)"/>
        /// for the reason).
        /// </summary>
        public static bool TryParse(string filter, out string shareName, out string topicFilter)
        {
            MqttReasonCode reasonCode;
            string specReference, message;
            return TryParseCore(filter, out shareName, out topicFilter, out reasonCode, out specReference, out message);
        }

        /// <summary>Like <see cref="Parse"/> without throwing: on failure <paramref name="error"/> names the rule broken.</summary>
        public static bool TryParse(string filter, out SharedSubscription subscription, out string error)
        {
            string shareName, topicFilter;
            MqttReasonCode reasonCode;
            string specReference, message;
            if (TryParseCore(filter, out shareName, out topicFilter, out reasonCode, out specReference, out message))
            {
                subscription = new SharedSubscription(shareName, topicFilter);
                error = null;
                return true;
            }
            subscription = null;
            error = string.IsNullOrEmpty(specReference) ? message : "[" + specReference + "] " + message;
            return false;
        }

        private static bool TryParseCore(string filter, out string shareName, out string topicFilter,
            out MqttReasonCode reasonCode, out string specReference, out string message)
        {
            shareName = null;
            topicFilter = null;
            reasonCode = MqttReasonCode.ProtocolError;

            if (!IsShared(filter))
            {
                specReference = "MQTT-4.8.2-1";
                message = "'" + filter + "' is not a shared subscription: it must start with '" + Prefix + "'.";
                return false;
            }

            int nameStart = Prefix.Length;
            int i = nameStart;
            while (i < filter.Length && filter[i] != MqttTopic.LevelSeparator)
            {
                char c = filter[i];
                if (c == MqttTopic.SingleLevelWildcard || c == MqttTopic.MultiLevelWildcard)
                {
                    specReference = "MQTT-4.8.2-2";
                    message = "Shared subscription '" + filter + "': the ShareName must not contain '+' or '#'.";
                    return false;
                }
                i++;
            }

            if (i == nameStart)
            {
                specReference = "MQTT-4.8.2-1";
                message = "Shared subscription '" + filter + "' has an empty ShareName; it must be at least one character long.";
                return false;
            }

            if (i + 1 >= filter.Length)
            {
                specReference = "MQTT-4.8.2-2";
                message = "Shared subscription '" + filter + "' has no Topic Filter after the ShareName; expected '"
                          + Prefix + "{ShareName}/{filter}'.";
                return false;
            }

            // The whole string is checked, not only the part after the ShareName: the 65,535-byte limit and the
            // ban on U+0000 apply to the filter as sent.
            if (!MqttTopic.Check(filter, isFilter: true, out specReference, out message))
            {
                reasonCode = MqttReasonCode.TopicFilterInvalid;
                message = "Shared subscription: " + message;
                return false;
            }

            shareName = filter.Substring(nameStart, i - nameStart);
            topicFilter = filter.Substring(i + 1);
            specReference = null;
            message = null;
            reasonCode = MqttReasonCode.Success;
            return true;
        }
    }
}
