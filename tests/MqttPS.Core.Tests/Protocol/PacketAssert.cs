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

        public static byte[] Bytes(string hex)
        {
            var digits = new string(hex.Where(Uri.IsHexDigit).ToArray());
            var bytes = new byte[digits.Length / 2];
            for (var i = 0; i < bytes.Length; i++) bytes[i] = Convert.ToByte(digits.Substring(i * 2, 2), 16);
            return bytes;
        }

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
