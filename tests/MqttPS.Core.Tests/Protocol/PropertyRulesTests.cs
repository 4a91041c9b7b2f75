using System;
using System.Collections.Generic;
using System.Linq;
using MqttPS.Core.Protocol;
using Xunit;

namespace MqttPS.Core.Tests.Protocol
{
    /// <summary>
    /// Every MQTT 5.0 property in every packet (and in the will properties): where section 2.2.2.2 allows it, it
    /// survives a round trip; where it does not, the encoder refuses to send it and the decoder rejects it
    /// (0x82, or 0x81 in SUBSCRIBE/UNSUBSCRIBE as mosquitto answers).
    /// </summary>
    public class PropertyRulesTests
    {
        private static readonly int[] Contexts =
        {
            MqttPropertyRules.WillContext, (int)MqttPacketType.Connect, (int)MqttPacketType.ConnAck, (int)MqttPacketType.Publish,
            (int)MqttPacketType.PubAck, (int)MqttPacketType.PubRec, (int)MqttPacketType.PubRel, (int)MqttPacketType.PubComp,
            (int)MqttPacketType.Subscribe, (int)MqttPacketType.SubAck, (int)MqttPacketType.Unsubscribe, (int)MqttPacketType.UnsubAck,
            (int)MqttPacketType.Disconnect, (int)MqttPacketType.Auth,
        };

        public static IEnumerable<object[]> PropertiesAndContexts() =>
            from MqttPropertyId id in Enum.GetValues(typeof(MqttPropertyId))
            from context in Contexts
            select new object[] { id, context };

        /// <summary>A minimal packet whose property block (packet or will) is <paramref name="properties"/>.</summary>
        private static MqttPacket PacketFor(int context, MqttProperties properties)
        {
            MqttPacket packet;
            switch (context)
            {
                case MqttPropertyRules.WillContext:
                    return new ConnectPacket { ClientId = "c", Will = new MqttWillMessage { Topic = "t", Properties = properties } };
                case (int)MqttPacketType.Connect: packet = new ConnectPacket { ClientId = "c" }; break;
                case (int)MqttPacketType.ConnAck: packet = new ConnAckPacket(); break;
                case (int)MqttPacketType.Publish: packet = new PublishPacket { Topic = "t" }; break;
                case (int)MqttPacketType.PubAck: packet = new PubAckPacket { PacketId = 1 }; break;
                case (int)MqttPacketType.PubRec: packet = new PubRecPacket { PacketId = 1 }; break;
                case (int)MqttPacketType.PubRel: packet = new PubRelPacket { PacketId = 1 }; break;
                case (int)MqttPacketType.PubComp: packet = new PubCompPacket { PacketId = 1 }; break;
                case (int)MqttPacketType.Subscribe:
                    var subscribe = new SubscribePacket { PacketId = 1 };
                    subscribe.Subscriptions.Add(new MqttTopicSubscription("a", MqttQualityOfService.AtMostOnce));
                    packet = subscribe;
                    break;
                case (int)MqttPacketType.SubAck:
                    var subAck = new SubAckPacket { PacketId = 1 };
                    subAck.ReasonCodes.Add(SubAckReasonCode.GrantedQoS0);
                    packet = subAck;
                    break;
                case (int)MqttPacketType.Unsubscribe:
                    var unsubscribe = new UnsubscribePacket { PacketId = 1 };
                    unsubscribe.TopicFilters.Add("a");
                    packet = unsubscribe;
                    break;
                case (int)MqttPacketType.UnsubAck:
                    var unsubAck = new UnsubAckPacket { PacketId = 1 };
                    unsubAck.ReasonCodes.Add(UnsubAckReasonCode.Success);
                    packet = unsubAck;
                    break;
                case (int)MqttPacketType.Disconnect: packet = new DisconnectPacket(); break;
                default: packet = new AuthPacket(); break;
            }
            packet.Properties = properties;
            return packet;
        }

