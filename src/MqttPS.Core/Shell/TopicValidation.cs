using MqttPS.Core.Topics;

namespace MqttPS.Core.Shell
{
    /// <summary>
    /// Checks topic names and filters where cmdlets take them, before anything reaches the network, with
    /// errors that name the parameter, the value and the rule it breaks.
    /// </summary>
    public static class TopicValidation
    {
        public static void RequireTopicName(string topic, string parameterName)
        {
            if (topic == null)
                throw new MqttShellException("TopicMissing", ShellErrorCategory.InvalidArgument, "-" + parameterName + " is required.", null);
            if (!MqttTopic.TryValidateTopicName(topic, out var error))
                throw new MqttShellException("InvalidTopicName", ShellErrorCategory.InvalidArgument,
                    "-" + parameterName + " '" + topic + "' is not a valid topic name: " + error, topic);
        }

        public static void RequireTopicFilter(string filter, string parameterName)
        {
            if (filter == null)
                throw new MqttShellException("TopicFilterMissing", ShellErrorCategory.InvalidArgument, "-" + parameterName + " is required.", null);
            string error;
            var valid = SharedSubscription.IsShared(filter)
                ? SharedSubscription.TryParse(filter, out SharedSubscription _, out error)
                : MqttTopic.TryValidateTopicFilter(filter, out error);
            if (!valid)
                throw new MqttShellException("InvalidTopicFilter", ShellErrorCategory.InvalidArgument,
                    "-" + parameterName + " '" + filter + "' is not a valid topic filter: " + error, filter);
        }

        /// <summary>Whether <paramref name="topic"/> matches <paramref name="filter"/>, after validating both.
        /// A shared subscription filter ($share/name/filter) matches as its inner filter does.</summary>
        public static bool Matches(string filter, string topic)
        {
            return MqttTopic.Matches(InnerFilter(filter), topic);
        }

        /// <summary>The filter that decides matching: for $share/{name}/{filter} the part after the share name.</summary>
        public static string InnerFilter(string filter)
        {
            return filter != null && SharedSubscription.TryParse(filter, out string _, out var inner) ? inner : filter;
        }
    }
}
