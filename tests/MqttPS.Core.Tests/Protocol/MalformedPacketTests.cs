using System.Collections.Generic;
using MqttPS.Core.Protocol;
using Xunit;

namespace MqttPS.Core.Tests.Protocol
{
    /// <summary>
    /// Malformed and protocol-violating inputs, each with the reason code the codec must report and a fragment of
    /// the message (the spec rule id where one exists), so a case cannot pass by failing for another reason.
    /// Where mosquitto's answer differs from the letter of the spec, the expected code is mosquitto's (the broker
    /// is compared with it byte for byte) and the case name says so.
    /// In the hex, RL stands for the computed Remaining Length.
    /// </summary>
    public class MalformedPacketTests
    {
        private const int Any = 0;
        private const int Server = 1;
        private const int Client = 2;
        private const int NoVersion = 0;

        // CONNECT prefixes: protocol name "MQTT" (00 04 4D 51 54 54) or "MQIsdp".
        private const string Mqtt = "00 04 4D 51 54 54";
        private const string MQIsdp = "00 06 4D 51 49 73 64 70";

        private static object[] Case(string name, string hex, int version, int role, int code, string fragment, bool suppressReply = false) =>
            new object[] { name, hex, version, role, code, fragment, suppressReply };

        public static IEnumerable<object[]> Cases() => new[]
        {
            // ---- fixed header [MQTT-2.1.3-1]
            Case("reserved flags set on PUBACK", "41 02 00 01", 5, Any, 0x81, "MQTT-2.1.3-1"),
            Case("SUBSCRIBE with flags 0000", "80 RL 00 01 00 01 61 00", 4, Any, 0x81, "must be 0010"),
            Case("UNSUBSCRIBE with flags 0011", "A3 RL 00 01 00 01 61", 4, Any, 0x81, "must be 0010"),
            Case("PUBREL with flags 0000 (mosquitto: 0x82)", "60 02 00 01", 5, Any, 0x82, "MQTT-2.1.3-1"),
            Case("DISCONNECT with flags (mosquitto: 0x82)", "E2 00", 5, Any, 0x82, "MQTT-2.1.3-1"),
            Case("AUTH with flags (mosquitto: 0x82)", "F1 00", 5, Any, 0x82, "MQTT-2.1.3-1"),
            Case("PINGREQ with flags", "C8 00", 4, Any, 0x81, "must be 0000"),
            Case("CONNACK with flags", "21 02 00 00", 4, Client, 0x81, "MQTT-2.1.3-1"),
            Case("CONNECT with flags", "12 RL " + Mqtt + " 04 02 00 0A 00 01 63", NoVersion, Server, 0x81, "MQTT-2.1.3-1", true),
            Case("reserved packet type 0", "00 00", 5, Any, 0x82, "packet type 0"),
            Case("packet type 15 before 5.0", "F0 00", 4, Any, 0x81, "reserved before MQTT 5.0"),
            Case("remaining length of 5 bytes", "30 FF FF FF FF 01", 4, Any, 0x81, "MQTT-1.5.5-1", true),
            Case("remaining length not minimal", "C0 80 00", 4, Any, 0x81, "MQTT-1.5.5-1", true),
            Case("remaining length beyond the data", "30 0A 00 03 61 2F 62", 4, Any, 0x81, "only 5 bytes follow"),
            Case("first packet is not CONNECT", "C0 00", NoVersion, Server, 0x82, "MQTT-3.1.0-1", true),
            Case("CONNACK sent to a server", "20 02 00 00", 4, Server, 0x82, "never receives CONNACK"),
            Case("CONNACK sent to a server, checked before its flags", "2F 02 00 00", 5, Server, 0x82, "never receives CONNACK"),
            Case("SUBACK sent to a server", "90 03 00 01 00", 4, Server, 0x82, "never receives SUBACK"),
            Case("UNSUBACK sent to a server", "B0 02 00 01", 4, Server, 0x82, "never receives UNSUBACK"),
            Case("PINGRESP sent to a server", "D0 00", 5, Server, 0x82, "never receives PINGRESP"),
            Case("SUBSCRIBE sent to a client", "82 RL 00 01 00 01 61 00", 4, Client, 0x82, "never receives SUBSCRIBE"),
            Case("PINGREQ sent to a client", "C0 00", 5, Client, 0x82, "never receives PINGREQ"),
            Case("PINGREQ with a body", "C0 01 00", 4, Any, 0x81, "Remaining Length is 1", true),
            Case("PINGRESP with a body", "D0 01 00", 4, Client, 0x81, "Remaining Length is 1", true),

            // ---- variable byte integers [MQTT-1.5.5-1]
            Case("5-byte variable byte integer in a property", "30 RL 00 01 61 06 0B FF FF FF FF 01", 5, Any, 0x81, "longer than 4 bytes"),
            Case("non-minimal Subscription Identifier (80 00)", "82 RL 00 01 03 0B 80 00 00 01 61 00", 5, Any, 0x81, "MQTT-1.5.5-1"),

            // ---- UTF-8 strings [MQTT-1.5.4-*]
            Case("string length beyond the packet", "30 RL 00 09 61 62 63", 4, Any, 0x81, "bytes are left in the packet"),
            Case("invalid UTF-8: lone continuation byte", "30 RL 00 03 61 80 62", 4, Any, 0x81, "MQTT-1.5.4-1"),
            Case("invalid UTF-8: overlong encoding", "30 RL 00 03 E0 80 AF", 4, Any, 0x81, "overlong"),
            Case("invalid UTF-8: C0 lead byte", "30 RL 00 02 C0 AF", 4, Any, 0x81, "cannot start"),
            Case("invalid UTF-8: sequence cut off", "30 RL 00 02 61 E2", 4, Any, 0x81, "cut off"),
            Case("invalid UTF-8: above U+10FFFF", "30 RL 00 04 F4 90 80 80", 4, Any, 0x81, "above U+10FFFF"),
            Case("U+0000 in a string", "30 RL 00 03 61 00 62", 4, Any, 0x81, "MQTT-1.5.4-2"),
            Case("surrogate U+D800 in a string", "30 RL 00 03 ED A0 80", 4, Any, 0x81, "U+D800"),
            Case("control character U+0001 (server side)", "30 RL 00 03 61 01 62", 4, Server, 0x81, "U+0001"),
            Case("control character U+0085 (server side)", "30 RL 00 04 61 C2 85 62", 4, Server, 0x81, "U+0085"),
            Case("non-character U+FFFF (server side)", "30 RL 00 03 EF BF BF", 4, Server, 0x81, "U+FFFF"),

            // ---- PUBLISH
            Case("PUBLISH with QoS 3", "36 RL 00 01 61 00 01", 4, Any, 0x81, "MQTT-3.3.1-4"),
            Case("PUBLISH with DUP at QoS 0", "38 RL 00 01 61", 4, Any, 0x81, "MQTT-3.3.1-2"),
            Case("'+' in a PUBLISH topic", "30 RL 00 03 61 2F 2B", 4, Any, 0x81, "MQTT-3.3.2-2"),
            Case("'#' in a PUBLISH topic", "30 RL 00 01 23 00 00", 5, Any, 0x81, "MQTT-3.3.2-2"),
            Case("empty PUBLISH topic in 3.1.1", "30 RL 00 00 68 69", 4, Any, 0x81, "MQTT-4.7.3-1"),
            Case("empty PUBLISH topic without Topic Alias (mosquitto: 0x81)", "30 RL 00 00 00 68 69", 5, Any, 0x81, "no Topic Alias"),
            Case("QoS 1 PUBLISH with packet identifier 0", "32 RL 00 01 61 00 00", 4, Any, 0x82, "MQTT-2.2.1-3"),
            Case("QoS 2 PUBLISH without packet identifier", "34 RL 00 01 61", 4, Any, 0x81, "packet identifier"),
            Case("Topic Alias 0", "30 RL 00 01 61 03 23 00 00", 5, Any, 0x94, "MQTT-3.3.2-8"),
            Case("Subscription Identifier in a client's PUBLISH", "30 RL 00 01 61 02 0B 01", 5, Server, 0x82, "MQTT-3.3.4-6"),

            // ---- properties
            Case("Server Keep Alive in PUBLISH (mosquitto: 0x82)", "30 RL 00 01 61 03 13 00 0A", 5, Any, 0x82, "not allowed in PUBLISH"),
            Case("Reason String in PUBACK is allowed, Topic Alias is not", "40 RL 00 01 00 03 23 00 01", 5, Any, 0x82, "not allowed in PUBACK"),
            Case("Content Type in SUBSCRIBE (mosquitto: 0x81)", "82 RL 00 01 04 03 00 01 74 00 01 61 00", 5, Any, 0x81, "not allowed in SUBSCRIBE"),
            Case("Topic Alias in UNSUBSCRIBE (mosquitto: 0x81)", "A2 RL 00 01 03 23 00 01 00 01 61", 5, Any, 0x81, "not allowed in UNSUBSCRIBE"),
            Case("Reason String in will properties", "10 RL " + Mqtt + " 05 06 00 0A 00 00 01 63 05 1F 00 02 6F 6B 00 01 74 00 00",
                NoVersion, Server, 0x82, "not allowed in the will properties"),
            Case("Message Expiry Interval twice", "30 RL 00 01 61 0A 02 00 00 00 01 02 00 00 00 02", 5, Any, 0x82, "more than once"),
            Case("Subscription Identifier twice in SUBSCRIBE", "82 RL 00 01 04 0B 01 0B 02 00 01 61 00", 5, Any, 0x82, "more than once"),
            Case("Reason String twice in DISCONNECT", "E0 RL 00 08 1F 00 01 61 1F 00 01 62", 5, Any, 0x82, "more than once"),
            Case("unknown property identifier 0x04", "30 RL 00 01 61 02 04 00", 5, Any, 0x81, "unknown property identifier 0x04"),
            Case("property length beyond the packet", "30 RL 00 01 61 0A 01 00", 5, Any, 0x81, "property length"),
            Case("property value cut off", "30 RL 00 01 61 02 02 00", 5, Any, 0x81, "Message Expiry Interval"),
            Case("disallowed property whose value is cut off is Malformed", "40 RL 00 01 00 01 01", 5, Any, 0x81, "Payload Format Indicator"),
            Case("Payload Format Indicator 2", "30 RL 00 01 61 02 01 02", 5, Any, 0x82, "must be 0 or 1"),
            Case("Request Problem Information 2", "10 RL " + Mqtt + " 05 02 00 0A 02 17 02 00 01 63", NoVersion, Server, 0x82, "must be 0 or 1"),
            Case("Maximum QoS 2 in CONNACK", "20 RL 00 00 02 24 02", 5, Client, 0x82, "must be 0 or 1"),
            Case("Receive Maximum 0", "10 RL " + Mqtt + " 05 02 00 0A 03 21 00 00 00 01 63", NoVersion, Server, 0x82, "Receive Maximum property must not be 0"),
            Case("Maximum Packet Size 0", "10 RL " + Mqtt + " 05 02 00 0A 05 27 00 00 00 00 00 01 63", NoVersion, Server, 0x82, "Maximum Packet Size property must not be 0"),
            Case("Subscription Identifier 0", "82 RL 00 01 02 0B 00 00 01 61 00", 5, Any, 0x82, "Subscription Identifier must be"),
            Case("Response Topic with a wildcard", "30 RL 00 01 61 05 08 00 02 61 23 00", 5, Any, 0x82, "Response Topic"),
            Case("empty Response Topic", "30 RL 00 01 61 03 08 00 00", 5, Any, 0x82, "Response Topic"),
            Case("Authentication Data without Authentication Method", "10 RL " + Mqtt + " 05 02 00 0A 04 16 00 01 00 00 01 63",
                NoVersion, Server, 0x82, "without an Authentication Method"),

            // ---- CONNECT
            Case("unknown protocol name", "10 RL 00 04 4D 51 54 55 04 02 00 0A 00 01 63", NoVersion, Server, 0x82, "MQTT-3.1.2-1", true),
            Case("protocol level 6", "10 RL " + Mqtt + " 06 02 00 0A 00 01 63", NoVersion, Server, 0x84, "MQTT-3.1.2-2"),
            Case("protocol level 0x85 (5.0 with the bridge bit)", "10 RL " + Mqtt + " 85 02 00 0A 00 00 01 63", NoVersion, Server, 0x84, "MQTT-3.1.2-2"),
            Case("MQIsdp with protocol level 4", "10 RL " + MQIsdp + " 04 02 00 0A 00 01 63", NoVersion, Server, 0x84, "MQTT-3.1.2-2"),
            Case("reserved connect flag", "10 RL " + Mqtt + " 04 03 00 0A 00 01 63", NoVersion, Server, 0x81, "MQTT-3.1.2-3", true),
            Case("will QoS without the will flag", "10 RL " + Mqtt + " 04 0A 00 0A 00 01 63", NoVersion, Server, 0x81, "MQTT-3.1.2-11", true),
            Case("will retain without the will flag", "10 RL " + Mqtt + " 04 22 00 0A 00 01 63", NoVersion, Server, 0x81, "MQTT-3.1.2-13", true),
            Case("will QoS 3", "10 RL " + Mqtt + " 04 1E 00 0A 00 01 63 00 01 74 00 00", NoVersion, Server, 0x81, "MQTT-3.1.2-12", true),
            Case("password without user name in 3.1.1", "10 RL " + Mqtt + " 04 42 00 0A 00 01 63 00 01 70", NoVersion, Server, 0x82, "MQTT-3.1.2-22", true),
            Case("user name flag without a user name", "10 RL " + Mqtt + " 04 82 00 0A 00 01 63", NoVersion, Server, 0x81, "user name", true),
            Case("bytes after the last field", "10 RL " + Mqtt + " 05 02 00 0A 00 00 01 63 00 01 75", NoVersion, Server, 0x81, "MQTT-3.1.3-1"),
            Case("3.1.1 CONNECT errors close without CONNACK [MQTT-3.2.2-6]", "10 RL " + Mqtt + " 04 02 00 0A 00 01 63 00 01 75",
                NoVersion, Server, 0x81, "MQTT-3.1.3-1", true),
            Case("client identifier not valid UTF-8", "10 RL " + Mqtt + " 05 02 00 0A 00 00 02 C3 28", NoVersion, Server, 0x85, "invalid client identifier"),
            Case("client identifier with a control character", "10 RL " + Mqtt + " 05 02 00 0A 00 00 02 61 07", NoVersion, Server, 0x85, "U+0007"),
            Case("will topic with a wildcard", "10 RL " + Mqtt + " 05 06 00 0A 00 00 01 63 00 00 01 23 00 00", NoVersion, Server, 0x90, "invalid will topic"),
            Case("will flag without will topic", "10 RL " + Mqtt + " 05 06 00 0A 00 00 01 63 00", NoVersion, Server, 0x81, "will topic"),
            Case("CONNECT cut off before the keep alive", "10 RL " + Mqtt + " 05 02", NoVersion, Server, 0x81, "keep alive", true),
            Case("CONNECT property block cut off (answered with CONNACK)", "10 RL " + Mqtt + " 05 02 00 0A 05 11 00", NoVersion, Server, 0x81,
                "property length"),
            Case("3.1.1 client identifier with a control character", "10 RL " + Mqtt + " 04 02 00 0A 00 02 61 07", NoVersion, Server, 0x85, "U+0007", true),

            // ---- SUBSCRIBE / UNSUBSCRIBE (mosquitto answers all structural faults with 0x81)
            Case("SUBSCRIBE without topic filters", "82 02 00 01", 4, Any, 0x81, "MQTT-3.8.3-3"),
            Case("SUBSCRIBE without topic filters (5.0)", "82 03 00 01 00", 5, Any, 0x81, "MQTT-3.8.3-2"),
            Case("SUBSCRIBE with packet identifier 0", "82 RL 00 00 00 01 61 00", 4, Any, 0x81, "MQTT-2.2.1-3"),
            Case("3.1.1 requested QoS 3", "82 RL 00 01 00 01 61 03", 4, Any, 0x81, "MQTT-3.8.3-4"),
            Case("3.1.1 requested QoS byte with reserved bits", "82 RL 00 01 00 01 61 04", 4, Any, 0x81, "MQTT-3.8.3-4"),
            Case("5.0 subscription options bits 6-7", "82 RL 00 01 00 00 01 61 40", 5, Any, 0x81, "MQTT-3.8.3-5"),
            Case("5.0 Maximum QoS 3", "82 RL 00 01 00 00 01 61 03", 5, Any, 0x81, "Maximum QoS"),
            Case("5.0 Retain Handling 3", "82 RL 00 01 00 00 01 61 30", 5, Any, 0x81, "Retain Handling"),
            Case("No Local on a shared subscription", "82 RL 00 01 00 00 0A 24 73 68 61 72 65 2F 67 2F 61 04", 5, Any, 0x82, "MQTT-3.8.3-4"),
            Case("empty topic filter", "82 RL 00 01 00 00 00", 4, Any, 0x81, "MQTT-4.7.3-1"),
            Case("'#' not in the last level", "82 RL 00 01 00 05 61 2F 23 2F 62 00", 4, Any, 0x81, "MQTT-4.7.1-2"),
            Case("'+' sharing a level", "82 RL 00 01 00 00 05 61 62 2F 2B 65 00", 5, Any, 0x81, "MQTT-4.7.1-3"),
            Case("subscription options missing", "82 RL 00 01 00 01 61", 4, Any, 0x81, "subscription options"),
            Case("UNSUBSCRIBE without topic filters", "A2 02 00 01", 4, Any, 0x81, "MQTT-3.10.3-2"),
            Case("UNSUBSCRIBE with packet identifier 0", "A2 RL 00 00 00 01 61", 4, Any, 0x81, "MQTT-2.2.1-3"),
            Case("UNSUBSCRIBE with an empty filter", "A2 RL 00 01 00 00", 4, Any, 0x81, "MQTT-4.7.3-1"),

            // ---- acknowledgements, CONNACK, DISCONNECT, AUTH
            Case("3.1.1 PUBACK with 3 bytes", "40 03 00 01 00", 4, Any, 0x81, "must be 2"),
            Case("PUBACK cut short", "40 01 00", 5, Any, 0x81, "packet identifier"),
            Case("PUBACK with packet identifier 0", "40 02 00 00", 5, Any, 0x82, "MQTT-2.2.1-3"),
            Case("PUBACK with an unknown reason code", "40 03 00 01 05", 5, Any, 0x82, "not a valid PUBACK reason code"),
            Case("PUBREL with a PUBACK-only reason code", "62 03 00 01 10", 5, Any, 0x82, "not a valid PUBREL reason code"),
            Case("PUBACK with bytes after its properties", "40 05 00 01 00 00 FF", 5, Any, 0x81, "unexpected bytes"),
            Case("3.1.1 DISCONNECT with a body", "E0 01 00", 4, Any, 0x81, "no variable header"),
            Case("3.1.1 UNSUBACK with a payload", "B0 03 00 01 00", 4, Client, 0x81, "must be 2"),
            Case("CONNACK reserved acknowledge flags", "20 02 02 00", 4, Client, 0x81, "MQTT-3.2.2-1"),
            Case("CONNACK return code 6", "20 02 00 06", 4, Client, 0x82, "return code 6 is reserved"),
            Case("CONNACK Session Present with a failure", "20 03 01 80 00", 5, Client, 0x82, "MQTT-3.2.2-6"),
            Case("CONNACK unknown reason code", "20 03 00 05 00", 5, Client, 0x82, "not a valid CONNACK reason code"),
            Case("SUBACK 3.1.1 return code 3", "90 03 00 01 03", 4, Client, 0x82, "MQTT-3.9.3-2"),
            Case("SUBACK without reason codes", "90 02 00 01", 4, Client, 0x82, "no reason code"),
            Case("SUBACK unknown reason code", "90 04 00 01 00 05", 5, Client, 0x82, "not a valid SUBACK reason code"),
            Case("5.0 UNSUBACK without reason codes", "B0 03 00 01 00", 5, Client, 0x82, "no reason code"),
            Case("AUTH Continue without Authentication Method", "F0 02 18 00", 5, Any, 0x82, "without an Authentication Method"),
            Case("AUTH unknown reason code", "F0 01 05", 5, Any, 0x82, "not a valid AUTH reason code"),
        };

