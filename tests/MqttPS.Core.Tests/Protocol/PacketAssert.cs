using System;
using System.Linq;
using MqttPS.Core.Protocol;
using Xunit;

namespace MqttPS.Core.Tests.Protocol
{
    /// <summary>Helpers shared by the codec tests: encode/decode shortcuts and a deep packet comparison.</summary>
    internal static class PacketAssert
    {
        public static readonly MqttProtocolVersion[] AllVersions =
            { MqttProtocolVersion.V310, MqttProtocolVersion.V311, MqttProtocolVersion.V500 };

        public static MqttPacket RoundTrip(MqttPacket packet, MqttProtocolVersion version)
        {
            var bytes = MqttPacketEncoder.Encode(packet, version);
            Assert.Equal(bytes.Length, MqttPacketEncoder.GetEncodedLength(packet, version));
            var decoded = MqttPacketParser.Parse(bytes, 0, bytes.Length, version);
            // Re-encoding the decoded packet gives the same bytes: nothing is lost or reordered.
            Assert.Equal(Hex(bytes), Hex(MqttPacketEncoder.Encode(decoded, version)));
            return decoded;
        }

        public static MqttProtocolException Fails(string hex, MqttProtocolVersion? version)
        {
            var bytes = Bytes(hex);
            return Assert.Throws<MqttProtocolException>(() => MqttPacketParser.Parse(bytes, 0, bytes.Length, version));
        }

        /// <summary>
        /// Hex bytes separated by spaces, "|" or newlines. The token RL stands for the Remaining Length of the
        /// rest (encoded as a variable byte integer), so hand-written vectors need not count bytes.
        /// </summary>
        public static byte[] Bytes(string hex)
        {
            var tokens = hex.Split(new[] { ' ', '|', '\n', '\r', '\t' }, StringSplitOptions.RemoveEmptyEntries);
            var bytes = new System.Collections.Generic.List<byte>();
            var rlIndex = -1;
            foreach (var token in tokens)
            {
                if (token == "RL") { rlIndex = bytes.Count; continue; }
                for (var i = 0; i + 1 < token.Length; i += 2) bytes.Add(Convert.ToByte(token.Substring(i, 2), 16));
            }
            if (rlIndex >= 0)
            {
                var remaining = bytes.Count - rlIndex;
                var vbi = new System.Collections.Generic.List<byte>();
                do
                {
                    var b = (byte)(remaining % 128);
                    remaining /= 128;
                    if (remaining > 0) b |= 0x80;
                    vbi.Add(b);
                }
                while (remaining > 0);
                bytes.InsertRange(rlIndex, vbi);
            }
            return bytes.ToArray();
        }

        /// <summary>The hex of an ASCII/UTF-8 text, for readable vectors.</summary>
        public static string Text(string text) => BitConverter.ToString(System.Text.Encoding.UTF8.GetBytes(text)).Replace("-", "");

        public static string Hex(byte[] bytes) => BitConverter.ToString(bytes).Replace("-", " ");

        /// <summary>Compares two properties objects field by field (null and absent are the same).</summary>
        public static void EqualProperties(MqttProperties expected, MqttProperties actual)
        {
            expected = expected ?? new MqttProperties();
            actual = actual ?? new MqttProperties();
            foreach (var property in typeof(MqttProperties).GetProperties())
            {
                if (property.Name == nameof(MqttProperties.UserProperties) || property.Name == nameof(MqttProperties.SubscriptionIdentifiers)) continue;
                Assert.Equal(property.GetValue(expected), property.GetValue(actual));
            }
            Assert.Equal(expected.HasUserProperties ? expected.UserProperties.ToArray() : new MqttUserProperty[0],
                actual.HasUserProperties ? actual.UserProperties.ToArray() : new MqttUserProperty[0]);
            Assert.Equal(expected.HasSubscriptionIdentifiers ? expected.SubscriptionIdentifiers.ToArray() : new uint[0],
                actual.HasSubscriptionIdentifiers ? actual.SubscriptionIdentifiers.ToArray() : new uint[0]);
        }
    }
}
