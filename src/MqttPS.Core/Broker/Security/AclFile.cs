using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace MqttPS.Core.Broker.Security
{
    /// <summary>
    /// Topic access rules in mosquitto's acl_file syntax:
    /// <code>
    /// # lines before the first "user" line apply to anonymous clients (no username)
    /// topic read public/#
    /// user alice
    /// topic readwrite alice/#          # access may be read, write, readwrite (the default) or deny
    /// topic deny alice/secret
    /// pattern write devices/%c/status   # patterns apply to every client: %u = username, %c = client id
    /// </code>
    /// Decisions: a "deny" that matches wins over any grant; otherwise access needs a matching grant (default
    /// deny). A subscription is granted when some read rule can match a topic its filter matches and no deny rule
    /// covers the whole filter; every message is then checked with <see cref="CanRead"/> before delivery. So, as
    /// with mosquitto, "#" by a user allowed to read "sensors/#" receives sensors/... only; unlike mosquitto (which
    /// grants every subscription and silently delivers nothing), a filter no read rule can ever serve is refused
    /// with SUBACK 0x87 so the client learns it at once.
    /// </summary>
    public sealed class AclFile
    {
        private readonly List<AclRule> _anonymousRules = new List<AclRule>();
        private readonly Dictionary<string, List<AclRule>> _userRules = new Dictionary<string, List<AclRule>>(StringComparer.Ordinal);
        private readonly List<AclRule> _patterns = new List<AclRule>();
        private readonly List<AclRule> _all = new List<AclRule>();

        private AclFile() { }

        public string Path { get; private set; }

        /// <summary>Every rule in file order.</summary>
        public IReadOnlyList<AclRule> Rules => _all;

        public static AclFile Load(string path)
        {
            if (path == null) throw new ArgumentNullException(nameof(path));
            using (var reader = new StreamReader(path, new UTF8Encoding(false), true))
            {
                var acl = Parse(reader, path);
                acl.Path = path;
                return acl;
            }
        }

        /// <summary>Parses the syntax; a bad line throws <see cref="FormatException"/> "source line N: problem".</summary>
        public static AclFile Parse(TextReader reader, string sourceName = "ACL file")
        {
            var acl = new AclFile();
            string currentUser = null;
            string line;
            var number = 0;
            while ((line = reader.ReadLine()) != null)
            {
                number++;
                var text = line.Trim();
                if (text.Length == 0 || text[0] == '#') continue;
                string keyword, rest;
                SplitFirst(text, out keyword, out rest);
                switch (keyword)
                {
                    case "user":
                        if (rest.Length == 0) throw Error(sourceName, number, "\"user\" needs a username");
                        currentUser = rest;
                        if (!acl._userRules.ContainsKey(currentUser)) acl._userRules.Add(currentUser, new List<AclRule>());
                        break;
                    case "topic":
                    case "pattern":
                        var isPattern = keyword == "pattern";
                        var rule = ParseRule(sourceName, number, keyword, rest, isPattern, isPattern ? null : currentUser);
                        acl._all.Add(rule);
                        if (isPattern) acl._patterns.Add(rule);
                        else if (currentUser == null) acl._anonymousRules.Add(rule);
                        else acl._userRules[currentUser].Add(rule);
                        break;
                    default:
                        throw Error(sourceName, number, "unknown keyword \"" + keyword + "\" (expected user, topic or pattern)");
                }
            }
            return acl;
        }

        /// <summary>May this client publish to <paramref name="topic"/>?</summary>
        public bool CanPublish(string topic, string username, string clientId) => Check(topic, username, clientId, AclAccess.Write);

        /// <summary>May this client receive a message published to <paramref name="topic"/>?</summary>
        public bool CanRead(string topic, string username, string clientId) => Check(topic, username, clientId, AclAccess.Read);

        /// <summary>May this client subscribe to <paramref name="topicFilter"/>? A "$share/name/" prefix is ignored.</summary>
        public bool CanSubscribe(string topicFilter, string username, string clientId)
        {
            if (topicFilter == null) return false;
            topicFilter = StripSharePrefix(topicFilter);
            var granted = false;
            foreach (var rule in ApplicableRules(username))
            {
                var filter = Resolve(rule, username, clientId);
                if (filter == null) continue;
                if (rule.Access == AclAccess.Deny)
                {
                    if (AclTopicMatcher.Covers(filter, topicFilter)) return false;
                }
                else if (!granted && rule.Grants(AclAccess.Read) && AclTopicMatcher.Overlaps(filter, topicFilter))
                {
                    granted = true;
                }
            }
            return granted;
        }

        private bool Check(string topic, string username, string clientId, AclAccess wanted)
        {
            if (topic == null) return false;
            var granted = false;
            foreach (var rule in ApplicableRules(username))
            {
                var filter = Resolve(rule, username, clientId);
                if (filter == null) continue;
                if (rule.Access == AclAccess.Deny)
                {
                    if (AclTopicMatcher.Matches(filter, topic)) return false;
                }
                else if (!granted && rule.Grants(wanted) && AclTopicMatcher.Matches(filter, topic))
                {
                    granted = true;
                }
            }
            return granted;
        }

        private IEnumerable<AclRule> ApplicableRules(string username)
        {
            List<AclRule> own;
            if (username == null) own = _anonymousRules;
            else if (!_userRules.TryGetValue(username, out own)) own = null;
            if (own != null) foreach (var rule in own) yield return rule;
            foreach (var rule in _patterns) yield return rule;
        }

        /// <summary>The rule's filter with %u/%c substituted, or null when the rule cannot apply to this client.</summary>
        private static string Resolve(AclRule rule, string username, string clientId)
        {
            if (!rule.IsPattern) return rule.TopicFilter;
            var filter = rule.TopicFilter;
            if (rule.UsesUsername)
            {
                // As in mosquitto, a %u pattern never applies to a client without a username.
                if (!IsSafeSubstitution(username)) return null;
                filter = filter.Replace("%u", username);
            }
            if (rule.UsesClientId)
            {
                if (!IsSafeSubstitution(clientId)) return null;
                filter = filter.Replace("%c", clientId);
            }
            return filter;
        }

        // A username "a/#" substituted into "users/%u" would widen the rule to a wildcard: such names get no pattern access.
        private static bool IsSafeSubstitution(string value) => !string.IsNullOrEmpty(value) && value.IndexOfAny(new[] { '/', '+', '#' }) < 0;

        private static string StripSharePrefix(string filter)
        {
            if (!filter.StartsWith("$share/", StringComparison.Ordinal)) return filter;
            var slash = filter.IndexOf('/', 7);
            return slash < 0 ? filter : filter.Substring(slash + 1);
        }

        private static AclRule ParseRule(string sourceName, int number, string keyword, string rest, bool isPattern, string user)
        {
            if (rest.Length == 0) throw Error(sourceName, number, "\"" + keyword + "\" needs a topic filter");
            string first, remainder;
            SplitFirst(rest, out first, out remainder);
            AclAccess access;
            string filter;
            switch (first)
            {
                case "read": access = AclAccess.Read; filter = remainder; break;
                case "write": access = AclAccess.Write; filter = remainder; break;
                case "readwrite": access = AclAccess.ReadWrite; filter = remainder; break;
                case "deny": access = AclAccess.Deny; filter = remainder; break;
                default: access = AclAccess.ReadWrite; filter = rest; break;
            }
            if (filter.Length == 0) throw Error(sourceName, number, "\"" + keyword + " " + first + "\" needs a topic filter after the access type");
            var problem = CheckFilterSyntax(filter);
            if (problem != null) throw Error(sourceName, number, "invalid topic filter \"" + filter + "\": " + problem);
            if (!isPattern && (filter.Contains("%u") || filter.Contains("%c")))
                throw Error(sourceName, number, "%u and %c are substituted only in \"pattern\" lines, not in \"topic\" lines");
            return new AclRule(access, filter, isPattern, user, number);
        }

        private static string CheckFilterSyntax(string filter)
        {
            if (filter.IndexOf('\0') >= 0) return "it contains the null character [MQTT-4.7.3-2]";
            var levels = filter.Split('/');
            for (var i = 0; i < levels.Length; i++)
            {
                var level = levels[i];
                if (level.IndexOf('#') >= 0 && (level != "#" || i != levels.Length - 1))
                    return "'#' must be a whole level and the last one [MQTT-4.7.1-2]";
                if (level.IndexOf('+') >= 0 && level != "+")
                    return "'+' must occupy a whole level [MQTT-4.7.1-3]";
            }
            return null;
        }

        private static void SplitFirst(string text, out string first, out string rest)
        {
            var space = text.IndexOfAny(new[] { ' ', '\t' });
            if (space < 0)
            {
                first = text;
                rest = string.Empty;
                return;
            }
            first = text.Substring(0, space);
            rest = text.Substring(space + 1).Trim();
        }

        private static FormatException Error(string sourceName, int line, string message) => new FormatException(sourceName + " line " + line + ": " + message);
    }
}
