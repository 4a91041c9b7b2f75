using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;

namespace MqttPS.Core.Tests.Conformance
{
    /// <summary>Finds and loads ../shared/conformance/mosquitto-sequences.</summary>
    public static class ConformanceData
    {
        public const string EnvironmentVariable = "MQTTPS_CONFORMANCE_DIR";
        private const string Relative = "shared/conformance/mosquitto-sequences";

        /// <summary>The sequence directory, or null with <paramref name="searched"/> saying where we looked.</summary>
        public static string Locate(out string searched)
        {
            var looked = new List<string>();
            var fromEnv = Environment.GetEnvironmentVariable(EnvironmentVariable);
            if (!string.IsNullOrEmpty(fromEnv))
            {
                looked.Add(fromEnv + " (" + EnvironmentVariable + ")");
                if (Directory.Exists(fromEnv) && Directory.GetFiles(fromEnv, "*.json").Length > 0) { searched = null; return Path.GetFullPath(fromEnv); }
            }
            // The CI checkout has shared/ beside the repository root; walk up from the test assembly.
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir != null)
            {
                var candidate = Path.Combine(dir.FullName, Relative);
                looked.Add(candidate);
                if (Directory.Exists(candidate)) { searched = null; return candidate; }
                dir = dir.Parent;
            }
            searched = string.Join(", ", looked);
            return null;
        }

        public static string RequireDirectory()
        {
            var d = Locate(out var searched);
            if (d == null)
                throw new InvalidOperationException("The mosquitto conformance sequences were not found. Put the shared material beside the repository " +
                    "(../shared/conformance/mosquitto-sequences) or set " + EnvironmentVariable + ". Looked in: " + searched);
            return d;
        }

        public static IEnumerable<object[]> FileNames()
        {
            var d = Locate(out _);
            if (d == null)
            {
                // Still one case, which then fails with the explanation instead of the theory silently vanishing.
                yield return new object[] { "(sequences not found)" };
                yield break;
            }
            foreach (var f in Directory.GetFiles(d, "*.json").OrderBy(x => x, StringComparer.Ordinal))
                yield return new object[] { Path.GetFileName(f) };
        }

        public static List<ConformanceSequence> Load(string directory, string fileName)
        {
            var result = new List<ConformanceSequence>();
            using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, fileName)));
            foreach (var g in doc.RootElement.EnumerateArray())
            {
                if (Bool(g, "disable", false)) continue;
                var group = g.GetProperty("group").GetString();
                var ver = Int(g, "ver", 4);
                var connect = Bool(g, "connect", true);
                var expectDisconnect = Bool(g, "expect_disconnect", true);
                foreach (var t in g.GetProperty("tests").EnumerateArray())
                {
                    if (Bool(t, "disable", false)) continue;
                    var seq = new ConformanceSequence
                    {
                        File = fileName,
                        Group = group,
                        Name = t.GetProperty("name").GetString(),
                        Version = Int(t, "ver", ver),
                        Connect = Bool(t, "connect", connect),
                        ExpectDisconnect = Bool(t, "expect_disconnect", expectDisconnect),
                    };
                    foreach (var m in t.GetProperty("msgs").EnumerateArray())
                    {
                        seq.Steps.Add(new ConformanceStep
                        {
                            Type = m.GetProperty("type").GetString(),
                            Payload = m.TryGetProperty("payload", out var p) ? p.GetString() : null,
                            Topic = m.TryGetProperty("topic", out var tp) ? tp.GetString() : null,
                            QoS = Int(m, "qos", 0),
                            Retain = Bool(m, "retain", false),
                            Comment = m.TryGetProperty("comment", out var c) ? c.GetString() : null,
                        });
                    }
                    result.Add(seq);
                }
            }
            return result;
        }

        private static bool Bool(JsonElement e, string name, bool fallback)
            => e.TryGetProperty(name, out var v) && (v.ValueKind == JsonValueKind.True || v.ValueKind == JsonValueKind.False) ? v.GetBoolean() : fallback;

        private static int Int(JsonElement e, string name, int fallback)
            => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : fallback;
    }
}
