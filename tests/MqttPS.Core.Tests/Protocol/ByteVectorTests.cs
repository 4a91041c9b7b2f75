using System.Text;
using MqttPS.Core.Protocol;
using Xunit;

namespace MqttPS.Core.Tests.Protocol
{
    /// <summary>
    /// Expected bytes written by hand from the specification text (MQTT 3.1.1 section 3, MQTT 5.0 section 3),
    /// one comment per byte group. Each vector is checked both ways: the encoder produces exactly these bytes and
    /// the decoder reads them back into the same packet.
    /// </summary>
    public class ByteVectorTests
    {
        private static void AssertEncodes(MqttPacket packet, MqttProtocolVersion version, string expectedHex)
        {
            var expected = PacketAssert.Bytes(expectedHex);
            Assert.Equal(PacketAssert.Hex(expected), PacketAssert.Hex(MqttPacketEncoder.Encode(packet, version)));
            Assert.Equal(expected.Length, MqttPacketEncoder.GetEncodedLength(packet, version));
        }

        private static T Decode<T>(string hex, MqttProtocolVersion? version) where T : MqttPacket
        {
            var bytes = PacketAssert.Bytes(hex);
            return Assert.IsType<T>(MqttPacketParser.Parse(bytes, 0, bytes.Length, version));
        }

        private const string Connect311 =
            "10 15" +                 // CONNECT, Remaining Length 21
            " 00 04 4D 51 54 54" +    // protocol name "MQTT"
            " 04" +                   // protocol level 4 (3.1.1)
            " C2" +                   // flags: user name 0x80, password 0x40, clean session 0x02
            " 00 3C" +                // keep alive 60 s
            " 00 03 61 62 63" +       // client identifier "abc"
            " 00 01 75" +             // user name "u"
            " 00 01 70";              // password "p"

        [Fact]
        public void Connect_3_1_1()
        {
            var packet = new ConnectPacket
            {
                ProtocolVersion = MqttProtocolVersion.V311, ClientId = "abc", CleanStart = true, KeepAliveSeconds = 60,
                Username = "u", Password = Encoding.ASCII.GetBytes("p"),
            };
            AssertEncodes(packet, MqttProtocolVersion.V311, Connect311);

            var decoded = Decode<ConnectPacket>(Connect311, null);
            Assert.Equal(MqttProtocolVersion.V311, decoded.ProtocolVersion);
            Assert.Equal("abc", decoded.ClientId);
            Assert.True(decoded.CleanStart);
            Assert.Equal(60, decoded.KeepAliveSeconds);
            Assert.Equal("u", decoded.Username);
            Assert.Equal(new byte[] { 0x70 }, decoded.Password);
            Assert.Null(decoded.Will);
        }

        private const string Connect31 =
            "10 10" +                      // CONNECT, Remaining Length 16
            " 00 06 4D 51 49 73 64 70" +   // protocol name "MQIsdp"
            " 03" +                        // protocol level 3 (3.1)
            " 00" +                        // flags: none (persistent session)
            " 00 0A" +                     // keep alive 10 s
            " 00 02 69 64";                // client identifier "id"

        [Fact]
        public void Connect_3_1()
        {
            var packet = new ConnectPacket { ProtocolVersion = MqttProtocolVersion.V310, ClientId = "id", CleanStart = false, KeepAliveSeconds = 10 };
            AssertEncodes(packet, MqttProtocolVersion.V310, Connect31);
            var decoded = Decode<ConnectPacket>(Connect31, null);
            Assert.Equal(MqttProtocolVersion.V310, decoded.ProtocolVersion);
            Assert.False(decoded.CleanStart);
        }

