using System.Collections.Generic;
using MqttPS.Core.Protocol;

namespace MqttPS.Core.Broker
{
    /// <summary>
    /// Closes connections that went quiet: no packet for one and a half times the keep alive [MQTT-3.1.2-24]
    /// (5.0: DISCONNECT 0x8D Keep Alive timeout first), and connections that never sent CONNECT within the connect
    /// timeout. Driven by the broker's housekeeping timer, so idle connections cost no timers of their own.
    /// </summary>
    internal static class KeepAliveMonitor
    {
        /// <param name="connections">The broker's open connections (the keys), enumerated in place rather than through
        /// the dictionary's Keys, which would copy them all into a new array at every check.</param>
        /// <param name="nowMilliseconds">The monotonic clock now.</param>
        /// <param name="connectTimeoutMilliseconds">How long a connection may go without CONNECT.</param>
        public static void Check(IEnumerable<KeyValuePair<BrokerConnection, bool>> connections, long nowMilliseconds, long connectTimeoutMilliseconds)
        {
            foreach (var pair in connections)
            {
                var c = pair.Key;
                if (c.IsClosing) continue;
                if (!c.IsConnected)
                {
                    if (nowMilliseconds - c.AcceptedAtMilliseconds >= connectTimeoutMilliseconds)
                        c.Abort("no CONNECT within the connect timeout");
                    continue;
                }
                var keepAlive = c.KeepAliveSeconds;
                if (keepAlive == 0) continue;
                if (nowMilliseconds - c.LastReceivedMilliseconds > keepAlive * 1500L)
                    c.CloseWithReason(DisconnectReasonCode.KeepAliveTimeout, "keep alive timeout (" + keepAlive + " s x 1.5 without a packet)");
            }
        }
    }
}
