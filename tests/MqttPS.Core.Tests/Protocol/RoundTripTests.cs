using System.Collections.Generic;
using System.Linq;
using System.Text;
using MqttPS.Core.Protocol;
using Xunit;

namespace MqttPS.Core.Tests.Protocol
{
    /// <summary>Every packet type in every version, with and without each optional field.</summary>
    public class RoundTripTests
    {
        public static IEnumerable<object[]> Versions() => PacketAssert.AllVersions.Select(v => new object[] { v });

        [Theory]
        [MemberData(nameof(Versions))]
        public void Connect_minimal(MqttProtocolVersion version)
        {
            var packet = new ConnectPacket { ProtocolVersion = version, ClientId = "c1", KeepAliveSeconds = 60 };
            var decoded = (ConnectPacket)PacketAssert.RoundTrip(packet, version);
            Assert.Equal(version, decoded.ProtocolVersion);
            Assert.Equal("c1", decoded.ClientId);
            Assert.True(decoded.CleanStart);
            Assert.Equal(60, decoded.KeepAliveSeconds);
            Assert.Null(decoded.Username);
            Assert.Null(decoded.Password);
            Assert.Null(decoded.Will);
        }

        [Theory]
        [MemberData(nameof(Versions))]
        public void Connect_with_everything(MqttProtocolVersion version)
        {
            var packet = new ConnectPacket
            {
                ProtocolVersion = version,
                ClientId = "",
                CleanStart = false,
                KeepAliveSeconds = 65535,
                Username = "ü-user",
                Password = new byte[] { 0, 1, 2, 255 },
                Will = new MqttWillMessage
                {
                    Topic = "will/topic",
                    Payload = Encoding.UTF8.GetBytes("bye"),
                    QoS = MqttQualityOfService.ExactlyOnce,
                    Retain = true,
                },
            };
            if (version == MqttProtocolVersion.V500)
            {
                var p = packet.Properties;
                p.SessionExpiryInterval = 3600;
                p.ReceiveMaximum = 20;
                p.MaximumPacketSize = 1 << 20;
                p.TopicAliasMaximum = 10;
                p.RequestResponseInformation = 1;
                p.RequestProblemInformation = 0;
                p.UserProperties.Add(new MqttUserProperty("a", "1"));
                p.UserProperties.Add(new MqttUserProperty("a", "2"));
                p.AuthenticationMethod = "SCRAM-SHA-1";
                p.AuthenticationData = new byte[] { 9, 8 };
                var w = packet.Will.Properties;
                w.WillDelayInterval = 5;
                w.PayloadFormatIndicator = 1;
                w.MessageExpiryInterval = 60;
                w.ContentType = "text/plain";
                w.ResponseTopic = "resp/x";
                w.CorrelationData = new byte[] { 1 };
                w.UserProperties.Add(new MqttUserProperty("k", "v"));
            }
            var decoded = (ConnectPacket)PacketAssert.RoundTrip(packet, version);
            Assert.Equal("", decoded.ClientId);
            Assert.False(decoded.CleanStart);
            Assert.Equal(65535, decoded.KeepAliveSeconds);
            Assert.Equal("ü-user", decoded.Username);
            Assert.Equal(new byte[] { 0, 1, 2, 255 }, decoded.Password);
            Assert.Equal("will/topic", decoded.Will.Topic);
            Assert.Equal("bye", Encoding.UTF8.GetString(decoded.Will.Payload));
            Assert.Equal(MqttQualityOfService.ExactlyOnce, decoded.Will.QoS);
            Assert.True(decoded.Will.Retain);
            if (version == MqttProtocolVersion.V500)
            {
                PacketAssert.EqualProperties(packet.Properties, decoded.Properties);
                PacketAssert.EqualProperties(packet.Will.Properties, decoded.Will.Properties);
            }
            else
            {
                Assert.False(decoded.HasProperties);
                Assert.False(decoded.Will.HasProperties);
            }
        }

        [Theory]
        [MemberData(nameof(Versions))]
        public void Publish_each_qos(MqttProtocolVersion version)
        {
            for (var qos = 0; qos <= 2; qos++)
            {
                var packet = new PublishPacket
                {
                    Topic = "a/b/c",
                    Payload = new byte[] { 1, 2, 3 },
                    QoS = (MqttQualityOfService)qos,
                    Retain = qos == 1,
                    Dup = qos == 2,
                    PacketId = (ushort)(qos == 0 ? 0 : 1000 + qos),
                };
                var decoded = (PublishPacket)PacketAssert.RoundTrip(packet, version);
                Assert.Equal("a/b/c", decoded.Topic);
                Assert.Equal(new byte[] { 1, 2, 3 }, decoded.Payload);
                Assert.Equal(packet.QoS, decoded.QoS);
                Assert.Equal(packet.Retain, decoded.Retain);
                Assert.Equal(packet.Dup, decoded.Dup);
                Assert.Equal(packet.PacketId, decoded.PacketId);
                Assert.False(decoded.HasProperties);
            }
        }