        private const string Connect500WithWill =
            "10 2F" +                       // CONNECT, Remaining Length 47
            " 00 04 4D 51 54 54" +          // protocol name "MQTT"
            " 05" +                         // protocol level 5
            " 2E" +                         // flags: will retain 0x20, will QoS 1 0x08, will 0x04, clean start 0x02
            " 00 0A" +                      // keep alive 10 s
            " 08" +                         // property length 8
            " 11 00 00 0E 10" +             //   Session Expiry Interval 3600
            " 21 00 14" +                   //   Receive Maximum 20
            " 00 01 63" +                   // client identifier "c"
            " 0E" +                         // will property length 14
            " 18 00 00 00 05" +             //   Will Delay Interval 5
            " 01 01" +                      //   Payload Format Indicator 1 (UTF-8)
            " 26 00 01 6B 00 01 76" +       //   User Property "k" = "v"
            " 00 03 77 2F 74" +             // will topic "w/t"
            " 00 03 62 79 65";              // will payload "bye"

        [Fact]
        public void Connect_5_0_with_properties_and_will()
        {
            var packet = new ConnectPacket
            {
                ProtocolVersion = MqttProtocolVersion.V500, ClientId = "c", CleanStart = true, KeepAliveSeconds = 10,
                Will = new MqttWillMessage
                {
                    Topic = "w/t", Payload = Encoding.ASCII.GetBytes("bye"), QoS = MqttQualityOfService.AtLeastOnce, Retain = true,
                },
            };
            packet.Properties.SessionExpiryInterval = 3600;
            packet.Properties.ReceiveMaximum = 20;
            packet.Will.Properties.WillDelayInterval = 5;
            packet.Will.Properties.PayloadFormatIndicator = 1;
            packet.Will.Properties.UserProperties.Add(new MqttUserProperty("k", "v"));
            AssertEncodes(packet, MqttProtocolVersion.V500, Connect500WithWill);

            var decoded = Decode<ConnectPacket>(Connect500WithWill, null);
            Assert.Equal(3600u, decoded.Properties.SessionExpiryInterval);
            Assert.Equal((ushort)20, decoded.Properties.ReceiveMaximum);
            Assert.Equal("w/t", decoded.Will.Topic);
            Assert.Equal(MqttQualityOfService.AtLeastOnce, decoded.Will.QoS);
            Assert.True(decoded.Will.Retain);
            Assert.Equal(5u, decoded.Will.Properties.WillDelayInterval);
            Assert.Equal((byte)1, decoded.Will.Properties.PayloadFormatIndicator);
            Assert.Equal(new MqttUserProperty("k", "v"), Assert.Single(decoded.Will.Properties.UserProperties));
        }

        [Fact]
        public void Publish_QoS_0_3_1_1()
        {
            const string hex =
                "30 07" +            // PUBLISH, QoS 0, no DUP/RETAIN; Remaining Length 7
                " 00 03 61 2F 62" +  // topic name "a/b" (no packet identifier at QoS 0)
                " 68 69";            // payload "hi"
            var packet = new PublishPacket { Topic = "a/b", Payload = Encoding.ASCII.GetBytes("hi") };
            AssertEncodes(packet, MqttProtocolVersion.V311, hex);
            var decoded = Decode<PublishPacket>(hex, MqttProtocolVersion.V311);
            Assert.Equal("a/b", decoded.Topic);
            Assert.Equal(MqttQualityOfService.AtMostOnce, decoded.QoS);
            Assert.Equal(0, decoded.PacketId);
        }

        [Fact]
        public void Publish_QoS_1_retained_5_0()
        {
            const string hex =
                "33 0A" +            // PUBLISH, QoS 1 (0x02) + RETAIN (0x01); Remaining Length 10
                " 00 03 61 2F 62" +  // topic name "a/b"
                " 00 0A" +           // packet identifier 10
                " 00" +              // property length 0
                " 68 69";            // payload "hi"
            var packet = new PublishPacket
            {
                Topic = "a/b", Payload = Encoding.ASCII.GetBytes("hi"), QoS = MqttQualityOfService.AtLeastOnce, Retain = true, PacketId = 10,
            };
            AssertEncodes(packet, MqttProtocolVersion.V500, hex);
            var decoded = Decode<PublishPacket>(hex, MqttProtocolVersion.V500);
            Assert.True(decoded.Retain);
            Assert.Equal(10, decoded.PacketId);
            Assert.False(decoded.HasProperties); // an empty property block allocates nothing
        }

