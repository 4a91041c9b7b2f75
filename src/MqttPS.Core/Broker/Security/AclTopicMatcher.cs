using MqttPS.Core.Topics;

namespace MqttPS.Core.Broker.Security
{
    /// <summary>
    /// Topic filter logic an ACL needs: whether a rule's filter matches a concrete topic (MqttTopic.Matches), and
    /// whether it covers every topic a subscription filter can match (so a granted subscription never receives a
    /// topic the rule does not allow) — filter-to-filter relations the topic engine does not need.
    /// </summary>
    internal static class AclTopicMatcher
    {
        /// <summary>Filter-to-name matching of MQTT section 4.7, including the '$' rule [MQTT-4.7.2-1].</summary>
        public static bool Matches(string filter, string topic) => MqttTopic.Matches(filter, topic);

        /// <summary>True when every topic matched by <paramref name="subscription"/> is also matched by <paramref name="rule"/>.</summary>
        public static bool Covers(string rule, string subscription)
        {
            // A subscription that starts with a wildcard cannot reach "$" topics, so rules starting with one still
            // cover it; but a subscription starting with "$..." is covered only by a rule naming that first level.
            if (subscription.Length > 0 && subscription[0] == '$' && rule.Length > 0 && (rule[0] == '+' || rule[0] == '#')) return false;
            var r = rule.Split('/');
            var s = subscription.Split('/');
            for (var i = 0; i < r.Length; i++)
            {
                if (r[i] == "#") return true;
                if (i >= s.Length) return false;
                if (s[i] == "#") return false;
                if (r[i] == "+") continue;
                if (s[i] == "+" || r[i] != s[i]) return false;
            }
            return r.Length == s.Length;
        }

        /// <summary>True when some topic could match both filters.</summary>
        public static bool Overlaps(string a, string b)
        {
            var x = a.Split('/');
            var y = b.Split('/');
            var dollarA = a.Length > 0 && a[0] == '$';
            var dollarB = b.Length > 0 && b[0] == '$';
            if ((dollarA && (b[0] == '+' || b[0] == '#')) || (dollarB && (a[0] == '+' || a[0] == '#'))) return false;
            for (var i = 0; ; i++)
            {
                var endX = i >= x.Length;
                var endY = i >= y.Length;
                if (!endX && x[i] == "#") return true;
                if (!endY && y[i] == "#") return true;
                if (endX || endY) return endX && endY;
                if (x[i] == "+" || y[i] == "+") continue;
                if (x[i] != y[i]) return false;
            }
        }
    }
}
