namespace MqttPS.Core.Protocol
{
    /// <summary>
    /// The few topic rules the codec itself must enforce. Temporary: replaced by MqttPS.Core.Topics.MqttTopic
    /// (topic rules in one place) once that lands on main.
    /// </summary>
    internal static class MqttTopicSyntax
    {
        public static bool HasWildcards(string topic) => topic.IndexOf('+') >= 0 || topic.IndexOf('#') >= 0;
    }
}