        /// <summary>One valid value of the property (with the Authentication Method that Authentication Data needs).</summary>
        private static MqttProperties WithProperty(MqttPropertyId id)
        {
            var p = new MqttProperties();
            switch (id)
            {
                case MqttPropertyId.PayloadFormatIndicator: p.PayloadFormatIndicator = 1; break;
                case MqttPropertyId.MessageExpiryInterval: p.MessageExpiryInterval = 70000; break;
                case MqttPropertyId.ContentType: p.ContentType = "text/plain"; break;
                case MqttPropertyId.ResponseTopic: p.ResponseTopic = "r/t"; break;
                case MqttPropertyId.CorrelationData: p.CorrelationData = new byte[] { 1, 2, 3 }; break;
                case MqttPropertyId.SubscriptionIdentifier: p.SubscriptionIdentifiers.Add(300); break;
                case MqttPropertyId.SessionExpiryInterval: p.SessionExpiryInterval = 0xFFFFFFFF; break;
                case MqttPropertyId.AssignedClientIdentifier: p.AssignedClientIdentifier = "auto-42"; break;
                case MqttPropertyId.ServerKeepAlive: p.ServerKeepAlive = 0; break;
                case MqttPropertyId.AuthenticationMethod: p.AuthenticationMethod = "SCRAM-SHA-1"; break;
                case MqttPropertyId.AuthenticationData: p.AuthenticationMethod = "M"; p.AuthenticationData = new byte[] { 9 }; break;
                case MqttPropertyId.RequestProblemInformation: p.RequestProblemInformation = 0; break;
                case MqttPropertyId.WillDelayInterval: p.WillDelayInterval = 30; break;
                case MqttPropertyId.RequestResponseInformation: p.RequestResponseInformation = 1; break;
                case MqttPropertyId.ResponseInformation: p.ResponseInformation = "resp/"; break;
                case MqttPropertyId.ServerReference: p.ServerReference = "other:1883"; break;
                case MqttPropertyId.ReasonString: p.ReasonString = "because"; break;
                case MqttPropertyId.ReceiveMaximum: p.ReceiveMaximum = 65535; break;
                case MqttPropertyId.TopicAliasMaximum: p.TopicAliasMaximum = 0; break;
                case MqttPropertyId.TopicAlias: p.TopicAlias = 1; break;
                case MqttPropertyId.MaximumQoS: p.MaximumQoS = 0; break;
                case MqttPropertyId.RetainAvailable: p.RetainAvailable = 0; break;
                case MqttPropertyId.UserProperty: p.UserProperties.Add(new MqttUserProperty("name", "välue")); break;
                case MqttPropertyId.MaximumPacketSize: p.MaximumPacketSize = 1; break;
                case MqttPropertyId.WildcardSubscriptionAvailable: p.WildcardSubscriptionAvailable = 1; break;
                case MqttPropertyId.SubscriptionIdentifierAvailable: p.SubscriptionIdentifierAvailable = 0; break;
                case MqttPropertyId.SharedSubscriptionAvailable: p.SharedSubscriptionAvailable = 1; break;
            }
            return p;
        }

        private static MqttProperties PropertiesOf(MqttPacket packet, int context) =>
            context == MqttPropertyRules.WillContext ? ((ConnectPacket)packet).Will.Properties : packet.Properties;

        [Theory]
        [MemberData(nameof(PropertiesAndContexts))]
        public void Property_is_sent_and_read_only_where_allowed(MqttPropertyId id, int context)
        {
            var properties = WithProperty(id);
            var allowed = MqttPropertyRules.IsAllowed(id, context)
                          && (id != MqttPropertyId.AuthenticationData || MqttPropertyRules.IsAllowed(MqttPropertyId.AuthenticationMethod, context));
            var packet = PacketFor(context, properties);

            if (allowed)
            {
                var decoded = PacketAssert.RoundTrip(packet, MqttProtocolVersion.V500);
                PacketAssert.EqualProperties(properties, PropertiesOf(decoded, context));
                return;
            }

            var refused = Assert.Throws<MqttProtocolException>(() => MqttPacketEncoder.Encode(packet, MqttProtocolVersion.V500));
            Assert.Contains("not allowed", refused.Message);

            // Splice the property into a packet that carries only a placeholder user property, then decode.
            var placeholder = new MqttProperties();
            placeholder.UserProperties.Add(new MqttUserProperty("x", "y"));
            var carrier = MqttPacketEncoder.Encode(PacketFor(context, placeholder), MqttProtocolVersion.V500);
            var marker = PacketAssert.Bytes("26 00 01 78 00 01 79");
            var at = IndexOf(carrier, marker);
            Assert.Equal(marker.Length, carrier[at - 1]); // the property length in front of the placeholder
            var propertyBytes = EncodeAlone(properties);
            var spliced = carrier.Take(at).Concat(propertyBytes).Concat(carrier.Skip(at + marker.Length)).ToArray();
            spliced[at - 1] = (byte)propertyBytes.Length;
            Assert.True(spliced.Length - 2 < 128);
            spliced[1] = (byte)(spliced.Length - 2);

            var e = Assert.Throws<MqttProtocolException>(() =>
                MqttPacketParser.Parse(spliced, 0, spliced.Length, packet is ConnectPacket ? (MqttProtocolVersion?)null : MqttProtocolVersion.V500));
            var expected = context == (int)MqttPacketType.Subscribe || context == (int)MqttPacketType.Unsubscribe
                ? MqttReasonCode.MalformedPacket
                : MqttReasonCode.ProtocolError;
            Assert.Equal(expected, e.ReasonCode);
            Assert.Contains("not allowed", e.Message);
        }

