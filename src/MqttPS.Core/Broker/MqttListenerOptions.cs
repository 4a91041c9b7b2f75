using System.Net;

namespace MqttPS.Core.Broker
{
    /// <summary>The transport a listener speaks. Only <see cref="Tcp"/> is implemented by the broker core; TLS and
    /// WebSocket listeners plug in through <see cref="IMqttBrokerListener"/>.</summary>
    public enum MqttListenerKind { Tcp, Tls, WebSocket, SecureWebSocket }

    /// <summary>One additional endpoint the broker listens on.</summary>
    public sealed class MqttListenerOptions
    {
        public MqttListenerKind Kind { get; set; } = MqttListenerKind.Tcp;
        public IPAddress BindAddress { get; set; } = IPAddress.Any;

        /// <summary>0 picks a free port; the bound one is in <see cref="MqttBroker.Endpoints"/>.</summary>
        public int Port { get; set; }

        /// <summary>WebSocket path, for the WebSocket kinds.</summary>
        public string Path { get; set; } = "/mqtt";
        public string CertificatePath { get; set; }
        public string CertificateKeyPath { get; set; }
        public string CertificatePassword { get; set; }
    }
}
