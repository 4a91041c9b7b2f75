using System;
using System.Globalization;
using System.Text;

namespace MqttPS.Core.Shell
{
    /// <summary>Text for error messages: user input quoted and shortened, .NET's parameter suffixes removed.</summary>
    public static class ShellText
    {
        /// <summary>How much of a value an error message shows.</summary>
        public const int MaximumShown = 80;

        /// <summary>'value' in quotes; a longer value is cut in the middle, keeping its start and its end (the device
        /// id at the end of a topic), with its full length, e.g. 'aaaa...zzzz' (70,000 characters). Control
        /// characters are shown as \n, \t or \uXXXX so that a message stays on its line.</summary>
        public static string Quote(string value, int maximum = MaximumShown)
        {
            if (value == null) return "(none)";
            var sb = new StringBuilder("'");
            if (value.Length <= maximum)
            {
                AppendPrintable(sb, value);
                return sb.Append('\'').ToString();
            }
            var head = (maximum - 3) / 2;
            var tail = maximum - 3 - head;
            AppendPrintable(sb, value.Substring(0, head));
            sb.Append("...");
            AppendPrintable(sb, value.Substring(value.Length - tail));
            return sb.Append("' (").Append(value.Length.ToString("N0", CultureInfo.InvariantCulture)).Append(" characters)").ToString();
        }

        private static void AppendPrintable(StringBuilder sb, string text)
        {
            foreach (var c in text)
            {
                switch (c)
                {
                    case '\n': sb.Append("\\n"); break;
                    case '\r': sb.Append("\\r"); break;
                    case '\t': sb.Append("\\t"); break;
                    default:
                        if (char.IsControl(c)) sb.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
                        else sb.Append(c);
                        break;
                }
            }
        }

        /// <summary>An exception's message without the " (Parameter 'name')" (.NET) or "Parameter name: name"
        /// (.NET Framework) that argument exceptions add: it names a .NET parameter, not a cmdlet's.</summary>
        public static string MessageOf(Exception exception)
        {
            if (exception == null) return string.Empty;
            var message = exception.Message ?? string.Empty;
            if (exception is ArgumentException argument && !string.IsNullOrEmpty(argument.ParamName))
            {
                foreach (var suffix in new[] { " (Parameter '" + argument.ParamName + "')", Environment.NewLine + "Parameter name: " + argument.ParamName, "\nParameter name: " + argument.ParamName })
                {
                    var at = message.LastIndexOf(suffix, StringComparison.Ordinal);
                    if (at >= 0 && at + suffix.Length == message.Length) return message.Substring(0, at);
                }
            }
            return message;
        }

        /// <summary>A sentence ends with one full stop, however the text it is built from ended.</summary>
        public static string Sentence(string text)
        {
            if (string.IsNullOrEmpty(text)) return text;
            text = text.TrimEnd();
            return text.EndsWith(".", StringComparison.Ordinal) || text.EndsWith("?", StringComparison.Ordinal) || text.EndsWith("!", StringComparison.Ordinal) ? text : text + ".";
        }
    }
}
