using System;
using System.Collections;
using System.Globalization;
using System.Numerics;
using System.Text;

namespace MqttPS.Core.Shell
{
    /// <summary>
    /// Writes a JSON tree (<see cref="JsonObject"/>, dictionaries, lists and scalars, as <see cref="JsonConversion"/>
    /// and <see cref="JsonParser"/> produce them) as compact text, character for character as ConvertTo-Json
    /// -Compress does in PowerShell 7: doubles keep a decimal point ("1.0"), NaN and infinities are strings,
    /// dates are ISO 8601 with their kind's zone, and only quotes, backslashes, control characters and the
    /// JavaScript line separators are escaped. Written here rather than taken from a package because the module
    /// must load in Windows PowerShell 5.1, where System.Text.Json or Newtonsoft.Json would collide with other
    /// modules' copies.
    /// </summary>
    public static class CompactJsonWriter
    {
        public static string Write(object tree)
        {
            var sb = new StringBuilder();
            WriteValue(sb, tree);
            return sb.ToString();
        }

        /// <summary>Values written as one JSON scalar even though they are not .NET primitives.</summary>
        public static bool IsScalar(object value) =>
            value is string || value is char || value is bool || value is DateTime || value is DateTimeOffset || value is Guid ||
            value is Uri || value is double || value is float || value is decimal || value is BigInteger;

        private static void WriteValue(StringBuilder sb, object value)
        {
            switch (value)
            {
                case null:
                case DBNull _:
                    sb.Append("null");
                    return;
                case string s:
                    WriteString(sb, s);
                    return;
                case char c:
                    WriteString(sb, c.ToString());
                    return;
                case bool b:
                    sb.Append(b ? "true" : "false");
                    return;
                case double d:
                    WriteFloatingPoint(sb, d, d.ToString("R", CultureInfo.InvariantCulture));
                    return;
                case float f:
                    WriteFloatingPoint(sb, f, f.ToString("R", CultureInfo.InvariantCulture));
                    return;
                case decimal m:
                    sb.Append(WithDecimalPoint(m.ToString(CultureInfo.InvariantCulture)));
                    return;
                case BigInteger big:
                    sb.Append(big.ToString(CultureInfo.InvariantCulture));
                    return;
                case DateTime dt:
                    WriteString(sb, IsoDate(dt));
                    return;
                case DateTimeOffset dto:
                    WriteString(sb, IsoDate(dto.DateTime) + Offset(dto.Offset));
                    return;
                case Guid g:
                    WriteString(sb, g.ToString("D"));
                    return;
                case Uri u:
                    WriteString(sb, u.OriginalString);
                    return;
                case IntPtr pointer:
                    // Newtonsoft writes pointers through ISerializable, as their one serialized field.
                    sb.Append("{\"value\":").Append(pointer.ToInt64().ToString(CultureInfo.InvariantCulture)).Append('}');
                    return;
                case UIntPtr pointer:
                    sb.Append("{\"value\":").Append(pointer.ToUInt64().ToString(CultureInfo.InvariantCulture)).Append('}');
                    return;
                case Enum e:
                    sb.Append(Convert.ToInt64(e, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture));
                    return;
                case JsonObject json:
                    sb.Append('{');
                    for (var i = 0; i < json.Count; i++)
                    {
                        if (i > 0) sb.Append(',');
                        WriteString(sb, json.Keys[i]);
                        sb.Append(':');
                        WriteValue(sb, json[json.Keys[i]]);
                    }
                    sb.Append('}');
                    return;
                case IDictionary dictionary:
                {
                    sb.Append('{');
                    var first = true;
                    foreach (DictionaryEntry entry in dictionary)
                    {
                        if (!first) sb.Append(',');
                        first = false;
                        WriteString(sb, Convert.ToString(entry.Key, CultureInfo.InvariantCulture));
                        sb.Append(':');
                        WriteValue(sb, entry.Value);
                    }
                    sb.Append('}');
                    return;
                }
                case IEnumerable sequence:
                {
                    sb.Append('[');
                    var first = true;
                    foreach (var item in sequence)
                    {
                        if (!first) sb.Append(',');
                        first = false;
                        WriteValue(sb, item);
                    }
                    sb.Append(']');
                    return;
                }
            }
            if (value.GetType().IsPrimitive)
            {
                sb.Append(Convert.ToString(value, CultureInfo.InvariantCulture));
                return;
            }
            // Not a tree node (JsonConversion turns objects into JsonObjects first): its text.
            WriteString(sb, Convert.ToString(value, CultureInfo.InvariantCulture));
        }

        private static void WriteFloatingPoint(StringBuilder sb, double value, string roundTrip)
        {
            if (double.IsNaN(value)) { sb.Append("\"NaN\""); return; }
            if (double.IsPositiveInfinity(value)) { sb.Append("\"Infinity\""); return; }
            if (double.IsNegativeInfinity(value)) { sb.Append("\"-Infinity\""); return; }
            sb.Append(WithDecimalPoint(roundTrip));
        }

        /// <summary>A floating-point number keeps a decimal point or exponent, so that it reads back as one.</summary>
        private static string WithDecimalPoint(string number) =>
            number.IndexOf('.') >= 0 || number.IndexOf('E') >= 0 || number.IndexOf('e') >= 0 ? number : number + ".0";

        /// <summary>yyyy-MM-ddTHH:mm:ss with the fraction of a second only as far as it has digits, then Z for UTC
        /// and the local offset for local times; an unspecified time has no zone.</summary>
        private static string IsoDate(DateTime dt)
        {
            var text = dt.ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss", CultureInfo.InvariantCulture);
            var fraction = dt.Ticks % TimeSpan.TicksPerSecond;
            if (fraction != 0) text += "." + fraction.ToString("0000000", CultureInfo.InvariantCulture).TrimEnd('0');
            switch (dt.Kind)
            {
                case DateTimeKind.Utc: return text + "Z";
                case DateTimeKind.Local: return text + Offset(TimeZoneInfo.Local.GetUtcOffset(dt));
                default: return text;
            }
        }

        private static string Offset(TimeSpan offset)
        {
            var sign = offset < TimeSpan.Zero ? "-" : "+";
            var absolute = offset.Duration();
            return sign + absolute.Hours.ToString("00", CultureInfo.InvariantCulture) + ":" + absolute.Minutes.ToString("00", CultureInfo.InvariantCulture);
        }

        public static void WriteString(StringBuilder sb, string s)
        {
            sb.Append('"');
            foreach (var c in s)
            {
                switch (c)
                {
                    case '"': sb.Append("\\\""); break;
                    case '\\': sb.Append("\\\\"); break;
                    case '\n': sb.Append("\\n"); break;
                    case '\r': sb.Append("\\r"); break;
                    case '\t': sb.Append("\\t"); break;
                    case '\b': sb.Append("\\b"); break;
                    case '\f': sb.Append("\\f"); break;
                    default:
                        // Control characters, and the line separators JavaScript does not allow in a string literal.
                        if (c < 0x20 || c == '\u0085' || c == '\u2028' || c == '\u2029')
                            sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                        else sb.Append(c);
                        break;
                }
            }
            sb.Append('"');
        }
    }
}
