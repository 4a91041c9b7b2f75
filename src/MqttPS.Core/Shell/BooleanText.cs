using System;

namespace MqttPS.Core.Shell
{
    /// <summary>
    /// Reads a yes/no value written as text, as Import-Csv and ConvertFrom-Csv give every column: PowerShell's own
    /// conversion makes any non-empty string true (so "False" would retain) and its parameter binder refuses strings
    /// for switches outright, so a CSV Retain column needs this.
    /// </summary>
    public static class BooleanText
    {
        private static readonly string[] TrueWords = { "true", "$true", "1", "yes", "y", "on" };
        private static readonly string[] FalseWords = { "false", "$false", "0", "no", "n", "off", "" };

        public static bool TryParse(string text, out bool value)
        {
            value = false;
            if (text == null) return true;
            var t = text.Trim();
            foreach (var w in TrueWords)
                if (string.Equals(t, w, StringComparison.OrdinalIgnoreCase)) { value = true; return true; }
            foreach (var w in FalseWords)
                if (string.Equals(t, w, StringComparison.OrdinalIgnoreCase)) return true;
            return false;
        }

        public static bool Parse(string text, string parameterName)
        {
            if (TryParse(text, out var value)) return value;
            throw new MqttShellException("InvalidBoolean", ShellErrorCategory.InvalidArgument,
                "-" + parameterName + " got " + ShellText.Quote(text) + ", which is not a yes/no value; use true or false (also 1/0, yes/no, on/off).", text);
        }
    }
}