        [Fact]
        public void Publish_QoS_2_duplicate_with_properties_5_0()
        {
            const string hex =
                "3C 13" +              // PUBLISH, DUP (0x08) + QoS 2 (0x04); Remaining Length 19
                " 00 03 61 2F 62" +    // topic name "a/b"
                " 12 34" +             // packet identifier 0x1234
                " 09" +                // property length 9
                " 02 00 00 00 3C" +    //   Message Expiry Interval 60
                " 03 00 01 74" +       //   Content Type "t"
                " 68 69";              // payload "hi"
            var packet = new PublishPacket
            {
                Topic = "a/b", Payload = Encoding.ASCII.GetBytes("hi"), QoS = MqttQualityOfService.ExactlyOnce, Dup = true, PacketId = 0x1234,
            };
            packet.Properties.MessageExpiryInterval = 60;
            packet.Properties.ContentType = "t";
            AssertEncodes(packet, MqttProtocolVersion.V500, hex);
            var decoded = Decode<PublishPacket>(hex, MqttProtocolVersion.V500);
            Assert.True(decoded.Dup);
            Assert.Equal(MqttQualityOfService.ExactlyOnce, decoded.QoS);
            Assert.Equal(60u, decoded.Properties.MessageExpiryInterval);
            Assert.Equal("t", decoded.Properties.ContentType);
        }

        [Fact]
        public void Subscribe_with_options_5_0()
        {
            const string hex =
                "82 0F" +               // SUBSCRIBE (reserved flags 0010); Remaining Length 15
                " 00 01" +              // packet identifier 1
                " 02" +                 // property length 2
                " 0B 05" +              //   Subscription Identifier 5
                " 00 03 61 2F 2B" +     // topic filter "a/+"
                " 2D" +                 //   options: Retain Handling 2 (0x20), Retain As Published 0x08, No Local 0x04, QoS 1
                " 00 01 23" +           // topic filter "#"
                " 10";                  //   options: Retain Handling 1, QoS 0
            var packet = new SubscribePacket { PacketId = 1 };
            packet.Properties.SubscriptionIdentifiers.Add(5);
            packet.Subscriptions.Add(new MqttTopicSubscription
            {
                TopicFilter = "a/+", QoS = MqttQualityOfService.AtLeastOnce, NoLocal = true, RetainAsPublished = true,
                RetainHandling = RetainHandling.DoNotSend,
            });
            packet.Subscriptions.Add(new MqttTopicSubscription { TopicFilter = "#", RetainHandling = RetainHandling.SendAtSubscribeIfNew });
            AssertEncodes(packet, MqttProtocolVersion.V500, hex);

            var decoded = Decode<SubscribePacket>(hex, MqttProtocolVersion.V500);
            Assert.Equal(new uint[] { 5 }, decoded.Properties.SubscriptionIdentifiers);
            Assert.Equal(2, decoded.Subscriptions.Count);
            Assert.True(decoded.Subscriptions[0].NoLocal);
            Assert.True(decoded.Subscriptions[0].RetainAsPublished);
            Assert.Equal(RetainHandling.DoNotSend, decoded.Subscriptions[0].RetainHandling);
            Assert.Equal(RetainHandling.SendAtSubscribeIfNew, decoded.Subscriptions[1].RetainHandling);
        }

        [Fact]
        public void Subscribe_3_1_1()
        {
            const string hex =
                "82 08" +               // SUBSCRIBE; Remaining Length 8
                " 00 02" +              // packet identifier 2
                " 00 03 61 2F 23" +     // topic filter "a/#"
                " 01";                  // requested QoS 1
            var packet = new SubscribePacket { PacketId = 2 };
            packet.Subscriptions.Add(new MqttTopicSubscription("a/#", MqttQualityOfService.AtLeastOnce));
            AssertEncodes(packet, MqttProtocolVersion.V311, hex);
        }

