using System;
using System.Collections.Generic;
using System.IO;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace MqttPS.Core.Transport
{
    /// <summary>
    /// The HTTP/1.1 Upgrade handshake of RFC 6455 section 4, both sides. The client checks the server's
    /// Sec-WebSocket-Accept (SHA-1 of the key and the RFC's GUID) and the chosen subprotocol; the server
    /// validates the request and selects a subprotocol. Bytes read past the header end belong to the first
    /// frames and are handed to the <see cref="WebSocketStream"/>.
    /// </summary>
    public static class WebSocketHandshake
    {
        public const string MqttSubProtocol = "mqtt";
        private const string AcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
        private const int MaxHeaderBytes = 16 * 1024;

        /// <summary>Client side: sends the Upgrade request and returns a masking WebSocketStream over <paramref name="inner"/>.</summary>
        public static async Task<WebSocketStream> ConnectAsync(Stream inner, string hostHeader, string path, string subProtocol, CancellationToken cancellationToken)
        {
            var keyBytes = new byte[16];
            using (var rng = RandomNumberGenerator.Create()) rng.GetBytes(keyBytes);
            var key = Convert.ToBase64String(keyBytes);
            var request = new StringBuilder();
            request.Append("GET ").Append(string.IsNullOrEmpty(path) ? "/" : path).Append(" HTTP/1.1\r\n");
            request.Append("Host: ").Append(hostHeader).Append("\r\n");
            request.Append("Upgrade: websocket\r\nConnection: Upgrade\r\n");
            request.Append("Sec-WebSocket-Key: ").Append(key).Append("\r\n");
            request.Append("Sec-WebSocket-Version: 13\r\n");
            if (!string.IsNullOrEmpty(subProtocol)) request.Append("Sec-WebSocket-Protocol: ").Append(subProtocol).Append("\r\n");
            request.Append("\r\n");
            var bytes = Encoding.ASCII.GetBytes(request.ToString());
            await inner.WriteAsync(bytes, 0, bytes.Length, cancellationToken).ConfigureAwait(false);
            await inner.FlushAsync(cancellationToken).ConfigureAwait(false);

            var head = await ReadHeadAsync(inner, cancellationToken).ConfigureAwait(false);
            var lines = head.Lines;
            var status = lines[0].Split(new[] { ' ' }, 3);
            if (status.Length < 2 || !status[0].StartsWith("HTTP/", StringComparison.Ordinal))
                throw new MqttWebSocketException("The WebSocket server did not answer with HTTP: '" + lines[0] + "'.");
            if (status[1] != "101")
                throw new MqttWebSocketException("The WebSocket server refused the upgrade of '" + path + "': HTTP " + status[1] + (status.Length > 2 ? " " + status[2] : "") + ".");
            var headers = ParseHeaders(lines);
            if (!HeaderHasToken(headers, "Upgrade", "websocket")) throw new MqttWebSocketException("The WebSocket server's 101 response lacks 'Upgrade: websocket' [RFC 6455 4.1].");
            if (!HeaderHasToken(headers, "Connection", "upgrade")) throw new MqttWebSocketException("The WebSocket server's 101 response lacks 'Connection: Upgrade' [RFC 6455 4.1].");
            headers.TryGetValue("sec-websocket-accept", out var accept);
            if (accept != ComputeAccept(key)) throw new MqttWebSocketException("The WebSocket server's Sec-WebSocket-Accept '" + accept + "' does not match the key sent [RFC 6455 4.1].");
            if (!string.IsNullOrEmpty(subProtocol))
            {
                headers.TryGetValue("sec-websocket-protocol", out var chosen);
                if (!string.Equals(chosen, subProtocol, StringComparison.OrdinalIgnoreCase))
                    throw new MqttWebSocketException("The WebSocket server did not accept subprotocol '" + subProtocol + "'" + (chosen == null ? "" : " (it chose '" + chosen + "')") + ".");
            }
            return new WebSocketStream(inner, true, head.Leftover, head.LeftoverCount);
        }

        /// <summary>
        /// Server side: reads the Upgrade request from <paramref name="inner"/>, answers 101 (or 400 and throws) and
        /// returns a non-masking WebSocketStream. <paramref name="acceptedSubProtocols"/> are tried in the client's order;
        /// a client that offers none is accepted without one.
        /// </summary>
        public static async Task<WebSocketServerHandshakeResult> AcceptAsync(Stream inner, IList<string> acceptedSubProtocols, CancellationToken cancellationToken)
        {
            var head = await ReadHeadAsync(inner, cancellationToken).ConfigureAwait(false);
            var lines = head.Lines;
            var request = lines[0].Split(' ');
            var headers = ParseHeaders(lines);
            string problem = null;
            if (request.Length != 3 || request[0] != "GET" || !request[2].StartsWith("HTTP/1.", StringComparison.Ordinal)) problem = "not a GET request: '" + lines[0] + "'";
            else if (!HeaderHasToken(headers, "Upgrade", "websocket")) problem = "missing 'Upgrade: websocket'";
            else if (!HeaderHasToken(headers, "Connection", "upgrade")) problem = "missing 'Connection: Upgrade'";
            else if (!headers.TryGetValue("sec-websocket-version", out var version) || version.Trim() != "13") problem = "unsupported Sec-WebSocket-Version (13 required)";
            else if (!headers.TryGetValue("sec-websocket-key", out var k) || !IsValidKey(k)) problem = "missing or invalid Sec-WebSocket-Key";

            string selected = null;
            if (problem == null && headers.TryGetValue("sec-websocket-protocol", out var offered))
            {
                foreach (var candidate in offered.Split(','))
                {
                    var name = candidate.Trim();
                    foreach (var accepted in acceptedSubProtocols ?? new string[0])
                    {
                        if (string.Equals(name, accepted, StringComparison.OrdinalIgnoreCase)) { selected = name; break; }
                    }
                    if (selected != null) break;
                }
                if (selected == null) problem = "none of the offered subprotocols '" + offered + "' is supported";
            }
            if (problem != null)
            {
                var refusal = Encoding.ASCII.GetBytes("HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
                try { await inner.WriteAsync(refusal, 0, refusal.Length, cancellationToken).ConfigureAwait(false); } catch (IOException) { }
                throw new MqttWebSocketException("WebSocket handshake refused: " + problem + " [RFC 6455 4.2.1].");
            }
            var response = new StringBuilder("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n");
            response.Append("Sec-WebSocket-Accept: ").Append(ComputeAccept(headers["sec-websocket-key"].Trim())).Append("\r\n");
            if (selected != null) response.Append("Sec-WebSocket-Protocol: ").Append(selected).Append("\r\n");
            response.Append("\r\n");
            var bytes = Encoding.ASCII.GetBytes(response.ToString());
            await inner.WriteAsync(bytes, 0, bytes.Length, cancellationToken).ConfigureAwait(false);
            await inner.FlushAsync(cancellationToken).ConfigureAwait(false);
            var stream = new WebSocketStream(inner, false, head.Leftover, head.LeftoverCount);
            return new WebSocketServerHandshakeResult(stream, request[1], selected, headers);
        }

        /// <summary>base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")) [RFC 6455 4.2.2].</summary>
        public static string ComputeAccept(string key)
        {
            using (var sha1 = SHA1.Create())
                return Convert.ToBase64String(sha1.ComputeHash(Encoding.ASCII.GetBytes(key + AcceptGuid)));
        }

        private static bool IsValidKey(string key)
        {
            try { return Convert.FromBase64String(key.Trim()).Length == 16; }
            catch (FormatException) { return false; }
        }

        private static bool HeaderHasToken(Dictionary<string, string> headers, string name, string token)
        {
            if (!headers.TryGetValue(name.ToLowerInvariant(), out var value)) return false;
            foreach (var part in value.Split(','))
                if (string.Equals(part.Trim(), token, StringComparison.OrdinalIgnoreCase)) return true;
            return false;
        }

        private static Dictionary<string, string> ParseHeaders(string[] lines)
        {
            var headers = new Dictionary<string, string>(StringComparer.Ordinal);
            for (var i = 1; i < lines.Length; i++)
            {
                var colon = lines[i].IndexOf(':');
                if (colon <= 0) continue;
                var name = lines[i].Substring(0, colon).Trim().ToLowerInvariant();
                var value = lines[i].Substring(colon + 1).Trim();
                headers[name] = headers.TryGetValue(name, out var existing) ? existing + ", " + value : value;
            }
            return headers;
        }

        private sealed class Head
        {
            public string[] Lines;
            public byte[] Leftover;
            public int LeftoverCount;
        }

        private static async Task<Head> ReadHeadAsync(Stream inner, CancellationToken cancellationToken)
        {
            var buffer = new byte[4096];
            var length = 0;
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (buffer.Length >= MaxHeaderBytes) throw new MqttWebSocketException("The WebSocket handshake header exceeds " + MaxHeaderBytes + " bytes.");
                    Array.Resize(ref buffer, buffer.Length * 2);
                }
                var n = await inner.ReadAsync(buffer, length, buffer.Length - length, cancellationToken).ConfigureAwait(false);
                if (n == 0) throw new MqttWebSocketException("The connection closed during the WebSocket handshake.");
                var searchFrom = Math.Max(0, length - 3);
                length += n;
                for (var i = searchFrom; i + 3 < length; i++)
                {
                    if (buffer[i] == '\r' && buffer[i + 1] == '\n' && buffer[i + 2] == '\r' && buffer[i + 3] == '\n')
                    {
                        var text = Encoding.ASCII.GetString(buffer, 0, i);
                        var leftoverCount = length - (i + 4);
                        var leftover = new byte[leftoverCount];
                        Buffer.BlockCopy(buffer, i + 4, leftover, 0, leftoverCount);
                        return new Head { Lines = text.Split(new[] { "\r\n" }, StringSplitOptions.None), Leftover = leftover, LeftoverCount = leftoverCount };
                    }
                }
            }
        }
    }
}
