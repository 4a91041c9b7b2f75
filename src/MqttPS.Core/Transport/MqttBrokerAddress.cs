using System;
using System.Globalization;

namespace MqttPS.Core.Transport
{
    /// <summary>
    /// Where a broker is and how to reach it: host, port, transport and (for WebSocket) the path. Parsed from what
    /// a user types: "host", "host:port", "[::1]:1883", or a URI with scheme mqtt://, tcp://, mqtts://, ssl://,
    /// ws:// or wss://. Default ports: 1883 (TCP), 8883 (TLS), 80 (ws), 443 (wss).
    /// </summary>
    public sealed class MqttBrokerAddress
    {
        public const string DefaultWebSocketPath = "/mqtt";

        public MqttBrokerAddress(string host, int port, MqttTransportKind kind = MqttTransportKind.Tcp, string path = null)
        {
            if (string.IsNullOrWhiteSpace(host)) throw new ArgumentException("The broker host name is empty.", nameof(host));
            if (port < 1 || port > 65535) throw new ArgumentException("The broker port " + port + " is outside 1-65535.", nameof(port));
            Host = host;
            Port = port;
            Kind = kind;
            Path = IsWebSocket(kind) ? (string.IsNullOrEmpty(path) ? DefaultWebSocketPath : path) : null;
        }

        public string Host { get; }
        public int Port { get; }
        public MqttTransportKind Kind { get; }

        /// <summary>HTTP path of the WebSocket endpoint ("/mqtt" unless given); null for TCP and TLS.</summary>
        public string Path { get; }

        public bool UsesTls => Kind == MqttTransportKind.Tls || Kind == MqttTransportKind.SecureWebSocket;
        public bool UsesWebSocket => IsWebSocket(Kind);

        public static int DefaultPort(MqttTransportKind kind)
        {
            switch (kind)
            {
                case MqttTransportKind.Tls: return 8883;
                case MqttTransportKind.WebSocket: return 80;
                case MqttTransportKind.SecureWebSocket: return 443;
                default: return 1883;
            }
        }

