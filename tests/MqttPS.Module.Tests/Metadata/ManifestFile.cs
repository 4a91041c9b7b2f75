using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;

namespace MqttPS.Module.Tests.Metadata
{
    /// <summary>Reads the values the tests need from MqttPS.psd1 (a PowerShell data file) without PowerShell.</summary>
    public sealed class ManifestFile
    {
        public ManifestFile(string path)
        {
            Text = File.ReadAllText(path);
        }

        public string Text { get; }

        public string Scalar(string key)
        {
            var m = Regex.Match(Text, @"(?m)^\s*" + Regex.Escape(key) + @"\s*=\s*'([^']*)'");
            return m.Success ? m.Groups[1].Value : null;
        }

        /// <summary>The items of an @( ... ) array: quoted strings separated by commas or new lines.</summary>
        public List<string> Array(string key)
        {
            var m = Regex.Match(Text, @"(?ms)^\s*" + Regex.Escape(key) + @"\s*=\s*@\((.*?)\)");
            if (!m.Success) return null;
            return Regex.Matches(m.Groups[1].Value, @"'([^']*)'").Cast<Match>().Select(x => x.Groups[1].Value).ToList();
        }
    }
}
