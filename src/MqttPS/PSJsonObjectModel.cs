using System;
using System.Collections.Generic;
using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Internal;
using System.Management.Automation.Language;
using MqttPS.Core.Shell;

namespace MqttPS
{
    /// <summary>
    /// PowerShell's object model for <see cref="JsonConversion"/>, so that an object payload becomes the JSON
    /// ConvertTo-Json gives for it: a PSObject stands for its base object and adds its Extended properties
    /// (Add-Member, type data), and its Adapted ones when the base object is a plain object; a PSCustomObject has
    /// only its note properties; text is PowerShell's own conversion to string.
    /// </summary>
    internal sealed class PSJsonObjectModel : IJsonObjectModel
    {
        public static readonly PSJsonObjectModel Instance = new PSJsonObjectModel();

        private PSJsonObjectModel() { }

        public bool IsNull(object value) => value == null || value == AutomationNull.Value || value == NullString.Value;

        public object Unwrap(object value, out object wrapper)
        {
            if (value is PSObject pso)
            {
                wrapper = pso;
                return pso.BaseObject;
            }
            wrapper = null;
            return value;
        }

        public bool IsPureWrapper(object wrapper) => wrapper is PSObject pso && pso.BaseObject is PSCustomObject;

        public string ToText(object value) => (string)LanguagePrimitives.ConvertTo(value, typeof(string), CultureInfo.InvariantCulture);

        public IEnumerable<KeyValuePair<string, Func<object>>> WrapperProperties(object wrapper, bool includeAdapted)
        {
            if (!(wrapper is PSObject pso)) yield break;
            // PSObject.Properties lists instance and type-data members (Extended) before the adapter's (Adapted),
            // the order ConvertTo-Json adds them in; adapted members are the plain "Property" kind.
            foreach (var property in pso.Properties)
            {
                if (!includeAdapted && property.MemberType == PSMemberTypes.Property) continue;
                var p = property;
                yield return new KeyValuePair<string, Func<object>>(p.Name, () => p.Value);
            }
        }
    }
}