        /// <summary>
        /// Parses a broker host or URI. <paramref name="port"/> supplies the port when the text has none (and must
        /// agree with it when it has one). <paramref name="useTls"/> true turns tcp into TLS and ws into wss; false
        /// conflicts with a secure scheme.
        /// </summary>
        public static MqttBrokerAddress Parse(string brokerHostOrUri, int? port = null, bool? useTls = null)
        {
            if (brokerHostOrUri == null) throw new ArgumentNullException(nameof(brokerHostOrUri));
            var text = brokerHostOrUri.Trim();
            if (text.Length == 0) throw new ArgumentException("The broker address is empty.", nameof(brokerHostOrUri));

            var kind = MqttTransportKind.Tcp;
            var explicitScheme = false;
            var rest = text;
            var schemeEnd = text.IndexOf("://", StringComparison.Ordinal);
            if (schemeEnd >= 0)
            {
                var scheme = text.Substring(0, schemeEnd).ToLowerInvariant();
                switch (scheme)
                {
                    case "mqtt": case "tcp": kind = MqttTransportKind.Tcp; break;
                    case "mqtts": case "ssl": case "tls": kind = MqttTransportKind.Tls; break;
                    case "ws": kind = MqttTransportKind.WebSocket; break;
                    case "wss": kind = MqttTransportKind.SecureWebSocket; break;
                    default:
                        throw new ArgumentException("Unsupported scheme '" + scheme + "' in broker address '" + text +
                            "': use mqtt://, tcp://, mqtts://, ssl://, ws:// or wss://.", nameof(brokerHostOrUri));
                }
                explicitScheme = true;
                rest = text.Substring(schemeEnd + 3);
            }

            string path = null;
            var slash = rest.IndexOf('/');
            if (slash >= 0)
            {
                path = rest.Substring(slash);
                rest = rest.Substring(0, slash);
                if (!IsWebSocket(kind) && path != "/")
                    throw new ArgumentException("The broker address '" + text + "' has a path ('" + path +
                        "'), which only ws:// and wss:// addresses can have.", nameof(brokerHostOrUri));
                if (!IsWebSocket(kind)) path = null;
            }
            if (rest.IndexOf('@') >= 0)
                throw new ArgumentException("The broker address '" + text + "' contains user information ('@'): pass the user name and password as credentials instead.", nameof(brokerHostOrUri));

            string host;
            int? textPort = null;
            if (rest.StartsWith("[", StringComparison.Ordinal))
            {
                var close = rest.IndexOf(']');
                if (close < 0) throw new ArgumentException("The broker address '" + text + "' has '[' without a closing ']' around the IPv6 address.", nameof(brokerHostOrUri));
                host = rest.Substring(1, close - 1);
                var after = rest.Substring(close + 1);
                if (after.Length > 0)
                {
                    if (after[0] != ':') throw new ArgumentException("Unexpected '" + after + "' after the IPv6 address in broker address '" + text + "'.", nameof(brokerHostOrUri));
                    textPort = ParsePort(after.Substring(1), text);
                }
            }
            else
            {
                var firstColon = rest.IndexOf(':');
                if (firstColon >= 0 && rest.IndexOf(':', firstColon + 1) >= 0)
                {
                    // Several colons and no brackets: a bare IPv6 address, which cannot carry a port.
                    host = rest;
                }
                else if (firstColon >= 0)
                {
                    host = rest.Substring(0, firstColon);
                    textPort = ParsePort(rest.Substring(firstColon + 1), text);
                }
                else host = rest;
            }
            if (host.Length == 0) throw new ArgumentException("The broker address '" + text + "' has no host name.", nameof(brokerHostOrUri));

            if (useTls == true)
            {
                if (kind == MqttTransportKind.Tcp) kind = MqttTransportKind.Tls;
                else if (kind == MqttTransportKind.WebSocket) kind = MqttTransportKind.SecureWebSocket;
            }
            else if (useTls == false && (kind == MqttTransportKind.Tls || kind == MqttTransportKind.SecureWebSocket) && explicitScheme)
            {
                throw new ArgumentException("The broker address '" + text + "' asks for TLS, but TLS was switched off.", nameof(useTls));
            }

            if (port.HasValue)
            {
                if (port.Value < 1 || port.Value > 65535) throw new ArgumentException("The broker port " + port.Value + " is outside 1-65535.", nameof(port));
                if (textPort.HasValue && textPort.Value != port.Value)
                    throw new ArgumentException("The broker address '" + text + "' names port " + textPort.Value + " but port " + port.Value + " was also given.", nameof(port));
            }
            var chosenPort = textPort ?? port ?? DefaultPort(kind);
            return new MqttBrokerAddress(host, chosenPort, kind, path);
        }

        private static int ParsePort(string value, string text)
        {
            if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port < 1 || port > 65535)
                throw new ArgumentException("The port '" + value + "' in broker address '" + text + "' is not a number from 1 to 65535.", "brokerHostOrUri");
            return port;
        }

        private static bool IsWebSocket(MqttTransportKind kind) => kind == MqttTransportKind.WebSocket || kind == MqttTransportKind.SecureWebSocket;

        public string Scheme
        {
            get
            {
                switch (Kind)
                {
                    case MqttTransportKind.Tls: return "mqtts";
                    case MqttTransportKind.WebSocket: return "ws";
                    case MqttTransportKind.SecureWebSocket: return "wss";
                    default: return "mqtt";
                }
            }
        }

        /// <summary>The host as it appears in a URI or Host header: IPv6 literals in brackets.</summary>
        public string HostForUri => Host.IndexOf(':') >= 0 ? "[" + Host + "]" : Host;

        public Uri ToUri() => new Uri(ToString());

        public override string ToString() => Scheme + "://" + HostForUri + ":" + Port.ToString(CultureInfo.InvariantCulture) + (Path ?? string.Empty);
    }
}
