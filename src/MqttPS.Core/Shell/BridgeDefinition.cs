using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using MqttPS.Core.Broker.Bridges;
using MqttPS.Core.Transport;

namespace MqttPS.Core.Shell
{
    /// <summary>
    /// Start-MqttBroker -Bridge: a bridge given as a hashtable (or an <see cref="MqttBridgeOptions"/>), with the
    /// settings of mosquitto's connection section under PowerShell names:
    /// <c>@{ Name = 'hub'; Address = 'hub.example.com:8883'; Topic = 'sensors/# out 1', 'commands/# in 1'; CaFile = './ca.crt' }</c>.
    /// </summary>
    public static class BridgeDefinition
    {
        /// <summary>The settings a hashtable may name (case does not matter).</summary>
        public static readonly IReadOnlyList<string> Keys = new[]
        {
            "Name", "Address", "Topic", "Username", "Password", "ClientId", "LocalClientId", "ProtocolVersion", "CleanSession", "LocalCleanSession",
            "KeepAliveSeconds", "CaFile", "CaDirectory", "CertificatePath", "CertificateKeyPath", "CertificatePassword", "Insecure", "TlsProtocol",
            "RestartDelaySeconds", "RestartDelayMaxSeconds", "StartType", "Threshold", "IdleTimeoutSeconds", "TryPrivate", "Notifications",
            "NotificationsLocalOnly", "NotificationTopic", "RoundRobin", "AttemptUnsubscribe", "OutgoingRetain", "MaximumPacketSize",
        };

        /// <summary>The bridge a hashtable describes; an error names a wrong key or value.</summary>
        public static MqttBridgeOptions FromDictionary(IDictionary definition)
        {
            var values = new Dictionary<string, object>(StringComparer.OrdinalIgnoreCase);
            foreach (DictionaryEntry entry in definition)
            {
                var key = Convert.ToString(entry.Key, CultureInfo.InvariantCulture);
                var known = Keys.FirstOrDefault(k => string.Equals(k, key, StringComparison.OrdinalIgnoreCase));
                if (known == null)
                    throw Invalid("'" + key + "' is not a bridge setting; the settings are " + string.Join(", ", Keys) + ".", key);
                values[known] = entry.Value;
            }
            var o = new MqttBridgeOptions();
            o.Name = Text(values, "Name") ?? throw Invalid("a bridge needs a Name.", null);
            foreach (var address in Strings(values, "Address")) o.Addresses.Add(ParseAddress(o.Name, address));
            foreach (var topic in Items(values, "Topic"))
            {
                if (topic is MqttBridgeTopic ready) { o.Topics.Add(ready); continue; }
                try { o.Topics.Add(MqttBridgeTopic.Parse(Convert.ToString(topic, CultureInfo.InvariantCulture))); }
                catch (FormatException e) { throw Invalid("bridge '" + o.Name + "', topic '" + topic + "': " + e.Message, topic); }
            }
            o.RemoteUsername = Text(values, "Username");
            o.RemotePassword = Text(values, "Password");
            o.RemoteClientId = Text(values, "ClientId");
            o.LocalClientId = Text(values, "LocalClientId");
            var version = Text(values, "ProtocolVersion");
            if (version != null)
            {
                try { o.ProtocolVersion = ProtocolVersionText.Parse(version); }
                catch (ArgumentException e) { throw Invalid("bridge '" + o.Name + "': " + e.Message, version); }
            }
            o.CleanSession = Flag(values, "CleanSession") ?? o.CleanSession;
            o.LocalCleanSession = Flag(values, "LocalCleanSession");
            o.KeepAliveSeconds = (ushort)(Number(values, "KeepAliveSeconds", 5, 65535) ?? o.KeepAliveSeconds);
            var caFile = Text(values, "CaFile");
            var caDirectory = Text(values, "CaDirectory");
            var certificate = Text(values, "CertificatePath");
            var insecure = Flag(values, "Insecure") ?? false;
            var tlsProtocols = Strings(values, "TlsProtocol").ToList();
            if (caFile != null || caDirectory != null || certificate != null || insecure || tlsProtocols.Count > 0 || o.Addresses.Any(a => a.UsesTls))
            {
                o.Tls = new MqttTlsOptions
                {
                    CaFile = caFile,
                    CaDirectory = caDirectory,
                    ClientCertificatePath = certificate,
                    ClientCertificateKeyPath = Text(values, "CertificateKeyPath"),
                    ClientCertificatePassword = Text(values, "CertificatePassword"),
                    IgnoreHostNameMismatch = insecure,
                    Protocols = tlsProtocols.Count > 0 ? TlsProtocolText.Parse(tlsProtocols) : System.Security.Authentication.SslProtocols.None,
                };
                for (var i = 0; i < o.Addresses.Count; i++)
                    if (!o.Addresses[i].UsesTls) o.Addresses[i] = new MqttBrokerAddress(o.Addresses[i].Host, o.Addresses[i].Port, MqttTransportKind.Tls);
            }
            var restart = Number(values, "RestartDelaySeconds", 1, 86400);
            if (restart.HasValue) o.RestartDelay = o.RestartDelayMax = TimeSpan.FromSeconds(restart.Value);
            var restartMax = Number(values, "RestartDelayMaxSeconds", 1, 86400);
            if (restartMax.HasValue) o.RestartDelayMax = TimeSpan.FromSeconds(restartMax.Value);
            var startType = Text(values, "StartType");
            if (startType != null)
            {
                if (!Enum.TryParse(startType, true, out MqttBridgeStartType parsed) || !Enum.IsDefined(typeof(MqttBridgeStartType), parsed))
                    throw Invalid("bridge '" + o.Name + "': '" + startType + "' is not a start type (Automatic, Lazy or Once).", startType);
                o.StartType = parsed;
            }
            o.Threshold = Number(values, "Threshold", 1, int.MaxValue) ?? o.Threshold;
            var idle = Number(values, "IdleTimeoutSeconds", 1, 86400);
            if (idle.HasValue) o.IdleTimeout = TimeSpan.FromSeconds(idle.Value);
            o.TryPrivate = Flag(values, "TryPrivate") ?? o.TryPrivate;
            o.Notifications = Flag(values, "Notifications") ?? o.Notifications;
            o.NotificationsLocalOnly = Flag(values, "NotificationsLocalOnly") ?? o.NotificationsLocalOnly;
            o.NotificationTopic = Text(values, "NotificationTopic");
            o.RoundRobin = Flag(values, "RoundRobin") ?? o.RoundRobin;
            o.AttemptUnsubscribe = Flag(values, "AttemptUnsubscribe") ?? o.AttemptUnsubscribe;
            o.OutgoingRetain = Flag(values, "OutgoingRetain") ?? o.OutgoingRetain;
            o.MaximumPacketSize = (uint)(Number(values, "MaximumPacketSize", 0, int.MaxValue) ?? 0);
            Validate(o);
            return o;
        }

