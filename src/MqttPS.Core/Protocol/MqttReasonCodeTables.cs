using System;

namespace MqttPS.Core.Protocol
{
    /// <summary>
    /// Which reason code bytes each packet may carry (MQTT 5.0 sections 3.2.2.2, 3.4.2.1, ...), as lookup
    /// tables built once from the enums, so checking a PUBACK does not cost an Enum.IsDefined call.
    /// </summary>
    internal static class MqttReasonCodeTables
    {
        public static readonly bool[] ConnAck = Build(typeof(ConnectReasonCode));
        public static readonly bool[] PubAck = Build(typeof(PubAckReasonCode));
        public static readonly bool[] PubRel = Build(typeof(PubRelReasonCode));
        public static readonly bool[] SubAck = Build(typeof(SubAckReasonCode));
        public static readonly bool[] UnsubAck = Build(typeof(UnsubAckReasonCode));
        public static readonly bool[] Disconnect = Build(typeof(DisconnectReasonCode));
        public static readonly bool[] Auth = Build(typeof(AuthReasonCode));

        private static bool[] Build(Type enumType)
        {
            var table = new bool[256];
            foreach (var value in Enum.GetValues(enumType)) table[Convert.ToByte(value)] = true;
            return table;
        }

        /// <summary>Throws Protocol Error unless <paramref name="code"/> is in <paramref name="table"/>.</summary>
        public static void Check(bool[] table, byte code, MqttPacketType type)
        {
            if (!table[code])
            {
                throw MqttProtocolErrors.ProtocolError(null,
                    "0x" + code.ToString("X2") + " is not a valid " + MqttPropertyRules.PacketName(type) + " reason code");
            }
        }
    }
}
