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
            if (packet == null) throw new ArgumentNullException(nameof(packet));
            if (output == null) throw new ArgumentNullException(nameof(output));
            CheckVersion(version);
            var start = output.Length;
            switch (packet)
            {
                case PublishPacket publish:
                    PublishPacketCodec.Write(publish, version, PublishPacketCodec.Measure(publish, version), output);
                    break;
                case PublishResponsePacket response:
                    PublishResponsePacketCodec.Write(response, PublishResponsePacketCodec.Measure(response, version), output);
                    break;
                case ConnectPacket connect:
                    ConnectPacketCodec.Write(connect, ConnectPacketCodec.Measure(connect), output);
                    break;
                case ConnAckPacket connAck:
                    ConnAckPacketCodec.Write(connAck, version, ConnAckPacketCodec.Measure(connAck, version), output);
                    break;
                case SubscribePacket subscribe:
                    SubscribePacketCodec.Write(subscribe, version, SubscribePacketCodec.Measure(subscribe, version), output);
                    break;
                case SubAckPacket subAck:
                    SubAckPacketCodec.Write(subAck, version, SubAckPacketCodec.Measure(subAck, version), output);
                    break;
                case UnsubscribePacket unsubscribe:
                    UnsubscribePacketCodec.Write(unsubscribe, version, UnsubscribePacketCodec.Measure(unsubscribe, version), output);
                    break;
                case UnsubAckPacket unsubAck:
                    UnsubAckPacketCodec.Write(unsubAck, version, UnsubAckPacketCodec.Measure(unsubAck, version), output);
                    break;
                case PingReqPacket _:
                    MqttFixedHeader.Write(output, MqttPacketType.PingReq, 0, 0);
                    break;
                case PingRespPacket _:
                    MqttFixedHeader.Write(output, MqttPacketType.PingResp, 0, 0);
                    break;
                case DisconnectPacket disconnect:
                    DisconnectPacketCodec.Write(disconnect, DisconnectPacketCodec.Measure(disconnect, version), output);
                    break;
                case AuthPacket auth:
                    AuthPacketCodec.Write(auth, AuthPacketCodec.Measure(auth, version), output);
                    break;
                default:
                    throw new ArgumentException("unknown packet class " + packet.GetType().FullName, nameof(packet));
            }
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
        public static int GetEncodedLength(MqttPacket packet, MqttProtocolVersion version)
        {
            if (packet == null) throw new ArgumentNullException(nameof(packet));
            CheckVersion(version);
            MqttPacketLayout layout;
            switch (packet)
            {
                case PublishPacket publish: layout = PublishPacketCodec.Measure(publish, version); break;
                case PublishResponsePacket response: layout = PublishResponsePacketCodec.Measure(response, version); break;
                case ConnectPacket connect: layout = ConnectPacketCodec.Measure(connect); break;
                case ConnAckPacket connAck: layout = ConnAckPacketCodec.Measure(connAck, version); break;
                case SubscribePacket subscribe: layout = SubscribePacketCodec.Measure(subscribe, version); break;
                case SubAckPacket subAck: layout = SubAckPacketCodec.Measure(subAck, version); break;
                case UnsubscribePacket unsubscribe: layout = UnsubscribePacketCodec.Measure(unsubscribe, version); break;
                case UnsubAckPacket unsubAck: layout = UnsubAckPacketCodec.Measure(unsubAck, version); break;
                case PingReqPacket _:
                case PingRespPacket _: layout = new MqttPacketLayout(); break;
                case DisconnectPacket disconnect: layout = DisconnectPacketCodec.Measure(disconnect, version); break;
                case AuthPacket auth: layout = AuthPacketCodec.Measure(auth, version); break;
                default: throw new ArgumentException("unknown packet class " + packet.GetType().FullName, nameof(packet));
            }
            return MqttFixedHeader.GetPacketSize(layout.RemainingLength, packet.PacketType);
        }

        private static void CheckVersion(MqttProtocolVersion version)
        {
            if (version != MqttProtocolVersion.V310 && version != MqttProtocolVersion.V311 && version != MqttProtocolVersion.V500)
                throw new ArgumentOutOfRangeException(nameof(version), version, "unknown MQTT protocol version");
        }
    }
}
