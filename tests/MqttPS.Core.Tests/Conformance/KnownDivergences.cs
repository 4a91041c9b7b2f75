using System;
using System.Collections.Generic;
using System.IO;

namespace MqttPS.Core.Tests.Conformance
{
    /// <summary>
    /// The sequences listed in KNOWN-DIVERGENCES.md (beside this file, copied to the output): table rows
    /// "| FILE | group | test | reason |". A failing sequence listed there is an expected divergence.
    /// </summary>
    public static class KnownDivergences
    {
        public const string FileName = "KNOWN-DIVERGENCES.md";

        public static Dictionary<string, string> Load()
        {
            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            var path = Path.Combine(AppContext.BaseDirectory, "Conformance", FileName);
            if (!File.Exists(path)) throw new FileNotFoundException("the list of known divergences is missing from the test output", path);
            foreach (var raw in File.ReadAllLines(path))
            {
                var line = raw.Trim();
                if (!line.StartsWith("|", StringComparison.Ordinal) || line.StartsWith("|--", StringComparison.Ordinal) || line.StartsWith("| File", StringComparison.Ordinal)) continue;
                var cells = line.Trim('|').Split('|');
                if (cells.Length < 4) continue;
                // Names may contain runs of spaces ("v5.0   PUBLISH"); in the table they are written in backticks.
                var key = Cell(cells[0]) + " | " + Cell(cells[1]) + " | " + Cell(cells[2]);
                result[key] = cells[3].Trim();
            }
            return result;
        }

        private static string Cell(string c)
        {
            c = c.Trim();
            if (c.Length >= 2 && c[0] == '`' && c[c.Length - 1] == '`') c = c.Substring(1, c.Length - 2);
            return c;
        }
    }
}
