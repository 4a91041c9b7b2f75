using System;
using System.Globalization;
using MqttPS.Core.Protocol;

namespace MqttPS.Core.Shell
{
    /// <summary>
    /// The MQTT versions as users write them (-ProtocolVersion 3.1.1, 5.0) and the other spellings that reach the
    /// parameter: 5 or $v = 5.0 (a number, which PowerShell turns into the text "5"), and a connection's own
    /// ProtocolVersion (V311, V500) passed back in. Level 4 is not accepted as 3.1.1: "4.0" is no MQTT version.
    /// </summary>
    public static class ProtocolVersionText
    {
        public static readonly string[] Names = { "3.1", "3.1.1", "5.0" };

        /// <summary>The canonical name ("3.1", "3.1.1", "5.0") for <paramref name="value"/>, or null when it is none.</summary>
        public static string Normalize(object value)
        {
            switch (value)
            {
                case null:
                    return null;
                case MqttProtocolVersion version:
                    return Name(version);
                case string text:
                    return NormalizeText(text);
                case double d:
                    return d == 5.0 ? "5.0" : d == 3.1 ? "3.1" : null;
                case float f:
                    return f == 5.0f ? "5.0" : null;
                case decimal m:
                    return m == 5m ? "5.0" : m == 3.1m ? "3.1" : null;
                case int i:
                    return i == 5 ? "5.0" : null;
                case long l:
                    return l == 5 ? "5.0" : null;
                default:
                    return NormalizeText(Convert.ToString(value, CultureInfo.InvariantCulture));
            }
        }

        private static string NormalizeText(string text)
        {
            var t = (text ?? "").Trim();
            foreach (var name in Names)
                if (t == name) return name;
            if (t == "5" || string.Equals(t, "V500", StringComparison.OrdinalIgnoreCase)) return "5.0";
            if (string.Equals(t, "V311", StringComparison.OrdinalIgnoreCase)) return "3.1.1";
            if (string.Equals(t, "V310", StringComparison.OrdinalIgnoreCase)) return "3.1";
            return null;
        }

        public static string Name(MqttProtocolVersion version)
        {
            switch (version)
            {
                case MqttProtocolVersion.V310: return "3.1";
                case MqttProtocolVersion.V311: return "3.1.1";
                case MqttProtocolVersion.V500: return "5.0";
                default: return null;
            }
        }

        /// <summary>Parses a canonical or accepted name; throws an InvalidArgument error naming the choices otherwise.</summary>
        public static MqttProtocolVersion Parse(object value)
        {
            switch (Normalize(value))
            {
                case "3.1": return MqttProtocolVersion.V310;
                case "3.1.1": return MqttProtocolVersion.V311;
                case "5.0": return MqttProtocolVersion.V500;
                default:
                    throw new MqttShellException("InvalidProtocolVersion", ShellErrorCategory.InvalidArgument,
                        "-ProtocolVersion " + ShellText.Quote(System.Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)) + " is not an MQTT version this module speaks; use 3.1.1 or 5.0 (or 3.1).", value);
            }
        }
    }
}