        /// <summary>Checks a bridge (from a hashtable or given ready-made) as Start-MqttBroker reports it.</summary>
        public static void Validate(MqttBridgeOptions options)
        {
            try { options.Validate(); }
            catch (ArgumentException e) { throw Invalid(e.Message.Split(new[] { " (Parameter" }, StringSplitOptions.None)[0], options.Name); }
        }

        /// <summary>host[:port], [IPv6]:port, or a URI (mqtt://, mqtts://, ws://, wss://).</summary>
        private static MqttBrokerAddress ParseAddress(string bridge, string text)
        {
            try
            {
                if (text.Contains("://")) return MqttBrokerAddress.Parse(text, null);
                if (Broker.Configuration.MosquittoBridgeDirectives.TryAddress(text, out var address, out var problem)) return address;
                throw Invalid("bridge '" + bridge + "': " + problem + ".", text);
            }
            catch (ArgumentException e) { throw Invalid("bridge '" + bridge + "': '" + text + "' is not a broker address: " + e.Message, text); }
            catch (FormatException e) { throw Invalid("bridge '" + bridge + "': '" + text + "' is not a broker address: " + e.Message, text); }
        }

        private static MqttShellException Invalid(string message, object target) =>
            new MqttShellException("InvalidBridge", ShellErrorCategory.InvalidArgument, "-Bridge: " + message, target);

        private static IEnumerable<object> Items(Dictionary<string, object> values, string key)
        {
            if (!values.TryGetValue(key, out var value) || value == null) return Enumerable.Empty<object>();
            if (value is string || !(value is IEnumerable list)) return new[] { value };
            return list.Cast<object>().Where(x => x != null);
        }

        private static IEnumerable<string> Strings(Dictionary<string, object> values, string key) =>
            Items(values, key).Select(x => Convert.ToString(x, CultureInfo.InvariantCulture));

        private static string Text(Dictionary<string, object> values, string key) =>
            values.TryGetValue(key, out var value) && value != null ? Convert.ToString(value, CultureInfo.InvariantCulture) : null;

        private static bool? Flag(Dictionary<string, object> values, string key)
        {
            if (!values.TryGetValue(key, out var value) || value == null) return null;
            if (value is bool b) return b;
            if (BooleanText.TryParse(Convert.ToString(value, CultureInfo.InvariantCulture), out var parsed)) return parsed;
            throw Invalid("'" + value + "' is not a value for " + key + " ($true or $false).", value);
        }

        private static int? Number(Dictionary<string, object> values, string key, int minimum, int maximum)
        {
            if (!values.TryGetValue(key, out var value) || value == null) return null;
            long n;
            try { n = Convert.ToInt64(value, CultureInfo.InvariantCulture); }
            catch (Exception e) when (e is FormatException || e is InvalidCastException || e is OverflowException) { throw Invalid("'" + value + "' is not a number for " + key + ".", value); }
            if (n < minimum || n > maximum) throw Invalid(key + " " + n + " is out of range: " + minimum + " to " + maximum + ".", value);
            return (int)n;
        }
    }
}
