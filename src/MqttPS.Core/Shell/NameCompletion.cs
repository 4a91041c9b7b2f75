using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace MqttPS.Core.Shell
{
    /// <summary>One tab completion: the text inserted (quoted when PowerShell needs quotes), what the menu shows,
    /// and a tool tip.</summary>
    public sealed class CompletionCandidate
    {
        public CompletionCandidate(string value, string toolTip)
        {
            Text = NameCompletion.Quote(value);
            ListItem = value;
            ToolTip = string.IsNullOrEmpty(toolTip) ? value : toolTip;
        }

        public string Text { get; }
        public string ListItem { get; }
        public string ToolTip { get; }
    }

    /// <summary>What Tab offers for the parameters that take names of the session's connections, brokers and
    /// subscriptions, and for -QoS: the existing values that start with what is typed, in a stable order.</summary>
    public static class NameCompletion
    {
        public static IReadOnlyList<CompletionCandidate> QoS(string typed) => Matching(typed, new[]
        {
            new KeyValuePair<string, string>("0", "0: at most once (fire and forget)"),
            new KeyValuePair<string, string>("1", "1: at least once (acknowledged, may repeat)"),
            new KeyValuePair<string, string>("2", "2: exactly once (four-way handshake)"),
        });

        public static IReadOnlyList<CompletionCandidate> Connections(MqttShellSession session, string typed) =>
            session == null ? None : Matching(typed, session.Connections.All.OrderBy(c => c.Name, StringComparer.OrdinalIgnoreCase)
                .Select(c => new KeyValuePair<string, string>(c.Name, c.Name + ": " + c.State + ", " + c.Broker + (c.IsDefault ? " (default)" : ""))));

        public static IReadOnlyList<CompletionCandidate> Brokers(MqttShellSession session, string typed) =>
            session == null ? None : Matching(typed, session.Brokers.All.OrderBy(b => b.Name, StringComparer.OrdinalIgnoreCase)
                .Select(b => new KeyValuePair<string, string>(b.Name, b.Name + ": " + b.State + (b.IsRunning ? ", " + b.Uri : ""))));

        public static IReadOnlyList<CompletionCandidate> SourceIdentifiers(MqttShellSession session, string typed) =>
            session == null ? None : Matching(typed, session.Subscriptions.All.Where(s => s.SourceIdentifier != null).OrderBy(s => s.Id)
                .Select(s => new KeyValuePair<string, string>(s.SourceIdentifier, "#" + s.Id + " " + s.Topic + " on " + s.ConnectionName)));

        public static IReadOnlyList<CompletionCandidate> SubscriptionIds(MqttShellSession session, string typed) =>
            session == null ? None : Matching(typed, session.Subscriptions.All.OrderBy(s => s.Id)
                .Select(s => new KeyValuePair<string, string>(s.Id.ToString(CultureInfo.InvariantCulture), "#" + s.Id + " " + s.Topic + " on " + s.ConnectionName)));

        private static readonly IReadOnlyList<CompletionCandidate> None = new CompletionCandidate[0];

        private static IReadOnlyList<CompletionCandidate> Matching(string typed, IEnumerable<KeyValuePair<string, string>> values)
        {
            var prefix = Unquote(typed ?? string.Empty);
            return values.Where(v => v.Key.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
                .Select(v => new CompletionCandidate(v.Key, v.Value)).ToList();
        }

        /// <summary>What is typed so far, without the quote it may start with.</summary>
        private static string Unquote(string typed)
        {
            if (typed.Length > 0 && (typed[0] == '\'' || typed[0] == '"')) typed = typed.Substring(1);
            if (typed.Length > 0 && (typed[typed.Length - 1] == '\'' || typed[typed.Length - 1] == '"')) typed = typed.Substring(0, typed.Length - 1);
            return typed;
        }

        /// <summary>A name as an argument: bare when PowerShell reads it as one word, else in single quotes.</summary>
        public static string Quote(string value)
        {
            if (value.Length > 0 && value.All(c => char.IsLetterOrDigit(c) || c == '-' || c == '_' || c == '.' || c == '/' || c == ':') && value[0] != '-')
                return value;
            return "'" + value.Replace("'", "''") + "'";
        }
    }
}
