using System;
using System.Collections.Generic;
using System.Globalization;
using MqttPS.Core.Protocol;
using MqttPS.Core.Topics;

namespace MqttPS.Core.Broker.Bridges
{
    /// <summary>
    /// One topic line of a bridge (mosquitto's "topic pattern [in|out|both] [qos] [local-prefix] [remote-prefix]"):
    /// messages matching local-prefix + pattern go out as remote-prefix + the rest, and the other way round. The QoS is
    /// the most a message keeps on its way across (and the QoS of the bridge's subscriptions). An empty pattern with
    /// both prefixes maps one topic to another.
    /// </summary>
    public sealed class MqttBridgeTopic
    {
        public MqttBridgeTopic(string pattern, MqttBridgeDirection direction = MqttBridgeDirection.Out, MqttQualityOfService qos = MqttQualityOfService.AtMostOnce,
            string localPrefix = null, string remotePrefix = null)
        {
            Pattern = string.IsNullOrEmpty(pattern) ? null : pattern;
            Direction = direction;
            QoS = qos;
            LocalPrefix = string.IsNullOrEmpty(localPrefix) ? null : localPrefix;
            RemotePrefix = string.IsNullOrEmpty(remotePrefix) ? null : remotePrefix;
            Validate();
        }

        /// <summary>The topic filter without prefixes; null when the line maps one topic (local-prefix to remote-prefix).</summary>
        public string Pattern { get; }
        public MqttBridgeDirection Direction { get; }
        public MqttQualityOfService QoS { get; }
        public string LocalPrefix { get; }
        public string RemotePrefix { get; }

        /// <summary>What is subscribed to locally (out, both) or matched coming in: local-prefix + pattern.</summary>
        public string LocalFilter => (LocalPrefix ?? "") + (Pattern ?? "");

        /// <summary>What is subscribed to on the remote broker (in, both): remote-prefix + pattern.</summary>
        public string RemoteFilter => (RemotePrefix ?? "") + (Pattern ?? "");

        public bool GoesOut => Direction != MqttBridgeDirection.In;
        public bool ComesIn => Direction != MqttBridgeDirection.Out;

        /// <summary>Parses mosquitto's syntax: "sensors/# out 1 edge1/ """ (a "" stands for an empty prefix).</summary>
        public static MqttBridgeTopic Parse(string text)
        {
            if (text == null) throw new ArgumentNullException(nameof(text));
            var words = text.Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries);
            if (words.Length == 0) throw new FormatException("A bridge topic needs a pattern (e.g. \"sensors/# out 1\").");
            if (words.Length > 5) throw new FormatException("'" + text + "' has more than pattern, direction, QoS, local prefix and remote prefix.");
            string Word(int i) => i < words.Length && words[i] != "\"\"" ? words[i] : null;
            var direction = MqttBridgeDirection.Out;
            if (words.Length > 1)
            {
                switch (words[1].ToLowerInvariant())
                {
                    case "out": direction = MqttBridgeDirection.Out; break;
                    case "in": direction = MqttBridgeDirection.In; break;
                    case "both": direction = MqttBridgeDirection.Both; break;
                    default: throw new FormatException("'" + words[1] + "' is not a bridge direction (in, out or both).");
                }
            }
            var qos = MqttQualityOfService.AtMostOnce;
            if (words.Length > 2)
            {
                if (!int.TryParse(words[2], NumberStyles.None, CultureInfo.InvariantCulture, out var q) || q > 2)
                    throw new FormatException("'" + words[2] + "' is not a QoS (0, 1 or 2).");
                qos = (MqttQualityOfService)q;
            }
            try
            {
                return new MqttBridgeTopic(Word(0), direction, qos, Word(3), Word(4));
            }
            catch (ArgumentException e)
            {
                throw new FormatException(e.Message, e);
            }
        }

        /// <summary>The remote topic for a local message of this line, or null when it does not match.</summary>
        public string ToRemote(string localTopic) => Map(localTopic, LocalFilter, LocalPrefix, RemotePrefix);

        /// <summary>The local topic for a remote message of this line, or null when it does not match.</summary>
        public string ToLocal(string remoteTopic) => Map(remoteTopic, RemoteFilter, RemotePrefix, LocalPrefix);

        private static string Map(string topic, string filter, string fromPrefix, string toPrefix)
        {
            if (!MqttTopic.Matches(filter, topic)) return null;
            var rest = fromPrefix != null && topic.StartsWith(fromPrefix, StringComparison.Ordinal) ? topic.Substring(fromPrefix.Length) : topic;
            return (toPrefix ?? "") + rest;
        }

        private void Validate()
        {
            if ((byte)QoS > 2) throw new ArgumentException("QoS " + (byte)QoS + " does not exist (0, 1 or 2).");
            if (Pattern == null && (LocalPrefix == null || RemotePrefix == null))
                throw new ArgumentException("A bridge topic without a pattern maps one topic to another and needs both a local and a remote prefix.");
            foreach (var prefix in new[] { LocalPrefix, RemotePrefix })
            {
                if (prefix == null) continue;
                if (prefix.IndexOfAny(new[] { '+', '#' }) >= 0) throw new ArgumentException("The prefix '" + prefix + "' must not contain wildcards.");
            }
            foreach (var filter in new[] { LocalFilter, RemoteFilter })
            {
                if (!MqttTopic.TryValidateTopicFilter(filter, out var problem))
                    throw new ArgumentException("'" + filter + "' (prefix and pattern) is not a valid topic filter: " + problem);
            }
        }

        public override string ToString()
        {
            var parts = new List<string> { Pattern ?? "\"\"", Direction.ToString().ToLowerInvariant(), ((byte)QoS).ToString(CultureInfo.InvariantCulture) };
            if (LocalPrefix != null || RemotePrefix != null) { parts.Add(LocalPrefix ?? "\"\""); parts.Add(RemotePrefix ?? "\"\""); }
            return string.Join(" ", parts);
        }
    }
}