        [Theory]
        [MemberData(nameof(Cases))]
        public void Is_rejected_with_the_prescribed_reason_code(string name, string hex, int version, int role, int code,
            string fragment, bool suppressReply)
        {
            var bytes = PacketAssert.Bytes(hex);
            MqttProtocolVersion? v = version == NoVersion ? (MqttProtocolVersion?)null : (MqttProtocolVersion)version;
            var e = Assert.Throws<MqttProtocolException>(() =>
            {
                if (role == Any) MqttPacketParser.Parse(bytes, 0, bytes.Length, v);
                else MqttPacketParser.Parse(bytes, 0, bytes.Length, v, role == Server);
            });
            Assert.True(code == (int)e.ReasonCode, name + ": expected 0x" + code.ToString("X2") + ", got " + e.Message);
            Assert.Contains(fragment, e.Message);
            Assert.Equal(suppressReply, e.SuppressReply);

            // The incremental decoder reports the same, however the bytes are split.
            var decoder = new MqttPacketDecoder(v) { IsServer = role == Server || (role == Any && v == null) };
            MqttProtocolException streamed = null;
            foreach (var b in bytes)
            {
                decoder.Append(new[] { b }, 0, 1);
                try
                {
                    while (decoder.TryDecode(out _)) { }
                }
                catch (MqttProtocolException caught)
                {
                    streamed = caught;
                    break;
                }
            }
            if (role != Any || v == null)
            {
                Assert.NotNull(streamed);
                Assert.Equal(e.ReasonCode, streamed.ReasonCode);
            }
        }

