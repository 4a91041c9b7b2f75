namespace MqttPS.Core.Broker
{
    /// <summary>
    /// Topic-level permissions. Called on the routing hot path, hence synchronous: implementations keep their rules in
    /// memory. A refused publish never reaches a subscriber (5.0 PUBACK/PUBREC 0x87); a refused subscribe gets SUBACK 0x87.
    /// </summary>
    public interface IMqttBrokerAuthorizer
    {
        bool CanPublish(MqttClientIdentity client, string topic);
        bool CanSubscribe(MqttClientIdentity client, string topicFilter);

        /// <summary>Whether a matching message may be delivered to this subscriber (mosquitto's "read" ACL).</summary>
        bool CanReceive(MqttClientIdentity client, string topic);
    }
}
