using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;

namespace MqttPS.Core.Broker.Configuration
{
    /// <summary>
    /// Reads mosquitto 2.x configuration files (mosquitto.conf(5)) into the state <see cref="MosquittoConfigMapper"/>
    /// turns into broker options. Like mosquitto: one directive per line, '#' starts a comment line, listener
    /// directives apply to the last listener line (before any, to the "default listener"), security directives are
    /// broker-wide unless per_listener_settings is true, and include_dir (main file only) reads the *.conf files of a
    /// directory in name order, each starting again at the default listener. Unlike mosquitto, reading does not stop at
    /// the first problem: every one is collected (<see cref="Diagnostics"/>) with its file, line and directive.
    /// Relative paths are taken from <see cref="BaseDirectory"/> (mosquitto: the working directory).
    /// </summary>
    internal sealed class MosquittoConfigReader
    {
        private readonly List<ConfigDiagnostic> _diagnostics = new List<ConfigDiagnostic>();

        public MosquittoConfigReader(string baseDirectory)
        {
            BaseDirectory = baseDirectory ?? Directory.GetCurrentDirectory();
            Current = DefaultListener;
        }

        public string BaseDirectory { get; }
        public IReadOnlyList<ConfigDiagnostic> Diagnostics => _diagnostics;
        public bool HasErrors => _diagnostics.Any(d => d.Level == ConfigDiagnosticLevel.Error);

        // ------------------------------------------------------------------ state (what the directives set)

        public ConfigSecurity GlobalSecurity { get; } = new ConfigSecurity();
        public ConfigListener DefaultListener { get; } = new ConfigListener(null);
        public List<ConfigListener> Listeners { get; } = new List<ConfigListener>();

        /// <summary>The listener that listener directives apply to: the last listener line of this file, or the default listener.</summary>
        public ConfigListener Current { get; set; }

        public List<ConfigBridge> Bridges { get; } = new List<ConfigBridge>();

        /// <summary>The bridge that bridge directives apply to: the last connection line of this file, or none.</summary>
        public ConfigBridge CurrentBridge { get; set; }

        public bool PerListenerSettings { get; set; }

        /// <summary>True until a listener, port or bind_address appears: mosquitto then listens on the loopback only
        /// and lets anonymous clients in.</summary>
        public bool LocalOnly { get; set; } = true;

        /// <summary>Broker-wide settings by directive; the values are parsed by <see cref="MosquittoConfigMapper"/>
        /// from the recorded lines, so this holds the last line of each.</summary>
        public Dictionary<string, ConfigLine> Globals { get; } = new Dictionary<string, ConfigLine>(StringComparer.Ordinal);

        /// <summary>log_type values in order (null: not set, so every event kind is written).</summary>
        public List<ConfigLine> LogTypes { get; set; }

        public int Level { get; private set; }

        /// <summary>The security options a security directive on this line sets (broker-wide, or the current listener's).</summary>
        public ConfigSecurity SecurityFor(ConfigLine line)
        {
            if (FirstSecurityLine == null) FirstSecurityLine = line;
            return PerListenerSettings ? Current.Security : GlobalSecurity;
        }

        public ConfigLine FirstSecurityLine { get; private set; }

        // ------------------------------------------------------------------ files

        /// <summary>Reads one file (level 0: the main file; 1: a file of its include_dir).</summary>
        public void ReadFile(string path, int level = 0)
        {
            string[] lines;
            try
            {
                if (Directory.Exists(path)) { FileError(path, "is a directory, not a configuration file"); return; }
                lines = File.ReadAllLines(path);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException || e is NotSupportedException || e is ArgumentException)
            {
                FileError(path, "cannot be read: " + e.Message);
                return;
            }
            var savedListener = Current;
            var savedBridge = CurrentBridge;
            var savedLevel = Level;
            Current = DefaultListener;
            CurrentBridge = null;
            Level = level;
            try
            {
                for (var i = 0; i < lines.Length; i++)
                {
                    var text = lines[i];
                    var trimmed = text.TrimStart(' ', '\t');
                    if (trimmed.Length == 0 || trimmed[0] == '#') continue;
                    var line = new ConfigLine(path, i + 1, text);
                    var directive = MosquittoDirectives.Find(line.Directive);
                    if (directive == null)
                    {
                        Error(line, "unknown directive (mosquitto 2.0 refuses it too; check the spelling)");
                        continue;
                    }
                    directive.Apply(this, line);
                }
            }
            finally
            {
                Current = savedListener;
                CurrentBridge = savedBridge;
                Level = savedLevel;
            }
        }

