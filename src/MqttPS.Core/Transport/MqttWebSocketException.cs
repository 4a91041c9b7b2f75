using System.IO;

namespace MqttPS.Core.Transport
{
    /// <summary>A WebSocket handshake or framing error (RFC 6455); an IOException so connection code treats it as a broken link.</summary>
    public sealed class MqttWebSocketException : IOException
    {
        public MqttWebSocketException(string message) : base(message) { }

        /// <summary>Close status code to send to the peer (1002 protocol error, 1003 unsupported data, 1009 too big), or 0.</summary>
        public MqttWebSocketException(string message, ushort closeStatus) : base(message) { CloseStatus = closeStatus; }

        public ushort CloseStatus { get; }
    }
}