        [Fact]
        public void Disconnect_with_reason_5_0()
        {
            // Reason code only: Remaining Length 1, no property length [section 3.14.2.2.1].
            AssertEncodes(new DisconnectPacket { ReasonCode = DisconnectReasonCode.DisconnectWithWillMessage },
                MqttProtocolVersion.V500, "E0 01 04");

            const string hex =
                "E0 08" +               // DISCONNECT; Remaining Length 8
                " 8B" +                 // reason code 0x8B Server shutting down
                " 06" +                 // property length 6
                " 1F 00 03 62 79 65";   //   Reason String "bye"
            var packet = new DisconnectPacket { ReasonCode = DisconnectReasonCode.ServerShuttingDown };
            packet.Properties.ReasonString = "bye";
            AssertEncodes(packet, MqttProtocolVersion.V500, hex);
            var decoded = Decode<DisconnectPacket>(hex, MqttProtocolVersion.V500);
            Assert.Equal(DisconnectReasonCode.ServerShuttingDown, decoded.ReasonCode);
            Assert.Equal("bye", decoded.Properties.ReasonString);

            // 3.1.1 has no variable header: the reason is not sent.
            AssertEncodes(packet, MqttProtocolVersion.V311, "E0 00");
        }

        [Fact]
        public void ConnAck_forms()
        {
            AssertEncodes(new ConnAckPacket { SessionPresent = true }, MqttProtocolVersion.V311, "20 02 01 00");
            // 3.1.1 return codes [MQTT-3.2.2-4]: Not authorized is 5, Server unavailable 3, Bad user name or password 4.
            AssertEncodes(new ConnAckPacket { ReasonCode = ConnectReasonCode.NotAuthorized }, MqttProtocolVersion.V311, "20 02 00 05");
            AssertEncodes(new ConnAckPacket { ReasonCode = ConnectReasonCode.ServerBusy }, MqttProtocolVersion.V311, "20 02 00 03");
            AssertEncodes(new ConnAckPacket { ReasonCode = ConnectReasonCode.UnsupportedProtocolVersion }, MqttProtocolVersion.V311, "20 02 00 01");
            Assert.Equal(ConnectReasonCode.BadUserNameOrPassword, Decode<ConnAckPacket>("20 02 00 04", MqttProtocolVersion.V311).ReasonCode);
            Assert.Equal(ConnectReasonCode.ServerUnavailable, Decode<ConnAckPacket>("20 02 00 03", MqttProtocolVersion.V311).ReasonCode);

            // A 3.1.1-only server answers a 5.0 CONNECT with a 3.1.1 CONNACK: a 5.0 client reads return code 1
            // as 0x84 Unsupported Protocol Version (and may fall back to 3.1.1).
            Assert.Equal(ConnectReasonCode.UnsupportedProtocolVersion, Decode<ConnAckPacket>("20 02 00 01", MqttProtocolVersion.V500).ReasonCode);
            Assert.Equal(ConnectReasonCode.NotAuthorized, Decode<ConnAckPacket>("20 02 00 05", MqttProtocolVersion.V500).ReasonCode);

            var connAck = new ConnAckPacket();
            connAck.Properties.TopicAliasMaximum = 10; // written in the order they were set
            connAck.Properties.ReceiveMaximum = 20;
            AssertEncodes(connAck, MqttProtocolVersion.V500,
                "20 09" +           // CONNACK; Remaining Length 9
                " 00" +             // acknowledge flags: no session present
                " 00" +             // reason code Success
                " 06" +             // property length 6
                " 22 00 0A" +       //   Topic Alias Maximum 10
                " 21 00 14");       //   Receive Maximum 20
        }

        [Fact]
        public void Publish_acknowledgement_short_forms_5_0()
        {
            AssertEncodes(new PubAckPacket { PacketId = 7 }, MqttProtocolVersion.V500, "40 02 00 07");
            AssertEncodes(new PubRecPacket { PacketId = 7, ReasonCode = PubAckReasonCode.NoMatchingSubscribers }, MqttProtocolVersion.V500, "50 03 00 07 10");
            AssertEncodes(new PubRelPacket { PacketId = 7 }, MqttProtocolVersion.V500, "62 02 00 07");
            AssertEncodes(new PubCompPacket { PacketId = 7, ReasonCode = PubRelReasonCode.PacketIdentifierNotFound }, MqttProtocolVersion.V500, "70 03 00 07 92");
            // 3.1.1 has only the packet identifier.
            AssertEncodes(new PubRecPacket { PacketId = 7, ReasonCode = PubAckReasonCode.NoMatchingSubscribers }, MqttProtocolVersion.V311, "50 02 00 07");

            // Decoding accepts every form: reason code with an explicit empty property block as well.
            var full = Decode<PubAckPacket>("40 04 00 07 10 00", MqttProtocolVersion.V500);
            Assert.Equal(PubAckReasonCode.NoMatchingSubscribers, full.ReasonCode);
            Assert.False(full.HasProperties);
        }

