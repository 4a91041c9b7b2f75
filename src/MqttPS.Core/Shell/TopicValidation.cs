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
            if (!MqttTopic.Check(topic, false, out var rule, out var problem))
                throw new MqttShellException("InvalidTopicName", ShellErrorCategory.InvalidArgument,
                    "-" + parameterName + " " + ShellText.Quote(topic) + " is not a valid topic name [" + rule + "]: " + Problem(problem, topic, "Topic Name"), topic);
        }

        public static void RequireTopicFilter(string filter, string parameterName)
        {
            if (filter == null)
                throw new MqttShellException("TopicFilterMissing", ShellErrorCategory.InvalidArgument, "-" + parameterName + " is required.", null);
            string error;
            if (SharedSubscription.IsShared(filter))
            {
                if (!SharedSubscription.TryParse(filter, out SharedSubscription _, out error))
                    throw new MqttShellException("InvalidTopicFilter", ShellErrorCategory.InvalidArgument,
                        "-" + parameterName + " " + ShellText.Quote(filter) + " is not a valid shared subscription: " + error, filter);
                return;
            }
            if (!MqttTopic.Check(filter, true, out var rule, out var problem))
                throw new MqttShellException("InvalidTopicFilter", ShellErrorCategory.InvalidArgument,
                    "-" + parameterName + " " + ShellText.Quote(filter) + " is not a valid topic filter [" + rule + "]: " + Problem(problem, filter, "Topic Filter"), filter);
        }

        /// <summary>The engine's description of the problem without its own copy of the value (the message quotes it once).</summary>
        private static string Problem(string problem, string value, string what)
        {
            var prefix = what + " '" + MqttTopic.Printable(value) + "' ";
            if (problem.StartsWith(prefix, System.StringComparison.Ordinal)) return "it " + problem.Substring(prefix.Length);
            if (problem.StartsWith(what + " ", System.StringComparison.Ordinal)) return "it " + problem.Substring(what.Length + 1);
            return problem;
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
