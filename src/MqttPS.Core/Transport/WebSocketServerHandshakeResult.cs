using System.Collections.Generic;

namespace MqttPS.Core.Transport
{
    /// <summary>What the server side of a WebSocket handshake learned: the stream, the request path, the chosen subprotocol, the headers (lower-case names).</summary>
    public sealed class WebSocketServerHandshakeResult
    {
        internal WebSocketServerHandshakeResult(WebSocketStream stream, string path, string subProtocol, IReadOnlyDictionary<string, string> headers)
        {
            Stream = stream;
            Path = path;
            SubProtocol = subProtocol;
            Headers = headers;
        }

        public WebSocketStream Stream { get; }
        public string Path { get; }
        public string SubProtocol { get; }
        public IReadOnlyDictionary<string, string> Headers { get; }
    }
}
