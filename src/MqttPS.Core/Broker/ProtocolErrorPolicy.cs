using System;
using MqttPS.Core.Protocol;

namespace MqttPS.Core.Broker
{
    /// <summary>
    /// What the broker tells a 5.0 client before closing on a protocol violation: the DISCONNECT reason code, or
    /// nothing. The specification lets the server close with or without DISCONNECT and, for several faults, choose
    /// between 0x81 Malformed Packet and 0x82 Protocol Error; the broker answers as Eclipse Mosquitto does (so that
    /// clients and test suites written against mosquitto see the same bytes). 3.1/3.1.1 clients are always closed
    /// without a packet (those versions have no server DISCONNECT).
    /// </summary>
    internal static class ProtocolErrorPolicy
    {
        /// <summary>
        /// The reason code for an error the decoder raised on the packet that starts with <paramref name="firstByte"/>,
        /// or null to close silently. <paramref name="lengthValid"/>: its Remaining Length is a valid variable byte
        /// integer; <paramref name="remainingLength"/>: its value.
        /// </summary>
        public static MqttReasonCode? ForDecoderError(MqttProtocolException e, byte firstByte, bool lengthValid, long remainingLength)
        {
            var type = firstByte >> 4;
            var flags = firstByte & 0x0F;
            // Packet type 0 is forbidden outright, whatever follows.
            if (type == 0) return MqttReasonCode.ProtocolError;
            // A broken Remaining Length means the stream cannot be parsed any further: just close.
            if (!lengthValid) return null;
            switch ((MqttPacketType)type)
            {
                case MqttPacketType.ConnAck:
                    // Only a server sends these: whatever their content, receiving one is a protocol error.
                    return MqttReasonCode.ProtocolError;
                case MqttPacketType.SubAck:
                case MqttPacketType.UnsubAck:
                    return flags == 0 ? MqttReasonCode.ProtocolError : MqttReasonCode.MalformedPacket;
                case MqttPacketType.PingResp:
                    if (flags != 0) return MqttReasonCode.MalformedPacket;
                    return remainingLength > 0 ? (MqttReasonCode?)null : MqttReasonCode.ProtocolError;
                case MqttPacketType.PingReq:
                    if (flags != 0) return MqttReasonCode.MalformedPacket;
                    return null;
                case MqttPacketType.Auth:
                    // No enhanced authentication is in progress, so any AUTH is out of place.
                    return MqttReasonCode.ProtocolError;
                case MqttPacketType.Disconnect:
                    // The client is leaving anyway; an invalid reason code is not worth an answer.
                    if (Mentions(e, "is not a DISCONNECT reason code")) return null;
                    return e.ReasonCode;
                case MqttPacketType.Subscribe:
                case MqttPacketType.Unsubscribe:
                    if (e.ReasonCode == MqttReasonCode.ProtocolError && (Mentions(e, "subscription identifier") || e.SpecReference == "MQTT-3.8.3-4"))
                        return MqttReasonCode.ProtocolError;
                    return MqttReasonCode.MalformedPacket;
                case MqttPacketType.Publish:
                    // A missing or invalid topic name is answered as malformed (mosquitto), not 0x90/0x82.
                    if (e.ReasonCode == MqttReasonCode.TopicNameInvalid || e.SpecReference == "MQTT-3.3.2-1") return MqttReasonCode.MalformedPacket;
                    return e.ReasonCode;
                default:
                    return e.ReasonCode;
            }
        }

        /// <summary>
        /// The CONNACK reason code for a 5.0 CONNECT the decoder rejected, or null to close silently: errors in the
        /// fixed part (flags, keep alive), the user name and the password close; the client identifier gets 0x85;
        /// properties, will and trailing bytes get their reason code.
        /// </summary>
        public static ConnectReasonCode? ForConnectError(MqttProtocolException e, bool lengthValid, string invalidStringField)
        {
            if (!lengthValid) return null;
            switch (invalidStringField)
            {
                case ConnectFieldLocator.ClientIdentifier: return ConnectReasonCode.ClientIdentifierNotValid;
                case ConnectFieldLocator.UserName: return null;
                case ConnectFieldLocator.WillTopic: return ConnectReasonCode.MalformedPacket;
            }
            // Field names are lower case in the decoder's messages (property names are capitalised).
            if (Names(e, "client identifier")) return ConnectReasonCode.ClientIdentifierNotValid;
            if (Names(e, "user name") || Names(e, "password") || Names(e, "keep alive") || Names(e, "connect flags ")
                || Names(e, "protocol name") || Names(e, "protocol level") || Names(e, "reserved bit"))
                return null;
            switch (e.SpecReference)
            {
                case "MQTT-3.1.2-3":
                case "MQTT-3.1.2-11":
                case "MQTT-3.1.2-12":
                case "MQTT-3.1.2-13":
                case "MQTT-3.1.2-22":
                    return null;
            }
            switch (e.ReasonCode)
            {
                case MqttReasonCode.ProtocolError: return ConnectReasonCode.ProtocolError;
                case MqttReasonCode.PacketTooLarge: return ConnectReasonCode.PacketTooLarge;
                case MqttReasonCode.ClientIdentifierNotValid: return ConnectReasonCode.ClientIdentifierNotValid;
                default: return ConnectReasonCode.MalformedPacket;
            }
        }

        private static bool Names(MqttProtocolException e, string field)
            => e.Message != null && e.Message.IndexOf(field, StringComparison.Ordinal) >= 0;

        /// <summary>The DISCONNECT reason for a violation the broker itself found in a decoded packet.</summary>
        public static MqttReasonCode ForHandlerError(MqttProtocolException e) => e.ReasonCode;

        private static bool Mentions(MqttProtocolException e, string words)
            => e.Message != null && e.Message.IndexOf(words, StringComparison.OrdinalIgnoreCase) >= 0;

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
