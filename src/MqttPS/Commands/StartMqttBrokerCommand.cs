using System.Collections;
using System.Management.Automation;
using MqttPS.Core.Broker;
using MqttPS.Core.Broker.Persistence;
using MqttPS.Core.Shell;

namespace MqttPS.Commands
{
    /// <summary>
    /// Start-MqttBroker: starts an MQTT broker inside the PowerShell session. By default it runs in the
    /// background and the broker object is returned; with -Wait it stays in the foreground and writes broker
    /// events (connects, subscriptions, publishes) as objects until Ctrl+C, then stops.
    /// </summary>
    [Cmdlet(VerbsLifecycle.Start, "MqttBroker", DefaultParameterSetName = "Background")]
    [OutputType(typeof(MqttEmbeddedBroker), ParameterSetName = new[] { "Background" })]
    [OutputType(typeof(MqttBrokerEvent), ParameterSetName = new[] { "Wait" })]
    public sealed class StartMqttBrokerCommand : MqttCmdlet
    {
        private MqttEmbeddedBroker _foreground;

        [Parameter(Position = 0)]
        [ValidateRange(0, 65535)]
        public int Port { get; set; } = 1883;

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string ConfigPath { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string BindAddress { get; set; } = "127.0.0.1";

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string Name { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string CertificatePath { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string CertificateKeyPath { get; set; }

        [Parameter]
        public System.Security.SecureString CertificatePassword { get; set; }

        [Parameter]
        [ValidateNotNull]
        public System.Security.Cryptography.X509Certificates.X509Certificate2 Certificate { get; set; }

        [Parameter]
        [ValidateRange(0, 65535)]
        public int TlsPort { get; set; } = MqttBrokerSettings.DefaultTlsPort;

        [Parameter]
        public SwitchParameter RequireClientCertificate { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string ClientCaPath { get; set; }

        [Parameter]
        public SwitchParameter UseCertificateIdentityAsUsername { get; set; }

        [Parameter]
        [ValidateSet("Tls12", "Tls13")]
        public string[] TlsProtocol { get; set; }

        [Parameter]
        [ValidateRange(0, 65535)]
        public int WebSocketPort { get; set; }

        [Parameter]
        [ValidateRange(0, 65535)]
        public int SecureWebSocketPort { get; set; }

        // No [Credential] here: its transformation prompts for one credential and would mangle an array.
        [Parameter]
        [ValidateNotNull]
        public PSCredential[] Credential { get; set; }

        [Parameter]
        [ValidateNotNull]
        public Hashtable Users { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string PasswordFile { get; set; }

        [Parameter]
        public SwitchParameter AllowAnonymous { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string AclPath { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string PersistencePath { get; set; }

        [Parameter]
        public PersistenceDurability Durability { get; set; } = PersistenceDurability.PerMessage;

        [Parameter]
        [ValidateRange(0, 86400)]
        public int SysIntervalSeconds { get; set; } = MqttBrokerSettings.DefaultSysIntervalSeconds;

        [Parameter]
        [ValidateRange(0, int.MaxValue)]
        public int MaxConnections { get; set; }

        [Parameter]
        [ValidateRange(1, 65535)]
        public int MaxKeepAlive { get; set; }

        [Parameter]
        [Alias("ReceiveMaximum")]
        [ValidateRange(1, 65535)]
        public int MaxInflightMessages { get; set; }

        [Parameter]
        [Alias("TopicAliasMaximum")]
        [ValidateRange(0, 65535)]
        public int MaxTopicAlias { get; set; }

        [Parameter]
        public bool RetainAvailable { get; set; } = true;

        [Parameter]
        public bool AllowZeroLengthClientId { get; set; } = true;

        [Parameter]
        [ValidateRange(0, int.MaxValue)]
        public int MaxQueuedMessages { get; set; }

        [Parameter]
        [ValidateRange(0, 268435460)]
        public long MaxPacketSize { get; set; }

        [Parameter]
        [ValidateRange(0, 268435460)]
        public long MaxConnectPacketSize { get; set; }

        [Parameter]
        [ValidateNotNull]
        public object[] Bridge { get; set; }

        [Parameter(ParameterSetName = "Wait", Mandatory = true)]
        public SwitchParameter Wait { get; set; }

        [Parameter(ParameterSetName = "Wait")]
        public MqttBrokerEventKind[] EventKind { get; set; }

        protected override void EndProcessing()
        {
            var settings = new MqttBrokerSettings
            {
                Name = Name,
                ConfigPath = ProviderPath(ConfigPath),
                WorkingDirectory = SessionState.Path.CurrentFileSystemLocation.ProviderPath,
                Port = Port,
                BindAddress = BindAddress,
                CertificatePath = ProviderPath(CertificatePath),
                CertificateKeyPath = ProviderPath(CertificateKeyPath),
                CertificatePassword = PSConvert.ToPlainText(CertificatePassword),
                Certificate = Certificate,
                TlsPort = Bound(nameof(TlsPort)) ? TlsPort : (int?)null,
                RequireClientCertificate = RequireClientCertificate.IsPresent,
                ClientCaPath = ProviderPath(ClientCaPath),
                UseCertificateIdentityAsUsername = UseCertificateIdentityAsUsername.IsPresent,
                TlsProtocols = TlsProtocolText.Parse(TlsProtocol),
                WebSocketPort = Bound(nameof(WebSocketPort)) ? WebSocketPort : (int?)null,
                SecureWebSocketPort = Bound(nameof(SecureWebSocketPort)) ? SecureWebSocketPort : (int?)null,
                PasswordFilePath = ProviderPath(PasswordFile),
                AllowAnonymous = Bound(nameof(AllowAnonymous)) ? AllowAnonymous.IsPresent : (bool?)null,
                AclPath = ProviderPath(AclPath),
                PersistencePath = ProviderPath(PersistencePath),
                Durability = Bound(nameof(Durability)) ? Durability : (PersistenceDurability?)null,
                SysIntervalSeconds = SysIntervalSeconds,
                MaxConnections = MaxConnections,
                MaxKeepAlive = Bound(nameof(MaxKeepAlive)) ? MaxKeepAlive : (int?)null,
                MaxInflightMessages = Bound(nameof(MaxInflightMessages)) ? MaxInflightMessages : (int?)null,
                MaxTopicAlias = Bound(nameof(MaxTopicAlias)) ? MaxTopicAlias : (int?)null,
                RetainAvailable = Bound(nameof(RetainAvailable)) ? RetainAvailable : (bool?)null,
                AllowZeroLengthClientId = Bound(nameof(AllowZeroLengthClientId)) ? AllowZeroLengthClientId : (bool?)null,
                MaxQueuedMessages = Bound(nameof(MaxQueuedMessages)) ? MaxQueuedMessages : (int?)null,
                MaxPacketSize = Bound(nameof(MaxPacketSize)) ? (uint)MaxPacketSize : (uint?)null,
                MaxConnectPacketSize = Bound(nameof(MaxConnectPacketSize)) ? (uint)MaxConnectPacketSize : (uint?)null,
            };
            foreach (var given in MyInvocation.BoundParameters.Keys) settings.GivenParameters.Add(given);
            if (Bridge != null) foreach (var b in Bridge) settings.Bridges.Add(Require(() => ToBridge(b), Name, "InvalidBridge"));
            if (Credential != null)
                foreach (var c in Credential) settings.Users.Add(new System.Collections.Generic.KeyValuePair<string, string>(c.UserName, PSConvert.ToPlainText(c.Password)));
            if (Users != null)
            {
                foreach (DictionaryEntry entry in Users)
                {
                    var value = PSConvert.Unwrap(entry.Value);
                    var password = value is System.Security.SecureString secure ? PSConvert.ToPlainText(secure)
                        : value is PSCredential credential ? PSConvert.ToPlainText(credential.Password) : value?.ToString();
                    settings.Users.Add(new System.Collections.Generic.KeyValuePair<string, string>(entry.Key.ToString(), password));
                }
            }

            if (!Wait)
            {
                WriteObject(Require(() => Session.StartBroker(settings, this), Name, "BrokerStartFailed"));
                return;
            }

            // Foreground: not registered in the session; it lives exactly as long as this command.
            _foreground = Require(() => MqttEmbeddedBroker.Start(settings.Name ?? "foreground", settings, this), Name, "BrokerStartFailed");
            WriteVerbose("Broker '" + _foreground.Name + "' runs in the foreground; press Ctrl+C to stop it.");
            var kinds = EventKind ?? (_foreground.ConfiguredEventKinds == null ? null : System.Linq.Enumerable.ToArray(_foreground.ConfiguredEventKinds));
            BrokerEventStream.Run(_foreground, this, kinds == null ? (System.Func<MqttBrokerEvent, bool>)null : e => System.Array.IndexOf(kinds, e.Kind) >= 0, WriteObject);
            if (StopToken.IsCancellationRequested) throw new PipelineStoppedException();
        }

        private bool Bound(string parameter) => MyInvocation.BoundParameters.ContainsKey(parameter);

        /// <summary>A -Bridge element: a hashtable of settings (a credential gives Username and Password, secure
        /// strings are read), or bridge options made in code.</summary>
        private static MqttPS.Core.Broker.Bridges.MqttBridgeOptions ToBridge(object value)
        {
            value = PSConvert.Unwrap(value);
            if (value is MqttPS.Core.Broker.Bridges.MqttBridgeOptions ready) return ready;
            if (!(value is IDictionary definition))
                throw new MqttShellException("InvalidBridge", ShellErrorCategory.InvalidArgument,
                    "-Bridge takes hashtables such as @{ Name = 'hub'; Address = 'hub.example.com:1883'; Topic = 'sensors/# out 1' }, not " + (value?.GetType().Name ?? "null") + ".", value);
            var plain = new Hashtable(System.StringComparer.OrdinalIgnoreCase);
            foreach (DictionaryEntry entry in definition)
            {
                var item = PSConvert.Unwrap(entry.Value);
                if (item is PSCredential credential)
                {
                    plain["Username"] = credential.UserName;
                    plain["Password"] = PSConvert.ToPlainText(credential.Password);
                    continue;
                }
                if (item is System.Security.SecureString secure) item = PSConvert.ToPlainText(secure);
                if (item is object[] array) item = System.Array.ConvertAll(array, PSConvert.Unwrap);
                if (string.Equals(entry.Key?.ToString(), "Credential", System.StringComparison.OrdinalIgnoreCase))
                    throw new MqttShellException("InvalidBridge", ShellErrorCategory.InvalidArgument, "-Bridge: Credential must be a PSCredential (for example from Get-Credential).", item);
                plain[entry.Key] = item;
            }
            return BridgeDefinition.FromDictionary(plain);
        }

        private string ProviderPath(string path) => path == null ? null : GetUnresolvedProviderPathFromPSPath(path);

        protected override void CleanUp()
        {
            _foreground?.Stop(null, System.TimeSpan.FromSeconds(10));
            _foreground = null;
        }
    }
}
