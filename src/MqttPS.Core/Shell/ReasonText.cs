using System.Globalization;

namespace MqttPS.Core.Shell
{
    /// <summary>Reason codes as the OASIS MQTT 5.0 standard names them, for error messages.</summary>
    public static class ReasonText
    {
        public static string Describe(int code)
        {
            string name;
            switch (code)
            {
                case 0x00: name = "Success"; break;
                case 0x01: name = "Granted QoS 1"; break;
                case 0x02: name = "Granted QoS 2"; break;
                case 0x10: name = "No matching subscribers"; break;
                case 0x11: name = "No subscription existed"; break;
                case 0x80: name = "Unspecified error"; break;
                case 0x81: name = "Malformed Packet"; break;
                case 0x82: name = "Protocol Error"; break;
                case 0x83: name = "Implementation specific error"; break;
                case 0x84: name = "Unsupported Protocol Version"; break;
                case 0x85: name = "Client Identifier not valid"; break;
                case 0x86: name = "Bad User Name or Password"; break;
                case 0x87: name = "Not authorized"; break;
                case 0x88: name = "Server unavailable"; break;
                case 0x89: name = "Server busy"; break;
                case 0x8A: name = "Banned"; break;
                case 0x8B: name = "Server shutting down"; break;
                case 0x8C: name = "Bad authentication method"; break;
                case 0x8F: name = "Topic Filter invalid"; break;
                case 0x90: name = "Topic Name invalid"; break;
                case 0x91: name = "Packet Identifier in use"; break;
                case 0x92: name = "Packet Identifier not found"; break;
                case 0x93: name = "Receive Maximum exceeded"; break;
                case 0x95: name = "Packet too large"; break;
                case 0x97: name = "Quota exceeded"; break;
                case 0x99: name = "Payload format invalid"; break;
                case 0x9A: name = "Retain not supported"; break;
                case 0x9B: name = "QoS not supported"; break;
                case 0x9E: name = "Shared Subscriptions not supported"; break;
                case 0xA1: name = "Subscription Identifiers not supported"; break;
                case 0xA2: name = "Wildcard Subscriptions not supported"; break;
                default: name = "reason code"; break;
            }
            return name + " (0x" + code.ToString("X2", CultureInfo.InvariantCulture) + ")";
        }
    }
}
