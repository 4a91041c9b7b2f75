namespace MqttPS.Core.Broker.Security
{
    /// <summary>One "topic" or "pattern" line of an ACL file.</summary>
    public sealed class AclRule
    {
        public AclRule(AclAccess access, string topicFilter, bool isPattern, string username, int lineNumber)
        {
            Access = access;
            TopicFilter = topicFilter;
            IsPattern = isPattern;
            Username = username;
            LineNumber = lineNumber;
            UsesUsername = isPattern && topicFilter.Contains("%u");
            UsesClientId = isPattern && topicFilter.Contains("%c");
        }

        public AclAccess Access { get; }

        /// <summary>The filter as written; for a pattern it may hold %u (username) and %c (client id).</summary>
        public string TopicFilter { get; }

        /// <summary>A "pattern" line: applies to every client, whatever "user" section it is written in.</summary>
        public bool IsPattern { get; }

        /// <summary>The "user" section of a "topic" line; null for the anonymous section and for patterns.</summary>
        public string Username { get; }

        public int LineNumber { get; }
        internal bool UsesUsername { get; }
        internal bool UsesClientId { get; }

        public bool Grants(AclAccess wanted) => Access == AclAccess.ReadWrite ? wanted != AclAccess.Deny : Access == wanted;

        public override string ToString() => (IsPattern ? "pattern " : "topic ") + Access.ToString().ToLowerInvariant() + " " + TopicFilter + " (line " + LineNumber + ")";
    }
}
