namespace MqttPS.Core.Broker.Configuration
{
    /// <summary>How serious a finding in a configuration file is.</summary>
    public enum ConfigDiagnosticLevel
    {
        /// <summary>The directive has no effect here (or a weaker one than in mosquitto); the broker starts anyway.</summary>
        Warning,

        /// <summary>The file cannot be used as it is: nothing starts.</summary>
        Error,
    }

    /// <summary>One finding in a mosquitto.conf file: where (file and line), which directive, and what is wrong.</summary>
    public sealed class ConfigDiagnostic
    {
        public ConfigDiagnostic(ConfigDiagnosticLevel level, string file, int line, string directive, string message)
        {
            Level = level;
            File = file;
            Line = line;
            Directive = directive;
            Message = message;
        }

        public ConfigDiagnosticLevel Level { get; }
        public string File { get; }

        /// <summary>1-based; 0 when the finding is about the file as a whole.</summary>
        public int Line { get; }
        public string Directive { get; }
        public string Message { get; }

        /// <summary>"mosquitto.conf:12: psk_file: ...", the form compilers and mosquitto use.</summary>
        public override string ToString() => File + (Line > 0 ? ":" + Line : "") + ": " + (Directive != null ? Directive + ": " : "") + Message;
    }
}
