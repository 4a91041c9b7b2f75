using System.Collections;
using System.Management.Automation;
using MqttPS.Core.Broker;
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
        [ValidateRange(0, 65535)]
        public int TlsPort { get; set; } = 8883;

        // No [Credential] here: its transformation prompts for one credential and would mangle an array.
        [Parameter]
        [ValidateNotNull]
        public PSCredential[] Credential { get; set; }

        [Parameter]
        [ValidateNotNull]
        public Hashtable Users { get; set; }

        [Parameter]
        public SwitchParameter AllowAnonymous { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string AclPath { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string PersistencePath { get; set; }

        [Parameter]
        [ValidateRange(0, int.MaxValue)]
        public int MaxConnections { get; set; }

        [Parameter(ParameterSetName = "Wait", Mandatory = true)]
        public SwitchParameter Wait { get; set; }

        [Parameter(ParameterSetName = "Wait")]
        public MqttBrokerEventKind[] EventKind { get; set; }

        protected override void EndProcessing()
        {
            var settings = new MqttBrokerSettings
            {
                Name = Name,
                Port = Port,
                BindAddress = BindAddress,
                CertificatePath = CertificatePath == null ? null : GetUnresolvedProviderPathFromPSPath(CertificatePath),
                CertificateKeyPath = CertificateKeyPath == null ? null : GetUnresolvedProviderPathFromPSPath(CertificateKeyPath),
                CertificatePassword = PSConvert.ToPlainText(CertificatePassword),
                TlsPort = TlsPort,
                AllowAnonymous = MyInvocation.BoundParameters.ContainsKey(nameof(AllowAnonymous)) ? AllowAnonymous.IsPresent : (bool?)null,
                AclPath = AclPath == null ? null : GetUnresolvedProviderPathFromPSPath(AclPath),
                PersistencePath = PersistencePath == null ? null : GetUnresolvedProviderPathFromPSPath(PersistencePath),
                MaxConnections = MaxConnections,
            };
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
            WriteVerbose("Broker '" + _foreground.Name + "' listening on " + _foreground.Uri + "; press Ctrl+C to stop it.");
            var kinds = EventKind;
            BrokerEventStream.Run(_foreground, this, kinds == null ? (System.Func<MqttBrokerEvent, bool>)null : e => System.Array.IndexOf(kinds, e.Kind) >= 0, WriteObject);
            if (StopToken.IsCancellationRequested) throw new PipelineStoppedException();
        }

        protected override void CleanUp()
        {
            _foreground?.Stop(null, System.TimeSpan.FromSeconds(10));
            _foreground = null;
        }
    }
}
