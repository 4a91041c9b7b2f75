using System;
using System.IO;
using MqttPS.Core.Broker;
using MqttPS.Core.Broker.Security;

namespace MqttPS.Core.Shell
{
    /// <summary>
    /// Start-MqttBroker -AclPath: the broker's mosquitto-style <see cref="AclFile"/> as the broker's authorizer,
    /// with load failures turned into errors that name the file and line.
    /// </summary>
    public sealed class AclFileAuthorizer : IMqttBrokerAuthorizer
    {
        private readonly AclFile _acl;

        public AclFileAuthorizer(AclFile acl)
        {
            _acl = acl ?? throw new ArgumentNullException(nameof(acl));
        }

        public static AclFileAuthorizer Load(string path)
        {
            if (!File.Exists(path))
                throw new MqttShellException("AclFileNotFound", ShellErrorCategory.ObjectNotFound, "The ACL file '" + path + "' does not exist.", path);
            try
            {
                return new AclFileAuthorizer(AclFile.Load(path));
            }
            catch (FormatException e)
            {
                throw new MqttShellException("InvalidAclFile", ShellErrorCategory.InvalidData, e.Message, path, e);
            }
        }

        public bool CanPublish(MqttClientIdentity client, string topic) => _acl.CanPublish(topic, client.Username, client.ClientId);

        public bool CanSubscribe(MqttClientIdentity client, string topicFilter) => _acl.CanSubscribe(topicFilter, client.Username, client.ClientId);

        public bool CanReceive(MqttClientIdentity client, string topic) => _acl.CanRead(topic, client.Username, client.ClientId);
    }
}
