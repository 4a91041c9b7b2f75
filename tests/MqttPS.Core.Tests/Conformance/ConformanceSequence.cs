using System.Collections.Generic;

namespace MqttPS.Core.Tests.Conformance
{
    /// <summary>One test of a sequence file, with the group defaults applied.</summary>
    public sealed class ConformanceSequence
    {
        public string File { get; set; }
        public string Group { get; set; }
        public string Name { get; set; }
        public int Version { get; set; } = 4;
        public bool Connect { get; set; } = true;
        public bool ExpectDisconnect { get; set; } = true;
        public List<ConformanceStep> Steps { get; } = new List<ConformanceStep>();

        /// <summary>"FILE | group | name": the key used in KNOWN-DIVERGENCES.md.</summary>
        public string Key => File + " | " + Group + " | " + Name;
        public string FullName => Group + " " + Name;
    }

    public sealed class ConformanceStep
    {
        public string Type { get; set; }
        public string Payload { get; set; }
        public string Topic { get; set; }
        public int QoS { get; set; }
        public bool Retain { get; set; }
        public string Comment { get; set; }
    }
}
