using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace MqttPS.Core.Shell
{
    /// <summary>Plain .NET objects: nothing is wrapped, text is the invariant-culture ToString (arrays joined
    /// with spaces, as PowerShell shows them).</summary>
    public sealed class PlainJsonObjectModel : IJsonObjectModel
    {
        public static readonly PlainJsonObjectModel Instance = new PlainJsonObjectModel();

        private PlainJsonObjectModel() { }

        public bool IsNull(object value) => value == null;

        public object Unwrap(object value, out object wrapper)
        {
            wrapper = null;
            return value;
        }

        public bool IsPureWrapper(object wrapper) => false;

        public string ToText(object value)
        {
            switch (value)
            {
                case null: return string.Empty;
                case string s: return s;
                case IDictionary _: return value.GetType().FullName;
                // Items by their own ToString, not recursively: [string]@(1, @(2, 3)) is "1 System.Object[]".
                case IEnumerable items: return string.Join(" ", items.Cast<object>().Select(i => Convert.ToString(i, CultureInfo.InvariantCulture)));
                default: return Convert.ToString(value, CultureInfo.InvariantCulture);
            }
        }

        public IEnumerable<KeyValuePair<string, Func<object>>> WrapperProperties(object wrapper, bool includeAdapted) =>
            Enumerable.Empty<KeyValuePair<string, Func<object>>>();
    }
}
