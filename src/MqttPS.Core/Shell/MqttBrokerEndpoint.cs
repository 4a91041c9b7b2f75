using System.Net;
using System.Net.Sockets;
using MqttPS.Core.Broker;

namespace MqttPS.Core.Shell
{
    /// <summary>
    /// One listener of an embedded broker as Get-MqttBroker shows it: its transport, the bound address and port, and
    /// a URI that Connect-Mqtt -Broker accepts from this machine ("mqtts://127.0.0.1:8883", "ws://127.0.0.1:8080/mqtt").
    /// </summary>
    public sealed class MqttBrokerEndpoint
    {
        public MqttBrokerEndpoint(MqttListenerKind kind, IPEndPoint endPoint, string path)
        {
            Kind = kind;
            Address = endPoint.Address;
            Port = endPoint.Port;
            Path = IsWebSocket ? (string.IsNullOrEmpty(path) ? "/mqtt" : path) : null;
        }

        public MqttListenerKind Kind { get; }
        public IPAddress Address { get; }
        public int Port { get; }

        /// <summary>The WebSocket path (WebSocket kinds only).</summary>
        public string Path { get; }

        public bool IsWebSocket => Kind == MqttListenerKind.WebSocket || Kind == MqttListenerKind.SecureWebSocket;
        public bool IsSecure => Kind == MqttListenerKind.Tls || Kind == MqttListenerKind.SecureWebSocket;

        public string Scheme
        {
            get
            {
                switch (Kind)
                {
                    case MqttListenerKind.Tls: return "mqtts";
                    case MqttListenerKind.WebSocket: return "ws";
                    case MqttListenerKind.SecureWebSocket: return "wss";
                    default: return "mqtt";
                }
            }
        }

        /// <summary>How a client on this machine reaches the listener: a wildcard bind address becomes loopback.</summary>
        public string Uri
        {
            get
            {
                var host = Address.Equals(IPAddress.Any) ? "127.0.0.1" : Address.Equals(IPAddress.IPv6Any) ? "[::1]"
                    : Address.AddressFamily == AddressFamily.InterNetworkV6 ? "[" + Address + "]" : Address.ToString();
                return Scheme + "://" + host + ":" + Port + (Path ?? "");
            }
        }

        public override string ToString() => Uri;
    }
}
