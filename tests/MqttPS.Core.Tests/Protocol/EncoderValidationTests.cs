using System;
using System.Collections.Generic;
using MqttPS.Core.Protocol;
using Xunit;

namespace MqttPS.Core.Tests.Protocol
{
    /// <summary>
    /// The encoder validates what it writes: a packet the peer would have to reject is refused with
    /// <see cref="MqttProtocolException"/> and nothing is appended to the output.
    /// </summary>
    public class EncoderValidationTests
    {
        private static object[] Case(string name, Func<MqttPacket> packet, MqttProtocolVersion version, MqttReasonCode code, string fragment) =>
            new object[] { name, packet, version, code, fragment };

        private static SubscribePacket Subscribe(string filter, Action<MqttTopicSubscription> configure = null)
        {
            var packet = new SubscribePacket { PacketId = 1 };
            var subscription = new MqttTopicSubscription(filter, MqttQualityOfService.AtLeastOnce);
            configure?.Invoke(subscription);
            packet.Subscriptions.Add(subscription);
            return packet;
        }

        public static IEnumerable<object[]> Cases() => new[]
        {
            Case("QoS 1 PUBLISH without packet identifier", () => new PublishPacket { Topic = "t", QoS = MqttQualityOfService.AtLeastOnce },
                MqttProtocolVersion.V311, MqttReasonCode.ProtocolError, "MQTT-2.2.1-3"),
            Case("DUP on QoS 0", () => new PublishPacket { Topic = "t", Dup = true }, MqttProtocolVersion.V311, MqttReasonCode.MalformedPacket, "MQTT-3.3.1-2"),
            Case("QoS 3", () => new PublishPacket { Topic = "t", QoS = (MqttQualityOfService)3, PacketId = 1 }, MqttProtocolVersion.V311,
                MqttReasonCode.MalformedPacket, "MQTT-3.3.1-4"),
            Case("wildcard in a topic name", () => new PublishPacket { Topic = "a/+" }, MqttProtocolVersion.V500, MqttReasonCode.TopicNameInvalid, "MQTT-4.7.1-1"),
            Case("empty topic without alias", () => new PublishPacket { Topic = "" }, MqttProtocolVersion.V500, MqttReasonCode.TopicNameInvalid, "MQTT-4.7.3-1"),
            Case("empty topic with alias in 3.1.1", () =>
            {
                var p = new PublishPacket { Topic = "" };
                p.Properties.TopicAlias = 1;
                return p;
            }, MqttProtocolVersion.V311, MqttReasonCode.TopicNameInvalid, "MQTT-4.7.3-1"),
            Case("U+0000 in a topic", () => new PublishPacket { Topic = "a\0b" }, MqttProtocolVersion.V311, MqttReasonCode.TopicNameInvalid, "U+0000"),
            Case("U+0000 in a client identifier", () => new ConnectPacket { ClientId = "a\0b" }, MqttProtocolVersion.V311, MqttReasonCode.MalformedPacket, "MQTT-1.5.4-2"),
            Case("unpaired surrogate in a user property", () =>
            {
                var p = new PublishPacket { Topic = "t" };
                p.Properties.UserProperties.Add(new MqttUserProperty("k", "\uD800"));
                return p;
            }, MqttProtocolVersion.V500, MqttReasonCode.MalformedPacket, "MQTT-1.5.4-1"),
            Case("string longer than 65,535 bytes", () => new ConnectPacket { ClientId = new string('x', 65536) }, MqttProtocolVersion.V500,
                MqttReasonCode.MalformedPacket, "65,535"),
            Case("Topic Alias 0", () =>
            {
                var p = new PublishPacket { Topic = "t" };
                p.Properties.TopicAlias = 0;
                return p;
            }, MqttProtocolVersion.V500, MqttReasonCode.TopicAliasInvalid, "MQTT-3.3.2-8"),
            Case("Payload Format Indicator 2", () =>
            {
                var p = new PublishPacket { Topic = "t" };
                p.Properties.PayloadFormatIndicator = 2;
                return p;
            }, MqttProtocolVersion.V500, MqttReasonCode.ProtocolError, "0 or 1"),
            Case("two Subscription Identifiers in SUBSCRIBE", () =>
            {
                var p = Subscribe("a");
                p.Properties.SubscriptionIdentifiers.Add(1);
                p.Properties.SubscriptionIdentifiers.Add(2);
                return p;
            }, MqttProtocolVersion.V500, MqttReasonCode.ProtocolError, "more than one"),
            Case("Subscription Identifier 0", () =>
            {
                var p = new PublishPacket { Topic = "t" };
                p.Properties.SubscriptionIdentifiers.Add(0);
                return p;
            }, MqttProtocolVersion.V500, MqttReasonCode.ProtocolError, "Subscription Identifier"),
            Case("SUBSCRIBE without filters", () => new SubscribePacket { PacketId = 1 }, MqttProtocolVersion.V311, MqttReasonCode.ProtocolError, "MQTT-3.8.3-3"),
            Case("SUBSCRIBE packet identifier 0", () =>
            {
                var p = Subscribe("a");
                p.PacketId = 0;
                return p;
            }, MqttProtocolVersion.V311, MqttReasonCode.ProtocolError, "MQTT-2.2.1-3"),
            Case("invalid filter", () => Subscribe("a/#/b"), MqttProtocolVersion.V311, MqttReasonCode.TopicFilterInvalid, "MQTT-4.7.1-2"),
            Case("No Local on a shared subscription", () => Subscribe("$share/g/a", s => s.NoLocal = true), MqttProtocolVersion.V500,
                MqttReasonCode.ProtocolError, "MQTT-3.8.3-4"),
            Case("Retain Handling 3", () => Subscribe("a", s => s.RetainHandling = (RetainHandling)3), MqttProtocolVersion.V500,
                MqttReasonCode.ProtocolError, "Retain Handling"),
            Case("UNSUBSCRIBE without filters", () => new UnsubscribePacket { PacketId = 1 }, MqttProtocolVersion.V500, MqttReasonCode.ProtocolError, "MQTT-3.10.3-2"),
            Case("PUBACK packet identifier 0", () => new PubAckPacket(), MqttProtocolVersion.V500, MqttReasonCode.ProtocolError, "MQTT-2.2.1-3"),
            Case("PUBREL with a PUBACK reason code", () => new PubRelPacket { PacketId = 1, ReasonCodeValue = 0x10 }, MqttProtocolVersion.V500,
                MqttReasonCode.ProtocolError, "not a valid PUBREL reason code"),
            Case("SUBACK without reason codes", () => new SubAckPacket { PacketId = 1 }, MqttProtocolVersion.V311, MqttReasonCode.ProtocolError, "MQTT-3.9.3-1"),
            Case("CONNACK refusing with Session Present", () => new ConnAckPacket { SessionPresent = true, ReasonCode = ConnectReasonCode.Banned },
                MqttProtocolVersion.V500, MqttReasonCode.ProtocolError, "MQTT-3.2.2-6"),
            Case("CONNACK non-failure code without a 3.1.1 return code", () => new ConnAckPacket { ReasonCode = (ConnectReasonCode)0x10 },
                MqttProtocolVersion.V311, MqttReasonCode.ProtocolError, "no MQTT 3.1.1 return code"),
            Case("password without user name in 3.1.1", () => new ConnectPacket { ProtocolVersion = MqttProtocolVersion.V311, Password = new byte[1] },
                MqttProtocolVersion.V311, MqttReasonCode.ProtocolError, "MQTT-3.1.2-22"),
            Case("will topic with a wildcard", () => new ConnectPacket { Will = new MqttWillMessage { Topic = "#" } }, MqttProtocolVersion.V500,
                MqttReasonCode.TopicNameInvalid, "will topic"),
            Case("will QoS 3", () => new ConnectPacket { Will = new MqttWillMessage { Topic = "t", QoS = (MqttQualityOfService)3 } }, MqttProtocolVersion.V500,
                MqttReasonCode.MalformedPacket, "MQTT-3.1.2-12"),
            Case("unknown protocol level", () => new ConnectPacket { ProtocolVersion = (MqttProtocolVersion)6 }, MqttProtocolVersion.V500,
                MqttReasonCode.UnsupportedProtocolVersion, "protocol level 6"),
            Case("AUTH before 5.0", () => new AuthPacket(), MqttProtocolVersion.V311, MqttReasonCode.ProtocolError, "AUTH does not exist"),
            Case("AUTH Continue without method", () => new AuthPacket { ReasonCode = AuthReasonCode.ContinueAuthentication }, MqttProtocolVersion.V500,
                MqttReasonCode.ProtocolError, "without an Authentication Method"),
            Case("Authentication Data without method", () =>
            {
                var p = new ConnectPacket();
                p.Properties.AuthenticationData = new byte[1];
                return p;
            }, MqttProtocolVersion.V500, MqttReasonCode.ProtocolError, "without an Authentication Method"),
            Case("DISCONNECT with a CONNACK-only reason code", () => new DisconnectPacket { ReasonCode = (DisconnectReasonCode)0x84 },
                MqttProtocolVersion.V500, MqttReasonCode.ProtocolError, "not a valid DISCONNECT reason code"),
        };