        [Fact]
        public void Publish_with_all_properties_v5()
        {
            var packet = new PublishPacket { Topic = "", QoS = MqttQualityOfService.AtLeastOnce, PacketId = 7, Payload = new byte[0] };
            var p = packet.Properties;
            p.TopicAlias = 3;
            p.PayloadFormatIndicator = 0;
            p.MessageExpiryInterval = 0;
            p.ContentType = "application/json";
            p.ResponseTopic = "r/t";
            p.CorrelationData = new byte[0];
            p.SubscriptionIdentifiers.Add(1);
            p.SubscriptionIdentifiers.Add(268435455);
            p.UserProperties.Add(new MqttUserProperty("", ""));
            var decoded = (PublishPacket)PacketAssert.RoundTrip(packet, MqttProtocolVersion.V500);
            PacketAssert.EqualProperties(p, decoded.Properties);
            Assert.Equal("", decoded.Topic);
        }

        [Theory]
        [MemberData(nameof(Versions))]
        public void Publish_responses(MqttProtocolVersion version)
        {
            var packets = new PublishResponsePacket[]
            {
                new PubAckPacket { PacketId = 1 },
                new PubRecPacket { PacketId = 2 },
                new PubRelPacket { PacketId = 3 },
                new PubCompPacket { PacketId = 65535 },
            };
            foreach (var packet in packets)
            {
                var bytes = MqttPacketEncoder.Encode(packet, version);
                Assert.Equal(4, bytes.Length); // short form: fixed header + packet identifier
                var decoded = (PublishResponsePacket)PacketAssert.RoundTrip(packet, version);
                Assert.Equal(packet.GetType(), decoded.GetType());
                Assert.Equal(packet.PacketId, decoded.PacketId);
                Assert.Equal(0, decoded.ReasonCodeValue);
            }
        }

        [Fact]
        public void Publish_responses_v5_reason_and_properties()
        {
            var ack = new PubAckPacket { PacketId = 9, ReasonCode = PubAckReasonCode.NoMatchingSubscribers };
            Assert.Equal(5, MqttPacketEncoder.Encode(ack, MqttProtocolVersion.V500).Length); // reason code, no property length
            Assert.Equal(PubAckReasonCode.NoMatchingSubscribers, ((PubAckPacket)PacketAssert.RoundTrip(ack, MqttProtocolVersion.V500)).ReasonCode);

            var rec = new PubRecPacket { PacketId = 9, ReasonCode = PubAckReasonCode.QuotaExceeded };
            rec.Properties.ReasonString = "full";
            rec.Properties.UserProperties.Add(new MqttUserProperty("x", "y"));
            var decodedRec = (PubRecPacket)PacketAssert.RoundTrip(rec, MqttProtocolVersion.V500);
            Assert.Equal(PubAckReasonCode.QuotaExceeded, decodedRec.ReasonCode);
            PacketAssert.EqualProperties(rec.Properties, decodedRec.Properties);

            var rel = new PubRelPacket { PacketId = 9, ReasonCode = PubRelReasonCode.PacketIdentifierNotFound };
            Assert.Equal(PubRelReasonCode.PacketIdentifierNotFound, ((PubRelPacket)PacketAssert.RoundTrip(rel, MqttProtocolVersion.V500)).ReasonCode);

            var comp = new PubCompPacket { PacketId = 9 };
            comp.Properties.ReasonString = "ok";
            var decodedComp = (PubCompPacket)PacketAssert.RoundTrip(comp, MqttProtocolVersion.V500);
            Assert.Equal("ok", decodedComp.Properties.ReasonString);
        }

        [Theory]
        [MemberData(nameof(Versions))]
        public void ConnAck(MqttProtocolVersion version)
        {
            var packet = new ConnAckPacket { SessionPresent = true, ReasonCode = ConnectReasonCode.Success };
            var decoded = (ConnAckPacket)PacketAssert.RoundTrip(packet, version);
            Assert.Equal(version != MqttProtocolVersion.V310, decoded.SessionPresent); // 3.1 has no session present flag
            Assert.Equal(ConnectReasonCode.Success, decoded.ReasonCode);

            var refused = new ConnAckPacket { ReasonCode = ConnectReasonCode.NotAuthorized };
            Assert.Equal(ConnectReasonCode.NotAuthorized, ((ConnAckPacket)PacketAssert.RoundTrip(refused, version)).ReasonCode);
        }

