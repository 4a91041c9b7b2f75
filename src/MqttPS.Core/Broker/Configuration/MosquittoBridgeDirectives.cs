using System;
using System.Collections.Generic;
using System.Globalization;
using MqttPS.Core.Broker.Bridges;
using MqttPS.Core.Protocol;
using MqttPS.Core.Transport;

namespace MqttPS.Core.Broker.Configuration
{
    /// <summary>The bridge directives of mosquitto.conf: a connection line, and what follows it until the next one.</summary>
    internal static class MosquittoBridgeDirectives
    {
        public static void Add(List<MosquittoDirective> list)
        {
            void Mapped(string name, string note, Action<MosquittoConfigReader, ConfigLine, ConfigBridge> apply) =>
                list.Add(new MosquittoDirective(name, MosquittoDirectiveStatus.Mapped, note, (r, l) => { var b = Bridge(r, l); if (b != null) apply(r, l, b); }));
            void Ignored(string name, string note) =>
                list.Add(new MosquittoDirective(name, MosquittoDirectiveStatus.Ignored, note, (r, l) => { if (Bridge(r, l) != null) r.Warn(l, "ignored: " + note); }));
            void Refused(string name, string note) =>
                list.Add(new MosquittoDirective(name, MosquittoDirectiveStatus.Refused, note, (r, l) => r.Error(l, "not supported: " + note)));
            void Bool(string name, string note, Action<ConfigBridge, bool> set) =>
                Mapped(name, note, (r, l, b) => { if (r.TryBool(l, out var v)) { set(b, v); b.Lines[l.Directive] = l; } });
            void Text(string name, string note, Action<ConfigBridge, string> set) =>
                Mapped(name, note, (r, l, b) => { if (r.SetOnce(b.Lines, l)) set(b, l.Rest); });
            void Path(string name, string note, Action<ConfigBridge, string> set) =>
                Mapped(name, note, (r, l, b) => { if (r.SetOnce(b.Lines, l)) set(b, r.ResolvePath(l.Rest)); });

            list.Add(new MosquittoDirective("connection", MosquittoDirectiveStatus.Mapped, "starts a bridge: the broker connects to a remote broker as a client and carries the topics below across", (r, l) =>
            {
                if (!r.RequireValue(l)) return;
                var name = l.Words[0];
                var earlier = r.Bridges.Find(b => b.Options.Name == name);
                if (earlier != null) { r.Error(l, "a bridge named '" + name + "' is already defined at " + earlier.Source); return; }
                var bridge = new ConfigBridge(l, name);
                r.Bridges.Add(bridge);
                r.CurrentBridge = bridge;
            }));
            void Address(string name) => Mapped(name, "the remote broker as host[:port] (1883 when no port); several addresses fail over in order", (r, l, b) =>
            {
                if (b.Options.Addresses.Count > 0) { r.Error(l, "the bridge already has its addresses (one address line per bridge, as in mosquitto)"); return; }
                if (!r.RequireValue(l)) return;
                foreach (var word in l.Words)
                {
                    if (word.StartsWith("#", StringComparison.Ordinal)) break;
                    if (TryAddress(word, out var address, out var problem)) b.Options.Addresses.Add(address);
                    else r.Error(l, problem);
                }
                b.Lines[l.Directive] = l;
            });
            Address("address");
            Address("addresses");
            Mapped("topic", "pattern [in|out|both] [qos] [local-prefix] [remote-prefix]: what crosses, which way, at most which QoS, with prefixes remapped", (r, l, b) =>
            {
                if (!r.RequireValue(l)) return;
                var text = l.Rest;
                var comment = text.IndexOf(" #", StringComparison.Ordinal);
                if (comment > 0) text = text.Substring(0, comment);
                try { b.Options.Topics.Add(MqttBridgeTopic.Parse(text)); }
                catch (FormatException e) { r.Error(l, e.Message); }
            });
            Text("remote_clientid", "the client id on the remote broker (default: host name and connection name)", (b, v) => b.Options.RemoteClientId = v);
            Text("clientid", "the same as remote_clientid", (b, v) => b.Options.RemoteClientId = v);
            Text("local_clientid", "the client id of the bridge's session in this broker (default: local. and the remote client id)", (b, v) => b.Options.LocalClientId = v);
            Text("remote_username", "the user name on the remote broker", (b, v) => b.Options.RemoteUsername = v);
            Text("username", "the same as remote_username", (b, v) => b.Options.RemoteUsername = v);
            Text("remote_password", "the password on the remote broker", (b, v) => b.Options.RemotePassword = v);
            Text("password", "the same as remote_password", (b, v) => b.Options.RemotePassword = v);
            Ignored("local_username", "the bridge's own session needs no credentials (mosquitto 2.0 does not use it either)");
            Ignored("local_password", "the bridge's own session needs no credentials (mosquitto 2.0 does not use it either)");
            Path("bridge_cafile", "the CAs the remote broker's certificate must chain to: the bridge uses TLS", (b, v) => b.CaFile = v);
            Path("bridge_capath", "a directory of CA certificate files for the remote broker's certificate: the bridge uses TLS", (b, v) => b.CaPath = v);
            Path("bridge_certfile", "the bridge's client certificate (PEM; needs bridge_cafile or bridge_capath, as TLS does in mosquitto)", (b, v) => b.CertFile = v);
            Path("bridge_keyfile", "the private key of bridge_certfile (unencrypted PEM)", (b, v) => b.KeyFile = v);
            Mapped("bridge_insecure", "true: the remote broker's certificate need not match its host name (the chain is still checked); a warning says so", (r, l, b) =>
            {
                if (!r.TryBool(l, out var v)) return;
                b.Insecure = v;
                b.Lines[l.Directive] = l;
                if (v) r.Warn(l, "the bridge '" + b.Options.Name + "' does not check the remote broker's host name (bridge_insecure)");
            });
            Mapped("bridge_tls_version", "the oldest TLS version towards the remote broker (tlsv1.3, tlsv1.2, tlsv1.1)", (r, l, b) =>
            {
                if (!r.RequireValue(l)) return;
                if (l.Words[0] == "tlsv1.3" || l.Words[0] == "tlsv1.2" || l.Words[0] == "tlsv1.1") { b.TlsVersion = l.Words[0]; b.Lines[l.Directive] = l; }
                else r.Error(l, "'" + l.Words[0] + "' is not a TLS version (tlsv1.3, tlsv1.2 or tlsv1.1)");
            });
            Mapped("bridge_protocol_version", "mqttv31, mqttv311 (default) or mqttv50 towards the remote broker", (r, l, b) =>
            {
                if (!r.RequireValue(l)) return;
                switch (l.Words[0])
                {
                    case "mqttv31": b.Options.ProtocolVersion = MqttProtocolVersion.V310; break;
                    case "mqttv311": b.Options.ProtocolVersion = MqttProtocolVersion.V311; break;
                    case "mqttv50": b.Options.ProtocolVersion = MqttProtocolVersion.V500; break;
                    default: r.Error(l, "'" + l.Words[0] + "' is not a bridge protocol version (mqttv31, mqttv311 or mqttv50)"); break;
                }
            });
            Mapped("bridge_max_packet_size", "the largest packet the remote broker may send the bridge (MQTT 5.0); 0 = no limit", (r, l, b) =>
            {
                if (r.TryInt(l, int.MinValue, int.MaxValue, "bytes", out var v)) b.Options.MaximumPacketSize = (uint)Math.Max(0, v);
            });
            Bool("bridge_outgoing_retain", "false: messages go out without the retain flag", (b, v) => b.Options.OutgoingRetain = v);
            Bool("bridge_attempt_unsubscribe", "true (default): unsubscribe on the remote broker from topics that only go out", (b, v) => b.Options.AttemptUnsubscribe = v);
            Bool("cleansession", "clean session on the remote broker (default false: it keeps what comes in while the bridge is down)", (b, v) => b.Options.CleanSession = v);
            Bool("local_cleansession", "clean session of the bridge's own session here (default: cleansession); false keeps what waits to go out across restarts", (b, v) => b.Options.LocalCleanSession = v);
            Bool("notifications", "true (default): the bridge's state (1/0) is published retained on $SYS/broker/connection/<remote client id>/state, here and on the remote broker (0 there as its will)", (b, v) => b.Options.Notifications = v);
            Bool("notifications_local_only", "true: the state is published here only", (b, v) => b.Options.NotificationsLocalOnly = v);
            Text("notification_topic", "where the state is published instead of $SYS/broker/connection/<remote client id>/state", (b, v) => b.Options.NotificationTopic = v);
            Bool("round_robin", "false (default): after failing over, come back to the first address when it answers; true: stay where it works", (b, v) => b.Options.RoundRobin = v);
            Bool("try_private", "true (default): announce the bridge (protocol level 0x83/0x84) so the remote broker does not send back what it publishes; dropped when refused", (b, v) => b.Options.TryPrivate = v);
            Mapped("keepalive_interval", "the keep alive towards the remote broker (at least 5 seconds, as in mosquitto)", (r, l, b) =>
            {
                if (!r.TryInt(l, int.MinValue, 65535, "seconds", out var v)) return;
                if (v < 5) r.Warn(l, "a keep alive below 5 s is raised to 5 s, as in mosquitto");
                b.Options.KeepAliveSeconds = (ushort)Math.Max(5, v);
            });
            Mapped("restart_timeout", "base [cap]: the wait before reconnecting; with a cap, each wait is drawn between the base and three times the previous one, up to the cap", (r, l, b) =>
            {
                if (!r.RequireValue(l)) return;
                if (!int.TryParse(l.Words[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var baseSeconds)) { r.Error(l, "'" + l.Words[0] + "' is not a whole number of seconds"); return; }
                if (baseSeconds < 1) { r.Warn(l, "a restart timeout below 1 s is raised to 1 s, as in mosquitto"); baseSeconds = 1; }
                var capSeconds = baseSeconds;
                if (l.Words.Length > 1 && !l.Words[1].StartsWith("#", StringComparison.Ordinal))
                {
                    if (!int.TryParse(l.Words[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out capSeconds)) { r.Error(l, "'" + l.Words[1] + "' is not a whole number of seconds"); return; }
                    if (capSeconds < baseSeconds) { r.Error(l, "the cap (" + capSeconds + " s) is below the base (" + baseSeconds + " s)"); return; }
                }
                b.Options.RestartDelay = TimeSpan.FromSeconds(baseSeconds);
                b.Options.RestartDelayMax = TimeSpan.FromSeconds(capSeconds);
            });
            Mapped("start_type", "automatic (default), lazy (connect when threshold messages wait, leave after idle_timeout) or once; manual is refused as in mosquitto", (r, l, b) =>
            {
                if (!r.RequireValue(l)) return;
                switch (l.Words[0])
                {
                    case "automatic": b.Options.StartType = MqttBridgeStartType.Automatic; break;
                    case "lazy": b.Options.StartType = MqttBridgeStartType.Lazy; break;
                    case "once": b.Options.StartType = MqttBridgeStartType.Once; break;
                    case "manual": r.Error(l, "start_type manual is not supported (nor by mosquitto 2.0)"); break;
                    default: r.Error(l, "'" + l.Words[0] + "' is not a start type (automatic, lazy or once)"); break;
                }
            });
            Mapped("threshold", "lazy bridges: how many messages waiting to go out make the bridge connect (at least 1)", (r, l, b) =>
            {
                if (!r.TryInt(l, int.MinValue, int.MaxValue, "messages", out var v)) return;
                if (v < 1) r.Warn(l, "a threshold below 1 is raised to 1, as in mosquitto");
                b.Options.Threshold = (int)Math.Max(1, v);
            });
            Mapped("idle_timeout", "lazy bridges: seconds without traffic after which the connection ends (at least 1)", (r, l, b) =>
            {
                if (!r.TryInt(l, int.MinValue, int.MaxValue, "seconds", out var v)) return;
                if (v < 1) r.Warn(l, "an idle timeout below 1 s is raised to 1 s, as in mosquitto");
                b.Options.IdleTimeout = TimeSpan.FromSeconds(Math.Max(1, v));
            });
            Ignored("bridge_alpn", ".NET's TLS on netstandard2.0 cannot offer ALPN; a remote broker that requires it (AWS IoT on port 443) refuses the connection");
            Ignored("bridge_bind_address", "the operating system chooses the local address of the bridge's connection");
            Refused("bridge_identity", "TLS-PSK cannot be used by .NET's TLS; ignoring it would send the bridge's traffic unencrypted");
            Refused("bridge_psk", "TLS-PSK cannot be used by .NET's TLS; ignoring it would send the bridge's traffic unencrypted");
            list.Add(new MosquittoDirective("bridge_require_ocsp", MosquittoDirectiveStatus.Mapped, "false (the default) is what MqttPS does; true is refused", (r, l) =>
            {
                if (Bridge(r, l) == null) return;
                if (r.TryBool(l, out var v) && v) r.Error(l, "not supported: OCSP stapling is not checked; ignoring it would accept a revoked remote certificate");
            }));
        }

        /// <summary>The bridge the directive belongs to, or null (reported) when no connection line came first.</summary>
        private static ConfigBridge Bridge(MosquittoConfigReader r, ConfigLine l)
        {
            if (r.CurrentBridge != null) return r.CurrentBridge;
            r.Error(l, "belongs to a bridge and must follow a connection line");
            return null;
        }

        /// <summary>host[:port] as mosquitto reads it (the last ':' starts the port; [v6]:port works too).</summary>
        internal static bool TryAddress(string text, out MqttBrokerAddress address, out string problem)
        {
            address = null;
            problem = null;
            var host = text;
            var port = 1883;
            var colon = text.LastIndexOf(':');
            if (text.StartsWith("[", StringComparison.Ordinal))
            {
                var close = text.IndexOf(']');
                if (close < 0) { problem = "'" + text + "' is not an address ([IPv6 address]:port)"; return false; }
                host = text.Substring(1, close - 1);
                colon = text.IndexOf(':', close);
            }
            else if (colon >= 0)
            {
                if (text.IndexOf(':') != colon) { problem = "'" + text + "': write an IPv6 address in brackets with its port ([::1]:1883)"; return false; }
                host = text.Substring(0, colon);
            }
            if (colon >= 0 && (!int.TryParse(text.Substring(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port) || port < 1 || port > 65535))
            {
                problem = "'" + text + "' has no valid port (1 to 65535)";
                return false;
            }
            if (host.Length == 0) { problem = "'" + text + "' has no host"; return false; }
            address = new MqttBrokerAddress(host, port);
            return true;
        }
    }
}
