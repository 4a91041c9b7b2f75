using System;
using System.Collections.Generic;

namespace MqttPS.Core.Shell
{
    /// <summary>
    /// What <see cref="JsonConversion"/> needs to know about the shell's object model without referencing it: the
    /// cmdlet layer implements it for PowerShell's PSObject (a wrapper that adds Extended and Adapted properties to
    /// a base object, or stands alone as a PSCustomObject); <see cref="PlainJsonObjectModel"/> is plain .NET.
    /// </summary>
    public interface IJsonObjectModel
    {
        /// <summary>True for the shell's null values besides null itself (AutomationNull, NullString).</summary>
        bool IsNull(object value);

        /// <summary>The object <paramref name="value"/> stands for; <paramref name="wrapper"/> is the wrapper, or
        /// null when the value is not wrapped.</summary>
        object Unwrap(object value, out object wrapper);

        /// <summary>True when the wrapper has no base object of its own (a PSCustomObject).</summary>
        bool IsPureWrapper(object wrapper);

        /// <summary>The value as the shell turns it into text (PowerShell: LanguagePrimitives.ConvertTo string,
        /// which joins arrays with spaces and shows a PSCustomObject as @{name=value}).</summary>
        string ToText(object value);

        /// <summary>The properties the wrapper adds: Extended ones (Add-Member, type data), and Adapted ones too
        /// when <paramref name="includeAdapted"/>. A getter may throw; its value then counts as null.</summary>
        IEnumerable<KeyValuePair<string, Func<object>>> WrapperProperties(object wrapper, bool includeAdapted);
    }
}
