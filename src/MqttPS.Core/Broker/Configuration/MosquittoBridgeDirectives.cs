using System.Collections.Generic;

namespace MqttPS.Core.Broker.Configuration
{
    /// <summary>The bridge directives of mosquitto.conf (connection and what follows it).</summary>
    internal static class MosquittoBridgeDirectives
    {
        private static readonly string[] Names =
        {
            "address", "addresses", "bridge_alpn", "bridge_attempt_unsubscribe", "bridge_bind_address", "bridge_cafile", "bridge_capath",
            "bridge_certfile", "bridge_identity", "bridge_insecure", "bridge_keyfile", "bridge_max_packet_size", "bridge_outgoing_retain",
            "bridge_protocol_version", "bridge_psk", "bridge_require_ocsp", "bridge_tls_version", "cleansession", "clientid", "connection",
            "idle_timeout", "keepalive_interval", "local_cleansession", "local_clientid", "local_password", "local_username",
            "notification_topic", "notifications", "notifications_local_only", "password", "remote_clientid", "remote_password",
            "remote_username", "restart_timeout", "round_robin", "start_type", "threshold", "topic", "try_private", "username",
        };

        public static void Add(List<MosquittoDirective> list)
        {
            foreach (var name in Names)
                list.Add(new MosquittoDirective(name, MosquittoDirectiveStatus.Refused, "bridges are not available in this build",
                    (r, l) => r.Error(l, "not supported: bridges are not available in this build")));
        }
    }
}
