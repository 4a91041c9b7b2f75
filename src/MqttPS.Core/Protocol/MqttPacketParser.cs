using System;

namespace MqttPS.Core.Protocol
{
    /// <summary>Decodes one complete packet held in a byte range.</summary>
    public static class MqttPacketParser
    {
        /// <summary>
        /// Parses exactly one whole packet: <paramref name="count"/> must be its full size. A null
        /// <paramref name="version"/> accepts only CONNECT, whose protocol level decides the version. No
        /// direction rules apply (any packet type is accepted). Throws <see cref="MqttProtocolException"/> on any
        /// malformed or protocol-violating input.
        /// </summary>
        public static MqttPacket Parse(byte[] data, int offset, int count, MqttProtocolVersion? version) =>
            Parse(data, offset, count, version, MqttDecodeRole.Any);

        /// <summary>
        /// Parses one whole packet as received by a server (<paramref name="isServer"/> true: packets only a
        /// server sends are Protocol Errors, and strings with control characters are refused) or by a client.
        /// </summary>
        public static MqttPacket Parse(byte[] data, int offset, int count, MqttProtocolVersion? version, bool isServer) =>
            Parse(data, offset, count, version, isServer ? MqttDecodeRole.Server : MqttDecodeRole.Client);

        internal static MqttPacket Parse(byte[] data, int offset, int count, MqttProtocolVersion? version, MqttDecodeRole role)
        {
            if (data == null) throw new ArgumentNullException(nameof(data));
            if (offset < 0 || count < 0 || offset > data.Length - count) throw new ArgumentOutOfRangeException(nameof(count));
            if (count == 0) throw MqttFixedHeader.Silent(MqttProtocolErrors.Malformed(null, "no data: a packet is at least 2 bytes"));
            MqttFixedHeader.ValidateType(data[offset], version);
            var headerSize = MqttFixedHeader.ReadRemainingLength(data, offset + 1, offset + count, out var remainingLength);
            if (headerSize == 0) throw MqttFixedHeader.Silent(MqttProtocolErrors.Malformed(null, "the data ends inside the Remaining Length"));
            MqttFixedHeader.ValidateFirstByte(data[offset], version, role);
            var bodyOffset = offset + 1 + headerSize;
            var available = offset + count - bodyOffset;
            if (remainingLength > available)
            {
                throw MqttProtocolErrors.Malformed(null, "the Remaining Length is " + remainingLength
                    + " bytes but only " + available + " bytes follow the fixed header");
            }
            if (remainingLength < available)
            {
                throw MqttProtocolErrors.Malformed(null, (available - remainingLength)
                    + " bytes follow the packet: Parse takes exactly one packet");
            }
            return ParseBody(data[offset], data, bodyOffset, (int)remainingLength, version, role);
        }

        /// <summary>Decodes a packet body whose first byte was validated by <see cref="MqttFixedHeader.ValidateFirstByte"/>.</summary>
        internal static MqttPacket ParseBody(byte firstByte, byte[] buffer, int offset, int count, MqttProtocolVersion? version, MqttDecodeRole role)
        {
            var type = (MqttPacketType)(firstByte >> 4);
            var reader = new MqttPacketReader(buffer, offset, count, role == MqttDecodeRole.Server);
            if (type == MqttPacketType.Connect) return ConnectPacketCodec.Read(ref reader, firstByte, role);

            var v = version ?? throw MqttProtocolErrors.ProtocolError("MQTT-3.1.0-1", "the first packet must be CONNECT");
            switch (type)
            {
                case MqttPacketType.Publish:
                    return PublishPacketCodec.Read(ref reader, firstByte & 0x0F, v, role);
                case MqttPacketType.PubAck:
                case MqttPacketType.PubRec:
                case MqttPacketType.PubRel:
                case MqttPacketType.PubComp:
                    return PublishResponsePacketCodec.Read(ref reader, type, v);
                case MqttPacketType.ConnAck:
                    return ConnAckPacketCodec.Read(ref reader, v);
                case MqttPacketType.Subscribe:
                    return SubscribePacketCodec.Read(ref reader, v);
                case MqttPacketType.SubAck:
                    return SubAckPacketCodec.Read(ref reader, v);
                case MqttPacketType.Unsubscribe:
                    return UnsubscribePacketCodec.Read(ref reader, v);
                case MqttPacketType.UnsubAck:
                    return UnsubAckPacketCodec.Read(ref reader, v);
                case MqttPacketType.PingReq:
                    ExpectEmpty(ref reader, type);
                    return PingReqPacket.Instance;
                case MqttPacketType.PingResp:
                    ExpectEmpty(ref reader, type);
                    // mosquitto checks the length of a PINGRESP before its direction.
                    if (role == MqttDecodeRole.Server) throw MqttFixedHeader.WrongDirection(type, "server");
                    return PingRespPacket.Instance;
                case MqttPacketType.Disconnect:
                    return DisconnectPacketCodec.Read(ref reader, v);
                case MqttPacketType.Auth:
                    return AuthPacketCodec.Read(ref reader);
                default:
                    throw MqttProtocolErrors.ProtocolError("MQTT-2.1.3-1", "packet type " + (int)type + " is reserved");
            }
        }

        private static void ExpectEmpty(ref MqttPacketReader reader, MqttPacketType type)
        {
            if (!reader.EndOfData)
            {
                throw MqttFixedHeader.Silent(MqttProtocolErrors.Malformed(null, MqttPropertyRules.PacketName(type)
                    + " has no variable header or payload, but its Remaining Length is " + reader.Remaining));
            }
        }
    }
}