        /// <summary>The bytes of a property block's content, written in any context that allows the properties.</summary>
        private static byte[] EncodeAlone(MqttProperties properties)
        {
            foreach (var context in Contexts)
            {
                try
                {
                    var length = MqttPropertyCodec.GetContentLength(properties, context);
                    using (var writer = new MqttBufferWriter())
                    {
                        MqttPropertyCodec.Write(writer, properties, context, length);
                        return writer.ToArray().Skip(1).ToArray(); // drop the one-byte Property Length
                    }
                }
                catch (MqttProtocolException)
                {
                }
            }
            throw new InvalidOperationException("no context allows these properties");
        }

        private static int IndexOf(byte[] haystack, byte[] needle)
        {
            for (var i = 0; i + needle.Length <= haystack.Length; i++)
            {
                if (haystack.Skip(i).Take(needle.Length).SequenceEqual(needle)) return i;
            }
            throw new InvalidOperationException("placeholder not found");
        }

        [Fact]
        public void Properties_keep_the_order_they_were_set_in()
        {
            var packet = new ConnAckPacket();
            packet.Properties.ReceiveMaximum = 20;            // 0x21
            packet.Properties.UserProperties.Add(new MqttUserProperty("a", "b"));
            packet.Properties.TopicAliasMaximum = 10;         // 0x22
            packet.Properties.AssignedClientIdentifier = "x"; // 0x12
            var bytes = MqttPacketEncoder.Encode(packet, MqttProtocolVersion.V500);
            Assert.Equal(PacketAssert.Hex(PacketAssert.Bytes("20 RL 00 00 11 21 00 14 26 00 01 61 00 01 62 22 00 0A 12 00 01 78")), PacketAssert.Hex(bytes));

            // Setting a property again keeps its first position; clearing it drops it from the wire.
            packet.Properties.ReceiveMaximum = 30;
            packet.Properties.TopicAliasMaximum = null;
            Assert.Equal(PacketAssert.Hex(PacketAssert.Bytes("20 RL 00 00 0E 21 00 1E 26 00 01 61 00 01 62 12 00 01 78")),
                PacketAssert.Hex(MqttPacketEncoder.Encode(packet, MqttProtocolVersion.V500)));
        }

        [Fact]
        public void Properties_are_not_written_before_5_0()
        {
            var publish = new PublishPacket { Topic = "t" };
            publish.Properties.ContentType = "x";
            Assert.Equal(PacketAssert.Bytes("30 03 00 01 74"), MqttPacketEncoder.Encode(publish, MqttProtocolVersion.V311));
        }

        [Fact]
        public void Property_names_follow_the_standard()
        {
            Assert.Equal("Maximum QoS", MqttPropertyRules.PropertyName(MqttPropertyId.MaximumQoS));
            Assert.Equal("Payload Format Indicator", MqttPropertyRules.PropertyName(MqttPropertyId.PayloadFormatIndicator));
            Assert.Equal("Subscription Identifier Available", MqttPropertyRules.PropertyName(MqttPropertyId.SubscriptionIdentifierAvailable));
        }
    }
}
