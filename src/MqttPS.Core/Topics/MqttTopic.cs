using System;
using MqttPS.Core.Protocol;

namespace MqttPS.Core.Topics
{
    /// <summary>
    /// The topic rules of MQTT section 4.7: validation of Topic Names (what a PUBLISH carries) and Topic Filters
    /// (what a SUBSCRIBE carries), and matching a filter against a name. Identical in 3.1, 3.1.1 and 5.0.
    /// </summary>
    /// <remarks>
    /// <see cref="Matches"/> walks both strings by index and never allocates: the broker calls it (or the
    /// <see cref="SubscriptionIndex{T}"/> built on the same rules) once per message per candidate subscription.
    /// </remarks>
    public static class MqttTopic
    {
        public const char LevelSeparator = '/';
        public const char SingleLevelWildcard = '+';
        public const char MultiLevelWildcard = '#';

        /// <summary>Topic Names and Topic Filters are UTF-8 Encoded Strings: at most 65,535 bytes [MQTT-4.7.3-3].</summary>
        public const int MaximumUtf8Length = 65535;

        /// <summary>Throws <see cref="MqttProtocolException"/> (0x90 Topic Name invalid) naming the rule broken.</summary>
        public static void ValidateTopicName(string topic)
        {
            string specReference, message;
            if (!Check(topic, isFilter: false, out specReference, out message))
            {
                throw new MqttProtocolException(MqttReasonCode.TopicNameInvalid, specReference, message);
            }
        }

        /// <summary>Throws <see cref="MqttProtocolException"/> (0x8F Topic Filter invalid) naming the rule broken.</summary>
        /// <remarks>
        /// Checks the syntax of section 4.7 only. A "$share/{ShareName}/{filter}" filter is syntactically an
        /// ordinary filter here; its extra rules (MQTT 5.0 section 4.8.2) are checked by <see cref="SharedSubscription"/>.
        /// </remarks>
        public static void ValidateTopicFilter(string filter)
        {
            string specReference, message;
            if (!Check(filter, isFilter: true, out specReference, out message))
            {
                throw new MqttProtocolException(MqttReasonCode.TopicFilterInvalid, specReference, message);
            }
        }

        /// <summary>False with a message such as "[MQTT-4.7.1-1] ..." when <paramref name="topic"/> is not a valid Topic Name.</summary>
        public static bool TryValidateTopicName(string topic, out string error)
        {
            return TryCheck(topic, isFilter: false, out error);
        }

        /// <summary>False with a message such as "[MQTT-4.7.1-2] ..." when <paramref name="filter"/> is not a valid Topic Filter.</summary>
        public static bool TryValidateTopicFilter(string filter, out string error)
        {
            return TryCheck(filter, isFilter: true, out error);
        }

        /// <summary>True when the string contains '+' or '#' anywhere.</summary>
        public static bool HasWildcards(string filterOrTopic)
        {
            if (filterOrTopic == null) return false;
            for (int i = 0; i < filterOrTopic.Length; i++)
            {
                char c = filterOrTopic[i];
                if (c == SingleLevelWildcard || c == MultiLevelWildcard) return true;
            }
            return false;
        }

        /// <summary>
        /// True when the Topic Name <paramref name="topic"/> matches the Topic Filter <paramref name="filter"/>.
        /// Both are assumed valid (validate them where they enter the system); invalid input never throws but the
        /// result is then unspecified.
        /// </summary>
        /// <remarks>
        /// '+' matches exactly one level, possibly empty ("+/+" matches "/finance"); '#' matches its parent level and
        /// any number of child levels ("sport/#" matches "sport"). A filter starting with a wildcard does not match a
        /// topic starting with '$' [MQTT-4.7.2-1], so "#" does not deliver "$SYS/..." topics.
        /// </remarks>
        public static bool Matches(string filter, string topic)
        {
            if (filter == null) throw new ArgumentNullException(nameof(filter));
            if (topic == null) throw new ArgumentNullException(nameof(topic));

            int filterLength = filter.Length;
            int topicLength = topic.Length;

            if (topicLength > 0 && topic[0] == '$' && filterLength > 0
                && (filter[0] == SingleLevelWildcard || filter[0] == MultiLevelWildcard))
            {
                return false; // [MQTT-4.7.2-1]
            }

            int f = 0, t = 0;
            while (true)
            {
                // Here f and t are each at the start of a level (possibly an empty one).
                if (f < filterLength && filter[f] == MultiLevelWildcard && f + 1 == filterLength)
                {
                    return true;
                }

                if (f < filterLength && filter[f] == SingleLevelWildcard
                    && (f + 1 == filterLength || filter[f + 1] == LevelSeparator))
                {
                    f++;
                    while (t < topicLength && topic[t] != LevelSeparator) t++;
                }
                else
                {
                    while (f < filterLength && filter[f] != LevelSeparator)
                    {
                        if (t == topicLength || topic[t] != filter[f]) return false;
                        f++;
                        t++;
                    }
                    if (t < topicLength && topic[t] != LevelSeparator) return false;
                }

                // Both levels ended: f is at the end or a '/', and so is t.
                if (f == filterLength) return t == topicLength;
                if (t == topicLength)
                {
                    // The topic has no more levels; only "/#" can still match, '#' standing for the parent level.
                    return f + 2 == filterLength && filter[f + 1] == MultiLevelWildcard;
                }
                f++;
                t++;
            }
        }

