namespace MqttPS.Core.Transport
{
    /// <summary>How the MQTT byte stream travels to the broker.</summary>
    public enum MqttTransportKind
    {
        /// <summary>Plain TCP (mqtt://, tcp://), default port 1883.</summary>
        Tcp,
        /// <summary>TLS over TCP (mqtts://, ssl://), default port 8883.</summary>
        Tls,
        /// <summary>WebSocket (ws://), binary frames, subprotocol "mqtt", default port 80.</summary>
        WebSocket,
        /// <summary>WebSocket over TLS (wss://), default port 443.</summary>
        SecureWebSocket,
    }
}