        [Fact]
        public void ConnAck_v5_properties()
        {
            var packet = new ConnAckPacket { ReasonCode = ConnectReasonCode.Success };
            var p = packet.Properties;
            p.TopicAliasMaximum = 10;
            p.AssignedClientIdentifier = "auto-1";
            p.ServerKeepAlive = 30;
            p.SessionExpiryInterval = 0;
            p.ReceiveMaximum = 20;
            p.MaximumQoS = 1;
            p.RetainAvailable = 0;
            p.MaximumPacketSize = 1000;
            p.WildcardSubscriptionAvailable = 1;
            p.SubscriptionIdentifierAvailable = 0;
            p.SharedSubscriptionAvailable = 1;
            p.ResponseInformation = "resp";
            p.ServerReference = "other:1883";
            p.ReasonString = "welcome";
            p.AuthenticationMethod = "m";
            p.AuthenticationData = new byte[] { 1 };
            p.UserProperties.Add(new MqttUserProperty("u", "v"));
            var decoded = (ConnAckPacket)PacketAssert.RoundTrip(packet, MqttProtocolVersion.V500);
            PacketAssert.EqualProperties(p, decoded.Properties);
        }

        [Theory]
        [MemberData(nameof(Versions))]
        public void Subscribe_and_suback(MqttProtocolVersion version)
        {
            var packet = new SubscribePacket { PacketId = 10 };
            packet.Subscriptions.Add(new MqttTopicSubscription("a/+", MqttQualityOfService.AtLeastOnce));
            packet.Subscriptions.Add(new MqttTopicSubscription("#", MqttQualityOfService.ExactlyOnce));
            var decoded = (SubscribePacket)PacketAssert.RoundTrip(packet, version);
            Assert.Equal(10, decoded.PacketId);
            Assert.Equal(new[] { "a/+", "#" }, decoded.Subscriptions.Select(s => s.TopicFilter));
            Assert.Equal(new[] { MqttQualityOfService.AtLeastOnce, MqttQualityOfService.ExactlyOnce }, decoded.Subscriptions.Select(s => s.QoS));

            var ack = new SubAckPacket { PacketId = 10 };
            ack.ReasonCodes.Add(SubAckReasonCode.GrantedQoS1);
            ack.ReasonCodes.Add(SubAckReasonCode.GrantedQoS0);
            ack.ReasonCodes.Add(SubAckReasonCode.UnspecifiedError);
            var decodedAck = (SubAckPacket)PacketAssert.RoundTrip(ack, version);
            Assert.Equal(ack.ReasonCodes, decodedAck.ReasonCodes);
        }

        [Fact]
        public void Subscribe_v5_options_and_properties()
        {
            var packet = new SubscribePacket { PacketId = 1 };
            packet.Properties.SubscriptionIdentifiers.Add(42);
            packet.Properties.UserProperties.Add(new MqttUserProperty("a", "b"));
            packet.Subscriptions.Add(new MqttTopicSubscription
            {
                TopicFilter = "x/y", QoS = MqttQualityOfService.ExactlyOnce, NoLocal = true, RetainAsPublished = true,
                RetainHandling = RetainHandling.DoNotSend,
            });
            packet.Subscriptions.Add(new MqttTopicSubscription
            {
                TopicFilter = "$share/g/x", RetainHandling = RetainHandling.SendAtSubscribeIfNew,
            });
            var decoded = (SubscribePacket)PacketAssert.RoundTrip(packet, MqttProtocolVersion.V500);
            PacketAssert.EqualProperties(packet.Properties, decoded.Properties);
            var s = decoded.Subscriptions[0];
            Assert.Equal(MqttQualityOfService.ExactlyOnce, s.QoS);
            Assert.True(s.NoLocal);
            Assert.True(s.RetainAsPublished);
            Assert.Equal(RetainHandling.DoNotSend, s.RetainHandling);
            Assert.Equal(RetainHandling.SendAtSubscribeIfNew, decoded.Subscriptions[1].RetainHandling);
        }

        [Fact]
        public void SubAck_failures_written_as_0x80_before_v5()
        {
            var ack = new SubAckPacket { PacketId = 1 };
            ack.ReasonCodes.Add(SubAckReasonCode.NotAuthorized);
            ack.ReasonCodes.Add(SubAckReasonCode.GrantedQoS2);
            Assert.Equal(PacketAssert.Bytes("90 04 00 01 80 02"), MqttPacketEncoder.Encode(ack, MqttProtocolVersion.V311));
            Assert.Equal(PacketAssert.Bytes("90 05 00 01 00 87 02"), MqttPacketEncoder.Encode(ack, MqttProtocolVersion.V500));
        }