        private static bool TryCheck(string value, bool isFilter, out string error)
        {
            string specReference, message;
            if (Check(value, isFilter, out specReference, out message))
            {
                error = null;
                return true;
            }
            error = "[" + specReference + "] " + message;
            return false;
        }

        internal static bool Check(string value, bool isFilter, out string specReference, out string message)
        {
            string what = isFilter ? "Topic Filter" : "Topic Name";
            if (string.IsNullOrEmpty(value))
            {
                specReference = "MQTT-4.7.3-1";
                message = what + " must be at least one character long.";
                return false;
            }

            int utf8Length = 0;
            for (int i = 0; i < value.Length; i++)
            {
                char c = value[i];
                if (c == '\0')
                {
                    specReference = "MQTT-4.7.3-2";
                    message = what + " '" + Printable(value) + "' contains the null character U+0000 at index " + i + ".";
                    return false;
                }

                if (c == SingleLevelWildcard || c == MultiLevelWildcard)
                {
                    if (!isFilter)
                    {
                        specReference = "MQTT-4.7.1-1";
                        message = "Topic Name '" + Printable(value) + "' contains the wildcard character '" + c
                                  + "' at index " + i + "; wildcards are only allowed in Topic Filters.";
                        return false;
                    }

                    bool startsLevel = i == 0 || value[i - 1] == LevelSeparator;
                    bool endsLevel = i + 1 == value.Length || value[i + 1] == LevelSeparator;
                    if (c == MultiLevelWildcard && !(startsLevel && i + 1 == value.Length))
                    {
                        specReference = "MQTT-4.7.1-2";
                        message = "Topic Filter '" + Printable(value) + "' has '#' at index " + i
                                  + "; the multi-level wildcard must be alone in the last level (e.g. 'sport/#').";
                        return false;
                    }
                    if (c == SingleLevelWildcard && !(startsLevel && endsLevel))
                    {
                        specReference = "MQTT-4.7.1-3";
                        message = "Topic Filter '" + Printable(value) + "' has '+' at index " + i
                                  + "; the single-level wildcard must occupy an entire level (e.g. 'sport/+/player1').";
                        return false;
                    }
                }

                if (c < 0x80)
                {
                    utf8Length += 1;
                }
                else if (c < 0x800)
                {
                    utf8Length += 2;
                }
                else if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
                {
                    utf8Length += 4;
                    i++;
                }
                else if (char.IsSurrogate(c))
                {
                    // A lone surrogate has no UTF-8 encoding; the string would be ill-formed on the wire.
                    specReference = "MQTT-1.5.4-1";
                    message = what + " contains an unpaired surrogate U+" + ((int)c).ToString("X4") + " at index " + i
                              + ", which cannot be encoded as well-formed UTF-8.";
                    return false;
                }
                else
                {
                    utf8Length += 3;
                }
            }

            if (utf8Length > MaximumUtf8Length)
            {
                specReference = "MQTT-4.7.3-3";
                message = what + " is " + utf8Length + " bytes long in UTF-8; the maximum is " + MaximumUtf8Length + ".";
                return false;
            }

            specReference = null;
            message = null;
            return true;
        }

        /// <summary>Keeps error messages readable: long values are shortened, control characters escaped.</summary>
        internal static string Printable(string value)
        {
            const int maxShown = 80;
            var builder = new System.Text.StringBuilder(Math.Min(value.Length, maxShown) + 8);
            for (int i = 0; i < value.Length && i < maxShown; i++)
            {
                char c = value[i];
                if (c < 0x20) builder.Append("\\u").Append(((int)c).ToString("x4"));
                else builder.Append(c);
            }
            if (value.Length > maxShown) builder.Append("...");
            return builder.ToString();
        }
    }
}
