using System;

namespace MqttPS.Core.Protocol
{
    /// <summary>
    /// Turns packets into bytes for a protocol version. Each packet is measured first (which also validates
    /// everything the peer would reject) and then written in one pass into a pooled
    /// <see cref="MqttBufferWriter"/>, so a failed encode leaves the output untouched.
    /// CONNECT is always encoded with its own <see cref="ConnectPacket.ProtocolVersion"/>. MQTT 5.0-only
    /// fields (properties, reason codes of acknowledgements, subscription options) are not written for 3.1/3.1.1.
    /// </summary>
    public static class MqttPacketEncoder
    {
        /// <summary>Appends the encoded packet to <paramref name="output"/>; returns the number of bytes written.</summary>
        public static int Encode(MqttPacket packet, MqttProtocolVersion version, MqttBufferWriter output)
        {
            if (output == null) throw new ArgumentNullException(nameof(output));
            var layout = Measure(packet, version);
            var start = output.Length;
            Write(packet, version, layout, output);
            return output.Length - start;
        }

        /// <summary>Encodes into a new array of exactly the packet's size.</summary>
        public static byte[] Encode(MqttPacket packet, MqttProtocolVersion version)
        {
            using (var output = new MqttBufferWriter(256))
            {
                Encode(packet, version, output);
                return output.ToArray();
            }
        }

        /// <summary>The packet's encoded size including the fixed header; validates as <see cref="Encode(MqttPacket, MqttProtocolVersion, MqttBufferWriter)"/> does.</summary>
        public static int GetEncodedLength(MqttPacket packet, MqttProtocolVersion version) =>
            MqttFixedHeader.GetPacketSize(Measure(packet, version).RemainingLength, packet.PacketType);

        /// <summary>Validates the packet and computes its lengths; throws before anything is written.</summary>
        private static MqttPacketLayout Measure(MqttPacket packet, MqttProtocolVersion version)
        {
            if (packet == null) throw new ArgumentNullException(nameof(packet));
            CheckVersion(version);
            switch (packet)
            {
                case PublishPacket publish: return PublishPacketCodec.Measure(publish, version);
                case PublishResponsePacket response: return PublishResponsePacketCodec.Measure(response, version);
                case ConnectPacket connect: return ConnectPacketCodec.Measure(connect);
                case ConnAckPacket connAck: return ConnAckPacketCodec.Measure(connAck, version);
                case SubscribePacket subscribe: return SubscribePacketCodec.Measure(subscribe, version);
                case SubAckPacket subAck: return SubAckPacketCodec.Measure(subAck, version);
                case UnsubscribePacket unsubscribe: return UnsubscribePacketCodec.Measure(unsubscribe, version);
                case UnsubAckPacket unsubAck: return UnsubAckPacketCodec.Measure(unsubAck, version);
                case PingReqPacket _:
                case PingRespPacket _: return new MqttPacketLayout();
                case DisconnectPacket disconnect: return DisconnectPacketCodec.Measure(disconnect, version);
                case AuthPacket auth: return AuthPacketCodec.Measure(auth, version);
                default: throw new ArgumentException("unknown packet class " + packet.GetType().FullName, nameof(packet));
            }
        }

        private static void Write(MqttPacket packet, MqttProtocolVersion version, MqttPacketLayout layout, MqttBufferWriter output)
        {
            switch (packet)
            {
                case PublishPacket publish: PublishPacketCodec.Write(publish, version, layout, output); break;
                case PublishResponsePacket response: PublishResponsePacketCodec.Write(response, layout, output); break;
                case ConnectPacket connect: ConnectPacketCodec.Write(connect, layout, output); break;
                case ConnAckPacket connAck: ConnAckPacketCodec.Write(connAck, version, layout, output); break;
                case SubscribePacket subscribe: SubscribePacketCodec.Write(subscribe, version, layout, output); break;
                case SubAckPacket subAck: SubAckPacketCodec.Write(subAck, version, layout, output); break;
                case UnsubscribePacket unsubscribe: UnsubscribePacketCodec.Write(unsubscribe, version, layout, output); break;
                case UnsubAckPacket unsubAck: UnsubAckPacketCodec.Write(unsubAck, version, layout, output); break;
                case PingReqPacket _: MqttFixedHeader.Write(output, MqttPacketType.PingReq, 0, 0); break;
                case PingRespPacket _: MqttFixedHeader.Write(output, MqttPacketType.PingResp, 0, 0); break;
                case DisconnectPacket disconnect: DisconnectPacketCodec.Write(disconnect, layout, output); break;
                case AuthPacket auth: AuthPacketCodec.Write(auth, layout, output); break;
            }
        }

        private static void CheckVersion(MqttProtocolVersion version)
        {
            if (version != MqttProtocolVersion.V310 && version != MqttProtocolVersion.V311 && version != MqttProtocolVersion.V500)
                throw new ArgumentOutOfRangeException(nameof(version), version, "unknown MQTT protocol version");
        }
    }
}