        [Theory]
        [MemberData(nameof(Versions))]
        public void Unsubscribe_and_unsuback(MqttProtocolVersion version)
        {
            var packet = new UnsubscribePacket { PacketId = 5 };
            packet.TopicFilters.Add("a/#");
            packet.TopicFilters.Add("b");
            if (version == MqttProtocolVersion.V500) packet.Properties.UserProperties.Add(new MqttUserProperty("n", "v"));
            var decoded = (UnsubscribePacket)PacketAssert.RoundTrip(packet, version);
            Assert.Equal(packet.TopicFilters, decoded.TopicFilters);

            var ack = new UnsubAckPacket { PacketId = 5 };
            ack.ReasonCodes.Add(UnsubAckReasonCode.Success);
            ack.ReasonCodes.Add(UnsubAckReasonCode.NoSubscriptionExisted);
            var bytes = MqttPacketEncoder.Encode(ack, version);
            var decodedAck = (UnsubAckPacket)PacketAssert.RoundTrip(ack, version);
            Assert.Equal(5, decodedAck.PacketId);
            if (version == MqttProtocolVersion.V500) Assert.Equal(ack.ReasonCodes, decodedAck.ReasonCodes);
            else
            {
                Assert.Equal(PacketAssert.Bytes("B0 02 00 05"), bytes); // 3.1.1 UNSUBACK has no payload
                Assert.Empty(decodedAck.ReasonCodes);
            }
        }

        [Theory]
        [MemberData(nameof(Versions))]
        public void Ping_and_disconnect(MqttProtocolVersion version)
        {
            Assert.Equal(PacketAssert.Bytes("C0 00"), MqttPacketEncoder.Encode(PingReqPacket.Instance, version));
            Assert.Equal(PacketAssert.Bytes("D0 00"), MqttPacketEncoder.Encode(PingRespPacket.Instance, version));
            Assert.Same(PingReqPacket.Instance, PacketAssert.RoundTrip(PingReqPacket.Instance, version));
            Assert.Same(PingRespPacket.Instance, PacketAssert.RoundTrip(PingRespPacket.Instance, version));
            Assert.Equal(PacketAssert.Bytes("E0 00"), MqttPacketEncoder.Encode(new DisconnectPacket(), version));
            Assert.IsType<DisconnectPacket>(PacketAssert.RoundTrip(new DisconnectPacket(), version));
        }

        [Fact]
        public void Disconnect_v5_forms()
        {
            var withReason = new DisconnectPacket { ReasonCode = DisconnectReasonCode.DisconnectWithWillMessage };
            Assert.Equal(PacketAssert.Bytes("E0 01 04"), MqttPacketEncoder.Encode(withReason, MqttProtocolVersion.V500));
            var withProperties = new DisconnectPacket { ReasonCode = DisconnectReasonCode.ServerMoved };
            withProperties.Properties.ServerReference = "elsewhere";
            withProperties.Properties.SessionExpiryInterval = 10;
            withProperties.Properties.ReasonString = "moved";
            var decoded = (DisconnectPacket)PacketAssert.RoundTrip(withProperties, MqttProtocolVersion.V500);
            Assert.Equal(DisconnectReasonCode.ServerMoved, decoded.ReasonCode);
            PacketAssert.EqualProperties(withProperties.Properties, decoded.Properties);
        }

        [Fact]
        public void Auth_v5_forms()
        {
            Assert.Equal(PacketAssert.Bytes("F0 00"), MqttPacketEncoder.Encode(new AuthPacket(), MqttProtocolVersion.V500));
            var packet = new AuthPacket { ReasonCode = AuthReasonCode.ContinueAuthentication };
            packet.Properties.AuthenticationMethod = "SCRAM-SHA-256";
            packet.Properties.AuthenticationData = Encoding.ASCII.GetBytes("nonce");
            packet.Properties.ReasonString = "step 2";
            packet.Properties.UserProperties.Add(new MqttUserProperty("a", "b"));
            var decoded = (AuthPacket)PacketAssert.RoundTrip(packet, MqttProtocolVersion.V500);
            Assert.Equal(AuthReasonCode.ContinueAuthentication, decoded.ReasonCode);
            PacketAssert.EqualProperties(packet.Properties, decoded.Properties);
        }

        [Fact]
        public void Auth_cannot_be_encoded_before_v5()
        {
            var e = Assert.Throws<MqttProtocolException>(() => MqttPacketEncoder.Encode(new AuthPacket(), MqttProtocolVersion.V311));
            Assert.Equal(MqttReasonCode.ProtocolError, e.ReasonCode);
        }
    }
}