        /// <summary>include_dir: every file ending in ".conf" in the directory, in ordinal name order.</summary>
        public void IncludeDirectory(ConfigLine line)
        {
            if (Level > 0)
            {
                Warn(line, "include_dir is only read from the main configuration file (as in mosquitto); ignored here");
                return;
            }
            if (!RequireValue(line)) return;
            var directory = ResolvePath(line.Rest);
            if (!Directory.Exists(directory))
            {
                Error(line, "the directory '" + directory + "' does not exist");
                return;
            }
            var files = Directory.GetFiles(directory)
                .Where(f => Path.GetFileName(f).Length > 5 && f.EndsWith(".conf", StringComparison.Ordinal))
                .OrderBy(f => Path.GetFileName(f), StringComparer.Ordinal)
                .ToList();
            foreach (var file in files) ReadFile(file, Level + 1);
        }

        public string ResolvePath(string path) => Path.IsPathRooted(path) ? path : Path.GetFullPath(Path.Combine(BaseDirectory, path));

        // ------------------------------------------------------------------ findings

        public void Error(ConfigLine line, string message) => _diagnostics.Add(new ConfigDiagnostic(ConfigDiagnosticLevel.Error, line.File, line.Number, line.Directive, message));

        public void Warn(ConfigLine line, string message) => _diagnostics.Add(new ConfigDiagnostic(ConfigDiagnosticLevel.Warning, line.File, line.Number, line.Directive, message));

        public void FileError(string file, string message) => _diagnostics.Add(new ConfigDiagnostic(ConfigDiagnosticLevel.Error, file, 0, null, message));

        // ------------------------------------------------------------------ values

        public bool RequireValue(ConfigLine line)
        {
            if (line.Rest.Length > 0) return true;
            Error(line, "needs a value");
            return false;
        }

        /// <summary>true/false (or 1/0), as mosquitto reads them.</summary>
        public bool TryBool(ConfigLine line, out bool value)
        {
            value = false;
            if (!RequireValue(line)) return false;
            switch (line.Words[0])
            {
                case "true": case "1": value = true; return true;
                case "false": case "0": value = false; return true;
                default:
                    Error(line, "'" + line.Words[0] + "' is not a valid value (true or false)");
                    return false;
            }
        }

        /// <summary>A whole number within [minimum, maximum]; out of range names the range.</summary>
        public bool TryInt(ConfigLine line, long minimum, long maximum, string unit, out long value)
        {
            value = 0;
            if (!RequireValue(line)) return false;
            if (!long.TryParse(line.Words[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value))
            {
                Error(line, "'" + line.Words[0] + "' is not a whole number");
                return false;
            }
            if (value < minimum || value > maximum)
            {
                Error(line, value + " is out of range: " + minimum + " to " + maximum + (unit != null ? " " + unit : ""));
                return false;
            }
            return true;
        }

        /// <summary>Records a string directive on a set of lines, refusing a second value in the same scope as
        /// mosquitto does ("Duplicate ... value").</summary>
        public bool SetOnce(Dictionary<string, ConfigLine> lines, ConfigLine line)
        {
            if (!RequireValue(line)) return false;
            if (lines.TryGetValue(line.Directive, out var earlier))
            {
                Error(line, "set twice for the same scope (first at " + earlier + ")");
                return false;
            }
            lines[line.Directive] = line;
            return true;
        }

        /// <summary>Records a listener directive on the current listener (making the default listener exist).</summary>
        public ConfigListener ListenerSetting(ConfigLine line)
        {
            Current.Lines[line.Directive] = line;
            return Current;
        }

        /// <summary>listener port [bind address]: a new listener that the following listener directives apply to.</summary>
        public void AddListener(ConfigLine line)
        {
            LocalOnly = false;
            if (!RequireValue(line)) return;
            if (!int.TryParse(line.Words[0], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
            {
                Error(line, "'" + line.Words[0] + "' is not a port (1 to 65535)");
                return;
            }
            var host = line.Words.Length > 1 && !line.Words[1].StartsWith("#", StringComparison.Ordinal) ? line.Words[1] : null;
            if (port == 0)
            {
                Error(line, host == null ? "a listener with port 0 must give a Unix socket path (mosquitto's rule)"
                    : "Unix domain socket listeners are not supported; use a TCP port");
                return;
            }
            var listener = new ConfigListener(line) { Port = port, Host = host };
            Listeners.Add(listener);
            Current = listener;
        }
    }
}
