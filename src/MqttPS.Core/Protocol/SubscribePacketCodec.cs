using System;
using MqttPS.Core.Topics;

namespace MqttPS.Core.Protocol
{
    /// <summary>SUBSCRIBE (section 3.8): packet identifier, properties (5.0), then filter / options pairs.</summary>
    /// <remarks>
    /// Decoding answers like mosquitto, against which the broker is compared byte for byte: a packet
    /// identifier of 0, no filter at all, Maximum QoS 3, Retain Handling 3 and an invalid filter are Malformed
    /// Packets (section 3.8.3 calls some of them Protocol Errors); No Local on a shared subscription is a
    /// Protocol Error [MQTT-3.8.3-4].
    /// </remarks>
    internal static class SubscribePacketCodec
    {
        public static MqttPacketLayout Measure(SubscribePacket packet, MqttProtocolVersion version)
        {
            if (packet.PacketId == 0)
                throw MqttProtocolErrors.ProtocolError("MQTT-2.2.1-3", "SUBSCRIBE needs a non-zero packet identifier");
            var subscriptions = packet.Subscriptions;
            if (subscriptions.Count == 0)
                throw MqttProtocolErrors.ProtocolError(NoFilterRule(version), "SUBSCRIBE needs at least one topic filter");

            var layout = new MqttPacketLayout();
            long length = 2;
            if (version == MqttProtocolVersion.V500)
            {
                layout.PropertiesLength = MqttPropertyCodec.GetContentLength(packet.HasProperties ? packet.Properties : null, (int)MqttPacketType.Subscribe);
                length += MqttPropertyCodec.GetBlockLength(layout.PropertiesLength);
            }
            for (var i = 0; i < subscriptions.Count; i++)
            {
                var subscription = subscriptions[i] ?? throw new ArgumentException("SUBSCRIBE contains a null subscription");
                var filter = subscription.TopicFilter ?? string.Empty;
                ValidateOutgoingFilter(filter);
                if ((byte)subscription.QoS > 2)
                    throw MqttProtocolErrors.ProtocolError(null, "subscription QoS must be 0, 1 or 2 (section 3.8.3.1), not " + (int)subscription.QoS);
                if (version == MqttProtocolVersion.V500)
                {
                    if ((byte)subscription.RetainHandling > 2)
                        throw MqttProtocolErrors.ProtocolError(null, "Retain Handling must be 0, 1 or 2, not " + (int)subscription.RetainHandling);
                    if (subscription.NoLocal && IsShared(filter))
                        throw MqttProtocolErrors.ProtocolError("MQTT-3.8.3-4", "No Local must not be set on the shared subscription '" + filter + "'");
                }
                length += 2 + MqttUtf8.GetValidatedByteCount(filter, "topic filter") + 1;
            }
            MqttFixedHeader.GetPacketSize(length, MqttPacketType.Subscribe);
            layout.RemainingLength = (int)length;
            return layout;
        }

        public static void Write(SubscribePacket packet, MqttProtocolVersion version, MqttPacketLayout layout, MqttBufferWriter output)
        {
            MqttFixedHeader.Write(output, MqttPacketType.Subscribe, 0x02, layout.RemainingLength);
            output.WriteUInt16(packet.PacketId);
            if (version == MqttProtocolVersion.V500)
                MqttPropertyCodec.Write(output, packet.HasProperties ? packet.Properties : null, (int)MqttPacketType.Subscribe, layout.PropertiesLength);
            var subscriptions = packet.Subscriptions;
            for (var i = 0; i < subscriptions.Count; i++)
            {
                var subscription = subscriptions[i];
                output.WriteString(subscription.TopicFilter ?? string.Empty);
                var options = (int)subscription.QoS;
                if (version == MqttProtocolVersion.V500)
                {
                    if (subscription.NoLocal) options |= 0x04;
                    if (subscription.RetainAsPublished) options |= 0x08;
                    options |= (int)subscription.RetainHandling << 4;
                }
                output.WriteByte((byte)options);
            }
        }

        public static SubscribePacket Read(ref MqttPacketReader reader, MqttProtocolVersion version)
        {
            var packet = new SubscribePacket { PacketId = reader.ReadUInt16("packet identifier") };
            if (packet.PacketId == 0)
                throw MqttProtocolErrors.Malformed("MQTT-2.2.1-3", "SUBSCRIBE needs a non-zero packet identifier");
            if (version == MqttProtocolVersion.V500)
            {
                var properties = MqttPropertyCodec.Read(ref reader, (int)MqttPacketType.Subscribe);
                if (properties != null) packet.Properties = properties;
            }
            if (reader.EndOfData)
                throw MqttProtocolErrors.Malformed(NoFilterRule(version), "SUBSCRIBE needs at least one topic filter");

            while (!reader.EndOfData)
            {
                var filter = reader.ReadString("topic filter");
                var options = reader.ReadByte("subscription options");
                var subscription = new MqttTopicSubscription { TopicFilter = filter };
                if (version == MqttProtocolVersion.V500)
                {
                    if ((options & 0xC0) != 0)
                        throw MqttProtocolErrors.Malformed("MQTT-3.8.3-5", "bits 6 and 7 of the subscription options are reserved and must be 0");
                    var qos = options & 0x03;
                    if (qos == 3) throw MqttProtocolErrors.Malformed(null, "the Maximum QoS of a subscription must not be 3");
                    var retainHandling = (options >> 4) & 0x03;
                    if (retainHandling == 3) throw MqttProtocolErrors.Malformed(null, "Retain Handling must not be 3");
                    subscription.QoS = (MqttQualityOfService)qos;
                    subscription.NoLocal = (options & 0x04) != 0;
                    subscription.RetainAsPublished = (options & 0x08) != 0;
                    subscription.RetainHandling = (RetainHandling)retainHandling;
                    if (subscription.NoLocal && IsShared(filter))
                        throw MqttProtocolErrors.ProtocolError("MQTT-3.8.3-4", "No Local must not be set on the shared subscription '" + filter + "'");
                }
                else
                {
                    if (options > 2)
                    {
                        throw MqttProtocolErrors.Malformed("MQTT-3.8.3-4",
                            "the requested QoS byte must be 0, 1 or 2 (upper 6 bits reserved), not 0x" + options.ToString("X2"));
                    }
                    subscription.QoS = (MqttQualityOfService)options;
                }
                ValidateFilter(filter);
                packet.Subscriptions.Add(subscription);
            }
            return packet;
        }

        private static string NoFilterRule(MqttProtocolVersion version) =>
            version == MqttProtocolVersion.V500 ? "MQTT-3.8.3-2" : "MQTT-3.8.3-3";

        private static bool IsShared(string filter) => SharedSubscription.IsShared(filter);

        /// <summary>
        /// Checks a received filter against section 4.7: an invalid one makes the packet Malformed, as in
        /// mosquitto. (The "$share/{ShareName}/" structure is the broker's to check, with SharedSubscription.)
        /// </summary>
        internal static void ValidateFilter(string filter)
        {
            if (!MqttTopic.Check(filter, true, out var specReference, out var message))
                throw MqttProtocolErrors.Malformed(specReference, "invalid topic filter: " + message);
        }

        /// <summary>Checks a filter about to be sent (0x8F Topic Filter invalid).</summary>
        internal static void ValidateOutgoingFilter(string filter) => MqttTopic.ValidateTopicFilter(filter);
    }
}
