using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using MqttPS.Core.Broker;
using MqttPS.Core.Topics;

namespace MqttPS.Core.Shell
{
    /// <summary>
    /// Start-MqttBroker -AclPath: topic permissions in mosquitto's acl_file format, so an existing file works.
    /// <code>
    /// # rules before any "user" line apply to anonymous clients
    /// topic read public/#
    /// user alice
    /// topic readwrite home/alice/#
    /// topic deny home/alice/secret
    /// # patterns apply to every client; %c is the client id, %u the user name
    /// pattern write devices/%c/status
    /// </code>
    /// Access is "read", "write", "readwrite" (the default) or "deny"; a matching deny wins over any grant, and
    /// anything no rule grants is refused.
    /// </summary>
    public sealed class MqttAclFile : IMqttBrokerAuthorizer
    {
        [Flags]
        private enum Access { None = 0, Read = 1, Write = 2, ReadWrite = 3, Deny = 4 }

        private sealed class Rule
        {
            public Access Access;
            public string Topic;
            public bool IsPattern;
        }

        private readonly List<Rule> _anonymous = new List<Rule>();
        private readonly Dictionary<string, List<Rule>> _users = new Dictionary<string, List<Rule>>(StringComparer.Ordinal);
        private readonly List<Rule> _patterns = new List<Rule>();

        public static MqttAclFile Load(string path)
        {
            if (!File.Exists(path))
                throw new MqttShellException("AclFileNotFound", ShellErrorCategory.ObjectNotFound, "The ACL file '" + path + "' does not exist.", path);
            return Parse(File.ReadAllLines(path), path);
        }

        public static MqttAclFile Parse(IEnumerable<string> lines, string sourceName = "ACL")
        {
            var acl = new MqttAclFile();
            var current = acl._anonymous;
            var number = 0;
            foreach (var raw in lines)
            {
                number++;
                var line = raw.Trim();
                if (line.Length == 0 || line[0] == '#') continue;
                var keywordEnd = IndexOfSpace(line);
                var keyword = keywordEnd < 0 ? line : line.Substring(0, keywordEnd);
                var rest = keywordEnd < 0 ? "" : line.Substring(keywordEnd).TrimStart();
                switch (keyword)
                {
                    case "user":
                        if (rest.Length == 0) throw Error(sourceName, number, "'user' needs a user name");
                        if (!acl._users.TryGetValue(rest, out current)) acl._users[rest] = current = new List<Rule>();
                        break;
                    case "topic":
                    case "pattern":
                        var rule = ParseRule(rest, keyword == "pattern", sourceName, number);
                        (keyword == "pattern" ? acl._patterns : current).Add(rule);
                        break;
                    default:
                        throw Error(sourceName, number, "unknown keyword '" + keyword + "' (expected user, topic or pattern)");
                }
            }
            return acl;
        }

        private static Rule ParseRule(string text, bool isPattern, string sourceName, int number)
        {
            var access = Access.ReadWrite;
            var space = IndexOfSpace(text);
            if (space > 0)
            {
                switch (text.Substring(0, space))
                {
                    case "read": access = Access.Read; text = text.Substring(space).TrimStart(); break;
                    case "write": access = Access.Write; text = text.Substring(space).TrimStart(); break;
                    case "readwrite": access = Access.ReadWrite; text = text.Substring(space).TrimStart(); break;
                    case "deny": access = Access.Deny; text = text.Substring(space).TrimStart(); break;
                }
            }
            if (text.Length == 0) throw Error(sourceName, number, "the rule has no topic");
            if (!isPattern && !MqttTopic.TryValidateTopicFilter(text, out var error))
                throw Error(sourceName, number, "'" + text + "' is not a valid topic filter: " + error);
            return new Rule { Access = access, Topic = text, IsPattern = isPattern };
        }

        private static int IndexOfSpace(string s)
        {
            for (var i = 0; i < s.Length; i++) if (s[i] == ' ' || s[i] == '\t') return i;
            return -1;
        }

        private static MqttShellException Error(string sourceName, int line, string problem) =>
            new MqttShellException("InvalidAclFile", ShellErrorCategory.InvalidData, sourceName + " line " + line.ToString(CultureInfo.InvariantCulture) + ": " + problem + ".", sourceName);

        public bool CanPublish(MqttClientIdentity client, string topic) => Check(client, topic, Access.Write, false);

        public bool CanReceive(MqttClientIdentity client, string topic) => Check(client, topic, Access.Read, false);

        public bool CanSubscribe(MqttClientIdentity client, string topicFilter) => Check(client, SharedSubscriptionInner(topicFilter), Access.Read, true);

        private bool Check(MqttClientIdentity client, string topic, Access wanted, bool isFilter)
        {
            var granted = false;
            foreach (var rule in RulesFor(client))
            {
                var ruleTopic = rule.IsPattern ? Expand(rule.Topic, client) : rule.Topic;
                if (ruleTopic == null) continue;
                // A subscription is allowed when the rule covers the whole filter: the filter read as a topic
                // (its '+' and '#' literally) must match the rule's filter.
                if (!MqttTopic.Matches(ruleTopic, topic)) continue;
                if (rule.Access == Access.Deny) return false;
                if ((rule.Access & wanted) == wanted) granted = true;
            }
            return granted;
        }

        private IEnumerable<Rule> RulesFor(MqttClientIdentity client)
        {
            if (client.Username == null)
            {
                foreach (var r in _anonymous) yield return r;
            }
            else if (_users.TryGetValue(client.Username, out var rules))
            {
                foreach (var r in rules) yield return r;
            }
            foreach (var r in _patterns) yield return r;
        }

        private static string Expand(string pattern, MqttClientIdentity client)
        {
            // A client id or user name containing wildcards or '/' would widen the rule; such clients get nothing from it.
            if (pattern.Contains("%u") && (client.Username == null || Unsafe(client.Username))) return null;
            if (pattern.Contains("%c") && (client.ClientId == null || Unsafe(client.ClientId))) return null;
            return pattern.Replace("%u", client.Username ?? "").Replace("%c", client.ClientId ?? "");
        }

        private static bool Unsafe(string s) => s.IndexOf('/') >= 0 || s.IndexOf('+') >= 0 || s.IndexOf('#') >= 0;

        private static string SharedSubscriptionInner(string filter) => TopicValidation.InnerFilter(filter);
    }
}
