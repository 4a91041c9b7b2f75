using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace MqttPS.Core.Broker.Configuration
{
    /// <summary>
    /// A mosquitto 2.x configuration file turned into broker options (Start-MqttBroker -ConfigPath). Loading reads the
    /// file and everything it names (include_dir, certificates, CA files, password and ACL files) and either returns a
    /// complete configuration, with warnings for directives that have no effect here, or throws
    /// <see cref="MosquittoConfigException"/> with every error found: nothing is ever half-configured.
    /// <see cref="MosquittoDirectives.All"/> says what happens to each directive.
    /// </summary>
    public sealed class MosquittoConfiguration
    {
        internal MosquittoConfiguration() { }

        /// <summary>The main file.</summary>
        public string Path { get; internal set; }

        /// <summary>The broker options the file describes (every listener, security, limits, persistence).</summary>
        public MqttBrokerOptions Options { get; internal set; }

        /// <summary>Directives read but without effect here, each with file, line and why.</summary>
        public IReadOnlyList<ConfigDiagnostic> Warnings { get; internal set; }

        /// <summary>The broker events log_type and connection_messages ask for (what -Wait writes); null when the
        /// file says nothing about logging.</summary>
        public IReadOnlyList<MqttBrokerEventKind> EventKinds { get; internal set; }

        /// <summary>The file names no listener (nor port, bind_address): like mosquitto 2.0, the broker then listens
        /// on 127.0.0.1:1883 only and lets anonymous clients in unless the file says otherwise.</summary>
        public bool LocalOnly { get; internal set; }

        /// <summary>per_listener_settings true: each listener has its own users and ACL.</summary>
        public bool PerListenerSettings { get; internal set; }

        /// <summary>The broker-wide password_file and acl_file (null when absent, or with per_listener_settings).</summary>
        public string PasswordFile { get; internal set; }
        public string AclFile { get; internal set; }

        /// <summary>Reads <paramref name="path"/>; relative paths in it are taken from <paramref name="baseDirectory"/>
        /// (the current directory when null, as mosquitto does).</summary>
        public static MosquittoConfiguration Load(string path, string baseDirectory = null)
        {
            if (path == null) throw new ArgumentNullException(nameof(path));
            var reader = new MosquittoConfigReader(baseDirectory);
            var fullPath = reader.ResolvePath(path);
            if (!File.Exists(fullPath) && !Directory.Exists(fullPath))
                throw new FileNotFoundException("The configuration file '" + fullPath + "' does not exist.", fullPath);
            reader.ReadFile(fullPath);
            // Mapped even after errors, so that one run reports every problem (a TLS directive on a plain listener, a
            // missing password file) and not only those of the first stage.
            MosquittoConfiguration configuration = null;
            var readErrors = reader.HasErrors;
            try { configuration = new MosquittoConfigMapper(reader).Map(); }
            catch (Exception) when (readErrors) { /* state left incomplete by the errors already reported */ }
            var errors = reader.Diagnostics.Where(d => d.Level == ConfigDiagnosticLevel.Error).ToList();
            if (errors.Count > 0) throw new MosquittoConfigException(errors);
            configuration.Path = fullPath;
            configuration.Warnings = reader.Diagnostics.Where(d => d.Level == ConfigDiagnosticLevel.Warning).ToList();
            return configuration;
        }
    }
}
