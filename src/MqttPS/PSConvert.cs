using System.Collections.Generic;
using System.Management.Automation;
using System.Security;
using System.Runtime.InteropServices;
using MqttPS.Core.Shell;

namespace MqttPS
{
    /// <summary>
    /// Converts between PowerShell's object model and the plain .NET values the Shell layer takes: parsed JSON
    /// comes back as PSCustomObjects, secure strings as text. (Objects become JSON through
    /// <see cref="PSJsonObjectModel"/>.)
    /// </summary>
    internal static class PSConvert
    {
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

        /// <summary>A payload as <see cref="PayloadEncoder"/> takes it: text and bytes as themselves, anything else
        /// with its PSObject wrapper, whose added properties belong in the JSON (as ConvertTo-Json writes them).</summary>
        public static object PayloadValue(object value)
        {
            var unwrapped = Unwrap(value);
            return PayloadEncoder.IsStructured(unwrapped) ? value : unwrapped;
        }

        /// <summary>JSON as ConvertTo-Json writes it, stopped by <paramref name="stop"/> (Ctrl+C).</summary>
        public static JsonConversion JsonConversion(int depth, System.Threading.CancellationToken stop) =>
            new JsonConversion(depth, PSJsonObjectModel.Instance, stop);

        /// <summary>Unwraps a PSObject to its base object, except PSCustomObjects, which have no other form.</summary>
        public static object Unwrap(object value) =>
            value is PSObject pso && !(pso.BaseObject is PSCustomObject) ? pso.BaseObject : value;
    }
}
