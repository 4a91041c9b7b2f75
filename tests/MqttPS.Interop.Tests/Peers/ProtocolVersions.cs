using System;
using MqttPS.Core.Protocol;
using NetProtocolVersion = MQTTnet.Formatter.MqttProtocolVersion;

namespace MqttPS.Interop.Tests.Peers
{
    /// <summary>Test data names protocol versions as people write them ("5.0", "3.1.1"), so that each case of the
    /// interop matrix reads as scenario x version; these map them to each library's enumeration.</summary>
    public static class ProtocolVersions
    {
        public const string V5 = "5.0";
        public const string V311 = "3.1.1";

        public static NetProtocolVersion ToMqttnet(string version) => version switch
        {
            V5 => NetProtocolVersion.V500,
            V311 => NetProtocolVersion.V311,
            _ => throw new ArgumentException("unknown protocol version " + version),
        };

        public static MqttProtocolVersion ToMqttPS(string version) => version switch
        {
            V5 => MqttProtocolVersion.V500,
            V311 => MqttProtocolVersion.V311,
            _ => throw new ArgumentException("unknown protocol version " + version),
        };
    }
}
