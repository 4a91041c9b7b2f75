using System;
using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text;

namespace MqttPS.Core.Shell
{
    /// <summary>
    /// Writes objects as compact JSON (no whitespace), the wire form of payloads that are neither text nor bytes.
    /// Written here rather than taken from a package because the module must load in Windows PowerShell 5.1,
    /// where System.Text.Json or Newtonsoft.Json would collide with other modules' copies.
    /// The cmdlet layer turns PSObjects into dictionaries before calling this; plain .NET objects are written
    /// through their public properties.
    /// </summary>
    public static class CompactJsonWriter
    {
        /// <summary>Nesting beyond this is written with ToString(), as ConvertTo-Json does past its depth, so that
        /// self-referencing object graphs cannot recurse forever.</summary>
        public const int MaximumDepth = 32;

        public static string Write(object value)
        {
            var sb = new StringBuilder();
            WriteValue(sb, value, 0);
            return sb.ToString();
        }

        private static void WriteValue(StringBuilder sb, object value, int depth)
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
                case byte _:
                case sbyte _:
                case short _:
                case ushort _:
                case int _:
                case uint _:
                case long _:
                case ulong _:
                    sb.Append(((IFormattable)value).ToString(null, CultureInfo.InvariantCulture));
                    return;
                case decimal m:
                    sb.Append(m.ToString(CultureInfo.InvariantCulture));
                    return;
                case float f:
                    WriteDouble(sb, f);
                    return;
                case double d:
                    WriteDouble(sb, d);
                    return;
                case Enum e:
                    WriteString(sb, e.ToString());
                    return;
                case DateTime dt:
                    WriteString(sb, dt.ToString("o", CultureInfo.InvariantCulture));
                    return;
                case DateTimeOffset dto:
                    WriteString(sb, dto.ToString("o", CultureInfo.InvariantCulture));
                    return;
                case TimeSpan ts:
                    WriteString(sb, ts.ToString("c", CultureInfo.InvariantCulture));
                    return;
                case Guid g:
                    WriteString(sb, g.ToString());
                    return;
                case Uri u:
                    WriteString(sb, u.OriginalString);
                    return;
                case byte[] bytes:
                    // Inside a structure bytes have no JSON form; base64 is what every JSON tool expects.
                    WriteString(sb, Convert.ToBase64String(bytes));
                    return;
            }

            if (depth >= MaximumDepth)
            {
                WriteString(sb, value.ToString());
                return;
            }

            if (value is IDictionary dictionary)
            {
                sb.Append('{');
                var first = true;
                foreach (DictionaryEntry entry in dictionary)
                {
                    if (!first) sb.Append(',');
                    first = false;
                    WriteString(sb, Convert.ToString(entry.Key, CultureInfo.InvariantCulture));
                    sb.Append(':');
                    WriteValue(sb, entry.Value, depth + 1);
                }
                sb.Append('}');
                return;
            }

            if (value is JsonObject json)
            {
                sb.Append('{');
                for (var i = 0; i < json.Count; i++)
                {
                    if (i > 0) sb.Append(',');
                    WriteString(sb, json.Keys[i]);
                    sb.Append(':');
                    WriteValue(sb, json[json.Keys[i]], depth + 1);
                }
                sb.Append('}');
                return;
            }

            if (value is IEnumerable sequence)
            {
                sb.Append('[');
                var first = true;
                foreach (var item in sequence)
                {
                    if (!first) sb.Append(',');
                    first = false;
                    WriteValue(sb, item, depth + 1);
                }
                sb.Append(']');
                return;
            }

            WriteProperties(sb, value, depth);
        }

        private static void WriteProperties(StringBuilder sb, object value, int depth)
        {
            sb.Append('{');
            var first = true;
            foreach (var property in value.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                if (!property.CanRead || property.GetIndexParameters().Length > 0) continue;
                object propertyValue;
                try { propertyValue = property.GetValue(value, null); }
                catch (TargetInvocationException) { continue; } // a throwing getter has no value to write
                if (!first) sb.Append(',');
                first = false;
                WriteString(sb, property.Name);
                sb.Append(':');
                WriteValue(sb, propertyValue, depth + 1);
            }
            sb.Append('}');
        }

        private static void WriteDouble(StringBuilder sb, double d)
        {
            // JSON has no NaN or infinity; null is what JSON.parse-compatible writers emit for them.
            if (double.IsNaN(d) || double.IsInfinity(d)) { sb.Append("null"); return; }
            sb.Append(d.ToString("R", CultureInfo.InvariantCulture));
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
                        if (c < 0x20) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                        else sb.Append(c);
                        break;
                }
            }
            sb.Append('"');
        }
    }
}
