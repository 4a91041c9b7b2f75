using System;

namespace MqttPS.Core.Broker.Security
{
    /// <summary>
    /// Topic permissions from an <see cref="AclFile"/> (mosquitto acl_file semantics). Whatever the file says, no client
    /// may publish into the broker's $SYS tree or to "$share/..." names (<see cref="AllowAllAuthorizer.IsPublishableByClients"/>).
    /// Refusals become PUBACK/PUBREC 0x87 (5.0; 3.1.1 gets the ordinary acknowledgement and the message is dropped,
    /// since 3.1.1 has no way to refuse a publish) and SUBACK 0x87 (3.1.1: 0x80).
    /// </summary>
    public sealed class MqttAclAuthorizer : IMqttBrokerAuthorizer
    {
        public MqttAclAuthorizer(AclFile acl)
        {
            Acl = acl ?? throw new ArgumentNullException(nameof(acl));
        }

        public AclFile Acl { get; }

        public bool CanPublish(MqttClientIdentity client, string topic) =>
            AllowAllAuthorizer.IsPublishableByClients(topic) && Acl.CanPublish(topic, client.Username, client.ClientId);

        public bool CanSubscribe(MqttClientIdentity client, string topicFilter) => Acl.CanSubscribe(topicFilter, client.Username, client.ClientId);

        public bool CanReceive(MqttClientIdentity client, string topic) => Acl.CanRead(topic, client.Username, client.ClientId);
    }
}
