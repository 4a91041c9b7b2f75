namespace MqttPS.Core.Broker
{
    /// <summary>
    /// The default authorizer: every topic is allowed, except what no client may publish to: the broker's own
    /// $SYS tree (mosquitto allows only the bridge state topic $SYS/broker/connection/+/state) and topic names starting
    /// with $share, which name no topic.
    /// </summary>
    public sealed class AllowAllAuthorizer : IMqttBrokerAuthorizer
    {
        public static readonly AllowAllAuthorizer Instance = new AllowAllAuthorizer();

        public bool CanPublish(MqttClientIdentity client, string topic) => IsPublishableByClients(topic);
        public bool CanSubscribe(MqttClientIdentity client, string topicFilter) => true;
        public bool CanReceive(MqttClientIdentity client, string topic) => true;

        /// <summary>Shared by every authorizer: the rules a client can never be granted.</summary>
        public static bool IsPublishableByClients(string topic)
        {
            if (topic.Length == 0 || topic[0] != '$') return true;
            if (topic.StartsWith("$share/", System.StringComparison.Ordinal) || topic == "$share") return false;
            if (topic.StartsWith("$SYS/", System.StringComparison.Ordinal) || topic == "$SYS")
            {
                // $SYS/broker/connection/<name>/state is where bridges report their state.
                const string prefix = "$SYS/broker/connection/";
                if (topic.StartsWith(prefix, System.StringComparison.Ordinal) && topic.EndsWith("/state", System.StringComparison.Ordinal))
                {
                    var middle = topic.Substring(prefix.Length, topic.Length - prefix.Length - "/state".Length);
                    return middle.Length > 0 && middle.IndexOf('/') < 0;
                }
                return false;
            }
            return true;
        }
    }
}