        [Fact]
        public void The_same_bytes_are_accepted_where_the_rule_does_not_apply()
        {
            // Control characters are refused only on the server side (section 1.5.4 "MAY").
            var controlCharacter = PacketAssert.Bytes("30 RL 00 03 61 01 62");
            Assert.Equal("a\u0001b", ((PublishPacket)MqttPacketParser.Parse(controlCharacter, 0, controlCharacter.Length, MqttProtocolVersion.V311, false)).Topic);

            // A server may send Subscription Identifiers in PUBLISH, and more than one [MQTT-3.3.4-4].
            var subscriptionIds = PacketAssert.Bytes("30 RL 00 01 61 04 0B 01 0B 02");
            var publish = (PublishPacket)MqttPacketParser.Parse(subscriptionIds, 0, subscriptionIds.Length, MqttProtocolVersion.V500, false);
            Assert.Equal(new uint[] { 1, 2 }, publish.Properties.SubscriptionIdentifiers);

            // MQTT 3.1 fixed neither the CONNECT header flags nor the reserved connect flag; mosquitto accepts both.
            var v31 = PacketAssert.Bytes("14 RL " + MQIsdp + " 03 03 00 0A 00 01 63");
            Assert.Equal(MqttProtocolVersion.V310, ((ConnectPacket)MqttPacketParser.Parse(v31, 0, v31.Length, null, true)).ProtocolVersion);

            // MQTT 3.1 allowed DUP on the QoS 1 style PUBREL/SUBSCRIBE/UNSUBSCRIBE; 3.1.1 does not.
            var pubRelDup = PacketAssert.Bytes("6A 02 00 01");
            Assert.IsType<PubRelPacket>(MqttPacketParser.Parse(pubRelDup, 0, pubRelDup.Length, MqttProtocolVersion.V310));
            Assert.Throws<MqttProtocolException>(() => MqttPacketParser.Parse(pubRelDup, 0, pubRelDup.Length, MqttProtocolVersion.V311));

            // DISCONNECT: any reason code is accepted, the connection ends anyway.
            var disconnect = PacketAssert.Bytes("E0 01 05");
            Assert.Equal((DisconnectReasonCode)5, ((DisconnectPacket)MqttPacketParser.Parse(disconnect, 0, disconnect.Length, MqttProtocolVersion.V500)).ReasonCode);

            // User Property may repeat, with the same name, in order [MQTT-3.3.2-18].
            var users = PacketAssert.Bytes("30 RL 00 01 61 0E 26 00 01 6B 00 01 31 26 00 01 6B 00 01 32");
            var withUsers = (PublishPacket)MqttPacketParser.Parse(users, 0, users.Length, MqttProtocolVersion.V500);
            Assert.Equal(new[] { new MqttUserProperty("k", "1"), new MqttUserProperty("k", "2") }, withUsers.Properties.UserProperties);

            // A Topic Alias stands in for an empty topic name (resolving it is session state, not the codec's).
            var alias = PacketAssert.Bytes("30 RL 00 00 03 23 00 05 68 69");
            var aliased = (PublishPacket)MqttPacketParser.Parse(alias, 0, alias.Length, MqttProtocolVersion.V500);
            Assert.Equal("", aliased.Topic);
            Assert.Equal((ushort)5, aliased.Properties.TopicAlias);
        }
    }
}
