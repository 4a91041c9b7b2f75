using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace MqttPS.MqttnetHost
{
    /// <summary>How to run the MQTTnet server: its plain TCP endpoint, optionally TLS and WebSocket, and the one
    /// behaviour switch that matters for comparisons (persistent sessions, off in MQTTnet by default).</summary>
    public sealed class MqttnetServerSettings
    {
        public IPAddress BindAddress { get; set; } = IPAddress.Loopback;

        /// <summary>Plain MQTT over TCP; 0 picks a free port.</summary>
        public int Port { get; set; }

        /// <summary>MQTTnet's EnablePersistentSessions: without it a session ends with its connection whatever the
        /// client asked for (Clean Session 0, Session Expiry Interval).</summary>
        public bool PersistentSessions { get; set; }

        /// <summary>MQTTnet's MaxPendingMessagesPerClient (its default is 1,000, the same bound as mosquitto's).</summary>
        public int MaxPendingMessagesPerClient { get; set; } = 1000;

        /// <summary>MQTT over TLS; 0 = no TLS endpoint (-1 picks a free port). Needs <see cref="TlsCertificate"/>.</summary>
        public int TlsPort { get; set; }
        public X509Certificate2 TlsCertificate { get; set; }

        /// <summary>MQTT over WebSocket (ws://, served by ASP.NET Core as MQTTnet does it); 0 = none (-1 picks a free port).</summary>
        public int WebSocketPort { get; set; }
        public string WebSocketPath { get; set; } = "/mqtt";

        /// <summary>Serve the WebSocket endpoint over TLS (wss://) with <see cref="TlsCertificate"/>.</summary>
        public bool WebSocketTls { get; set; }
    }
}
