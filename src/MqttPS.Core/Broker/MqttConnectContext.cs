using System.Net;
using MqttPS.Core.Protocol;

namespace MqttPS.Core.Broker
{
    /// <summary>What an authenticator sees of a CONNECT.</summary>
    public sealed class MqttConnectContext
    {
        public string ClientId { get; set; }
        public string Username { get; set; }
        public byte[] Password { get; set; }
        public EndPoint RemoteEndPoint { get; set; }
        public MqttProtocolVersion ProtocolVersion { get; set; }

        /// <summary>The listener the client arrived on (TLS listeners will add the client certificate here).</summary>
        public string ListenerName { get; set; }

        /// <summary>The whole CONNECT, for properties such as user properties or an authentication method.</summary>
        public ConnectPacket Packet { get; set; }
    }
}
