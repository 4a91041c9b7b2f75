using System;
using System.Collections.Generic;
using System.Linq;

namespace MqttPS.Core.Broker.Configuration
{
    /// <summary>A configuration file that cannot be used: every error found, each with file, line and directive.</summary>
    public sealed class MosquittoConfigException : FormatException
    {
        public MosquittoConfigException(IReadOnlyList<ConfigDiagnostic> errors)
            : base(Describe(errors))
        {
            Errors = errors;
        }

        public IReadOnlyList<ConfigDiagnostic> Errors { get; }

        private static string Describe(IReadOnlyList<ConfigDiagnostic> errors) =>
            errors.Count == 1 ? errors[0].ToString()
                : errors.Count + " problems: " + string.Join(Environment.NewLine, errors.Select(e => e.ToString()));
    }
}
