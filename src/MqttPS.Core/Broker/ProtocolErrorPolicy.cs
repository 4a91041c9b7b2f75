using System;
using MqttPS.Core.Protocol;

namespace MqttPS.Core.Broker
{
    /// <summary>
    /// What the broker tells a client before closing on a protocol violation. The specification lets the server close
    /// with or without DISCONNECT and, for several faults, choose between 0x81 Malformed Packet and 0x82 Protocol
    /// Error; the broker answers as Eclipse Mosquitto does, so that clients and test suites written against mosquitto
    /// see the same bytes. The codec's server-side decoder already classifies every fault that way (reason code, and
    /// <see cref="MqttProtocolException.SuppressReply"/> where mosquitto just closes; see Protocol/REASON-CODES.md), so
    /// the policy is to pass its verdict on. 3.1/3.1.1 clients are always closed without a packet after CONNECT (those
    /// versions have no server DISCONNECT).
    /// </summary>
    internal static class ProtocolErrorPolicy
    {
        /// <summary>The DISCONNECT reason code for an error the decoder raised after CONNECT, or null to close silently.</summary>
        public static MqttReasonCode? ForDecoderError(MqttProtocolException e)
            => e.SuppressReply ? (MqttReasonCode?)null : e.ReasonCode;

        /// <summary>The CONNACK reason code for a 5.0 CONNECT the decoder rejected, or null to close silently
        /// (mosquitto closes on errors in the flags, keep alive, user name and password; the client identifier gets
        /// 0x85; properties, will and trailing bytes get their reason code).</summary>
        public static ConnectReasonCode? ForConnectError(MqttProtocolException e)
            => e.SuppressReply ? (ConnectReasonCode?)null : (ConnectReasonCode)(byte)e.ReasonCode;

        /// <summary>The reason code as a DISCONNECT may carry it: codes that only CONNACK knows (a second CONNECT with an
        /// unsupported protocol level gets 0x84 from the codec) are 0x82 Protocol Error there [MQTT-3.1.0-2].</summary>
        public static DisconnectReasonCode ToDisconnectReason(MqttReasonCode code)
            => MqttReasonCodeTables.Disconnect[(byte)code] ? (DisconnectReasonCode)(byte)code : DisconnectReasonCode.ProtocolError;

        /// <summary>The DISCONNECT reason for a violation the broker itself found in a decoded packet (session state:
        /// topic aliases, QoS 2 flow, receive maximum, ...).</summary>
        public static MqttReasonCode ForHandlerError(MqttProtocolException e) => e.ReasonCode;

        /// <summary>
        /// Control characters U+0001..U+001F and U+007F..U+009F: the specification says strings SHOULD NOT contain
        /// them and a receiver MAY treat them as malformed (section 1.5.4); mosquitto does, for client ids, user names,
        /// topic names and filters, and so does this broker.
        /// </summary>
        public static bool HasControlCharacters(string s)
        {
            if (s == null) return false;
            for (var i = 0; i < s.Length; i++)
            {
                var c = s[i];
                if (c < 0x20 ? c != 0 : (c >= 0x7F && c <= 0x9F)) return true;
            }
            return false;
        }
    }
}
