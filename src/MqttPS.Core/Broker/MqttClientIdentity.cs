using MqttPS.Core.Protocol;

namespace MqttPS.Core.Broker
{
    /// <summary>Who a connected client is, as authorization rules need it (%c and %u patterns).</summary>
    public sealed class MqttClientIdentity
    {
        public MqttClientIdentity(string clientId, string username, MqttProtocolVersion protocolVersion)
        {
            ClientId = clientId;
            Username = username;
            ProtocolVersion = protocolVersion;
        }

        public string ClientId { get; }
        public string Username { get; }
        public MqttProtocolVersion ProtocolVersion { get; }
    }
}