        [Theory]
        [MemberData(nameof(Cases))]
        public void Refuses_unencodable_packets(string name, Func<MqttPacket> create, MqttProtocolVersion version, MqttReasonCode code, string fragment)
        {
            var packet = create();
            using (var output = new MqttBufferWriter())
            {
                output.WriteByte(0xAB); // earlier content stays as it was
                var e = Assert.Throws<MqttProtocolException>(() => MqttPacketEncoder.Encode(packet, version, output));
                Assert.True(code == e.ReasonCode, name + ": " + e.Message);
                Assert.Contains(fragment, e.Message);
                Assert.Equal(1, output.Length);
                Assert.Throws<MqttProtocolException>(() => MqttPacketEncoder.GetEncodedLength(packet, version));
            }
        }

        [Fact]
        public void Connect_is_encoded_with_its_own_protocol_version()
        {
            var connect = new ConnectPacket { ProtocolVersion = MqttProtocolVersion.V311, ClientId = "c" };
            Assert.Equal(MqttPacketEncoder.Encode(connect, MqttProtocolVersion.V311), MqttPacketEncoder.Encode(connect, MqttProtocolVersion.V500));
        }

        [Fact]
        public void Bridge_bit_of_the_protocol_level_round_trips()
        {
            var connect = new ConnectPacket { ProtocolVersion = MqttProtocolVersion.V311, ClientId = "bridge", IsBridge = true };
            var bytes = MqttPacketEncoder.Encode(connect, MqttProtocolVersion.V311);
            Assert.Equal(0x84, bytes[8]); // level 4 with bit 7 set (mosquitto's try_private)
            var decoded = (ConnectPacket)MqttPacketParser.Parse(bytes, 0, bytes.Length, null, true);
            Assert.True(decoded.IsBridge);
            Assert.Equal(MqttProtocolVersion.V311, decoded.ProtocolVersion);
        }

        [Fact]
        public void Many_packets_append_to_one_writer()
        {
            using (var output = new MqttBufferWriter(16))
            {
                var total = 0;
                for (var i = 1; i <= 100; i++)
                {
                    total += MqttPacketEncoder.Encode(new PublishPacket { Topic = "t/" + i, Payload = new byte[i], QoS = MqttQualityOfService.AtLeastOnce, PacketId = (ushort)i },
                        MqttProtocolVersion.V500, output);
                }
                Assert.Equal(total, output.Length);
                var decoder = new MqttPacketDecoder(MqttProtocolVersion.V500) { IsServer = false };
                decoder.Append(output.Buffer, 0, output.Length);
                for (var i = 1; i <= 100; i++)
                {
                    Assert.True(decoder.TryDecode(out var packet));
                    Assert.Equal("t/" + i, ((PublishPacket)packet).Topic);
                    Assert.Equal(i, ((PublishPacket)packet).Payload.Length);
                }
                Assert.False(decoder.TryDecode(out _));
            }
        }
    }
}
