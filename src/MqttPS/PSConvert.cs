using System.Collections;
using System.Collections.Generic;
using System.Collections.Specialized;
using System.Management.Automation;
using System.Security;
using System.Runtime.InteropServices;
using MqttPS.Core.Shell;

namespace MqttPS
{
    /// <summary>
    /// Converts between PowerShell's object model and the plain .NET values the Shell layer takes: PSObjects and
    /// hashtables become ordered dictionaries and lists before they are written as JSON; parsed JSON comes back
    /// as PSCustomObjects.
    /// </summary>
    internal static class PSConvert
    {
        private const int MaximumDepth = 32;

        public static object ToPlain(object value) => ToPlain(value, 0);

        private static object ToPlain(object value, int depth)
        {
            if (value == null) return null;
            if (depth > MaximumDepth) return value.ToString();
            if (value is PSObject pso)
            {
                if (pso.BaseObject is PSCustomObject)
                {
                    var result = new OrderedDictionary();
                    foreach (var property in pso.Properties)
                    {
                        object v;
                        try { v = property.Value; }
                        catch (GetValueException) { continue; }
                        result[property.Name] = ToPlain(v, depth + 1);
                    }
                    return result;
                }
                value = pso.BaseObject;
            }
            switch (value)
            {
                case string _:
                case byte[] _:
                    return value;
                case IDictionary dictionary:
                    var copy = new OrderedDictionary();
                    foreach (DictionaryEntry entry in dictionary) copy[ToPlain(entry.Key, depth + 1) ?? ""] = ToPlain(entry.Value, depth + 1);
                    return copy;
                case IList list when !(value is IList<byte>):
                    var items = new List<object>(list.Count);
                    foreach (var item in list) items.Add(ToPlain(item, depth + 1));
                    return items;
                default:
                    return value;
            }
        }

        /// <summary>Parsed JSON to what ConvertFrom-Json would give: PSCustomObjects and object arrays.</summary>
        public static object FromJson(object parsed)
        {
            switch (parsed)
            {
                case JsonObject json:
                    var pso = new PSObject();
                    foreach (var key in json.Keys) pso.Properties.Add(new PSNoteProperty(key, FromJson(json[key])));
                    return pso;
                case List<object> list:
                    var array = new object[list.Count];
                    for (var i = 0; i < array.Length; i++) array[i] = FromJson(list[i]);
                    return array;
                default:
                    return parsed;
            }
        }

        public static string ToPlainText(SecureString secure)
        {
            if (secure == null) return null;
            var ptr = Marshal.SecureStringToGlobalAllocUnicode(secure);
            try { return Marshal.PtrToStringUni(ptr); }
            finally { Marshal.ZeroFreeGlobalAllocUnicode(ptr); }
        }

        /// <summary>Unwraps a PSObject to its base object, except PSCustomObjects, which have no other form.</summary>
        public static object Unwrap(object value) =>
            value is PSObject pso && !(pso.BaseObject is PSCustomObject) ? pso.BaseObject : value;
    }
}