        [Fact]
        public void Unsubscribe_and_acknowledgements()
        {
            var unsubscribe = new UnsubscribePacket { PacketId = 3 };
            unsubscribe.TopicFilters.Add("a/b");
            AssertEncodes(unsubscribe, MqttProtocolVersion.V311, "A2 07 00 03 00 03 61 2F 62");
            AssertEncodes(unsubscribe, MqttProtocolVersion.V500, "A2 08 00 03 00 00 03 61 2F 62");

            var unsubAck = new UnsubAckPacket { PacketId = 3 };
            unsubAck.ReasonCodes.Add(UnsubAckReasonCode.NoSubscriptionExisted);
            AssertEncodes(unsubAck, MqttProtocolVersion.V500, "B0 04 00 03 00 11");
            AssertEncodes(unsubAck, MqttProtocolVersion.V311, "B0 02 00 03");

            var subAck = new SubAckPacket { PacketId = 3 };
            subAck.ReasonCodes.Add(SubAckReasonCode.GrantedQoS1);
            subAck.ReasonCodes.Add(SubAckReasonCode.TopicFilterInvalid);
            AssertEncodes(subAck, MqttProtocolVersion.V500, "90 05 00 03 00 01 8F");
            AssertEncodes(subAck, MqttProtocolVersion.V311, "90 04 00 03 01 80"); // 3.1.1 knows only 0x80 as failure
        }

        [Fact]
        public void Auth_5_0()
        {
            var auth = new AuthPacket { ReasonCode = AuthReasonCode.ContinueAuthentication };
            auth.Properties.AuthenticationMethod = "M";
            auth.Properties.AuthenticationData = new byte[] { 1, 2 };
            AssertEncodes(auth, MqttProtocolVersion.V500,
                "F0 0B" +              // AUTH; Remaining Length 11
                " 18" +                // reason code 0x18 Continue authentication
                " 09" +                // property length 9
                " 15 00 01 4D" +       //   Authentication Method "M"
                " 16 00 02 01 02");    //   Authentication Data 01 02
            AssertEncodes(new AuthPacket(), MqttProtocolVersion.V500, "F0 00");
        }

        [Fact]
        public void Remaining_length_boundaries()
        {
            // 127 bytes fit one length byte, 128 need two (0x80 0x01) [section 1.5.5].
            var publish = new PublishPacket { Topic = "t", Payload = new byte[127 - 3] };
            var bytes = MqttPacketEncoder.Encode(publish, MqttProtocolVersion.V311);
            Assert.Equal(new byte[] { 0x30, 0x7F }, new[] { bytes[0], bytes[1] });
            publish.Payload = new byte[128 - 3];
            bytes = MqttPacketEncoder.Encode(publish, MqttProtocolVersion.V311);
            Assert.Equal(new byte[] { 0x30, 0x80, 0x01 }, new[] { bytes[0], bytes[1], bytes[2] });
            publish.Payload = new byte[16384 - 3];
            bytes = MqttPacketEncoder.Encode(publish, MqttProtocolVersion.V311);
            Assert.Equal(new byte[] { 0x30, 0x80, 0x80, 0x01 }, new[] { bytes[0], bytes[1], bytes[2], bytes[3] });
            Assert.Equal(16384 - 3, ((PublishPacket)MqttPacketParser.Parse(bytes, 0, bytes.Length, MqttProtocolVersion.V311)).Payload.Length);
        }
    }
}
