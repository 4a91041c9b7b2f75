using System.Text.RegularExpressions;

namespace MqttPS.Core.Shell
{
    /// <summary>PowerShell-style name wildcards (* and ?, case-insensitive) for -Name parameters.</summary>
    public static class WildcardName
    {
        public static bool IsMatch(string pattern, string name)
        {
            if (pattern == null) return true;
            if (name == null) return false;
            var regex = "^" + Regex.Escape(pattern).Replace("\\*", ".*").Replace("\\?", ".") + "$";
            return Regex.IsMatch(name, regex, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
        }

        public static bool HasWildcards(string pattern) => pattern != null && (pattern.IndexOf('*') >= 0 || pattern.IndexOf('?') >= 0);
    }
}
