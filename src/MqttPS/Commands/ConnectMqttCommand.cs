using System;
using System.Management.Automation;
using System.Security;
using System.Security.Cryptography.X509Certificates;
using MqttPS.Core.Protocol;
using MqttPS.Core.Shell;

namespace MqttPS.Commands
{
    /// <summary>Connect-Mqtt: opens a connection to a broker and makes it the session's default.</summary>
    [Cmdlet(VerbsCommunications.Connect, "Mqtt")]
    [OutputType(typeof(MqttConnection))]
    public sealed class ConnectMqttCommand : MqttCmdlet
    {
        [Parameter(Position = 0)]
        [ValidateNotNullOrEmpty]
        [BrokerAddressTransformation]
        public string Broker { get; set; } = "localhost";

        [Parameter]
        [ValidateRange(1, 65535)]
        public int Port { get; set; }

        [Parameter]
        [AllowEmptyString]
        public string ClientId { get; set; }

        [Parameter]
        [Credential]
        public PSCredential Credential { get; set; }

        [Parameter]
        public SwitchParameter UseTls { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string CertificatePath { get; set; }

        [Parameter]
        public SecureString CertificatePassword { get; set; }

        [Parameter]
        public X509Certificate2 Certificate { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string CaCertificatePath { get; set; }

        [Parameter]
        public SwitchParameter SkipCertificateCheck { get; set; }

        [Parameter]
        [ValidateSet("Tls12", "Tls13")]
        public string[] TlsProtocol { get; set; }

        [Parameter]
        [ProtocolVersionTransformation]
        [ValidateSet("3.1", "3.1.1", "5.0")]
        public string ProtocolVersion { get; set; } = "5.0";

        [Parameter]
        public SwitchParameter CleanStart { get; set; } = true;

        [Parameter]
        public uint SessionExpirySeconds { get; set; }

        [Parameter]
        public ushort KeepAliveSeconds { get; set; } = 60;

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string WillTopic { get; set; }

        [Parameter]
        [AllowNull]
        public object WillPayload { get; set; }

        [Parameter]
        [ValidateRange(0, 2)]
        [ArgumentCompleter(typeof(QoSCompleter))]
        public int WillQoS { get; set; }

        [Parameter]
        public SwitchParameter WillRetain { get; set; }

        [Parameter]
        public uint WillDelaySeconds { get; set; }

        [Parameter]
        public SwitchParameter AutoReconnect { get; set; }

        [Parameter]
        [ValidateRange(1, 65535)]
        public int MaxInflightMessages { get; set; }

        [Parameter]
        [ValidateRange(0, 1000000)]
        public int OfflineQueueSize { get; set; } = MqttConnectionSettings.DefaultOfflineQueueSize;

        [Parameter]
        [ValidateRange(1, 3600)]
        public int ReconnectMaxDelaySeconds { get; set; } = (int)MqttConnectionSettings.DefaultReconnectMaxDelay.TotalSeconds;

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string Name { get; set; }

        [Parameter]
        [ValidateRange(1, 3600)]
        public int TimeoutSeconds { get; set; } = 10;

        protected override void EndProcessing()
        {
            var settings = new MqttConnectionSettings
            {
                Broker = Broker,
                Port = MyInvocation.BoundParameters.ContainsKey(nameof(Port)) ? Port : (int?)null,
                ClientId = ClientId,
                Username = Credential?.UserName,
                Password = Credential == null ? null : PSConvert.ToPlainText(Credential.Password),
                UseTls = UseTls.IsPresent ? true : (bool?)null,
                CertificatePath = CertificatePath == null ? null : GetUnresolvedProviderPathFromPSPath(CertificatePath),
                CertificatePassword = PSConvert.ToPlainText(CertificatePassword),
                Certificate = Certificate,
                CaFile = CaCertificatePath == null ? null : GetUnresolvedProviderPathFromPSPath(CaCertificatePath),
                SkipCertificateCheck = SkipCertificateCheck,
                TlsProtocols = TlsProtocolText.Parse(TlsProtocol),
                ProtocolVersion = ProtocolVersionText.Parse(ProtocolVersion),
                CleanStart = CleanStart,
                SessionExpirySeconds = SessionExpirySeconds,
                KeepAliveSeconds = KeepAliveSeconds,
                ConnectTimeout = TimeSpan.FromSeconds(TimeoutSeconds),
                WillTopic = WillTopic,
                WillPayload = MyInvocation.BoundParameters.ContainsKey(nameof(WillPayload)) ? PayloadEncoder.ToBytes(PSConvert.PayloadValue(WillPayload), PSConvert.JsonConversion(JsonConversion.DefaultDepth, StopToken)) : null,
                WillQoS = (MqttQualityOfService)WillQoS,
                WillRetain = WillRetain,
                WillDelaySeconds = MyInvocation.BoundParameters.ContainsKey(nameof(WillDelaySeconds)) ? WillDelaySeconds : (uint?)null,
                AutoReconnect = AutoReconnect,
                MaxInflightMessages = (ushort)MaxInflightMessages,
                OfflineQueueSize = OfflineQueueSize,
                ReconnectMaxDelay = TimeSpan.FromSeconds(ReconnectMaxDelaySeconds),
                Name = Name,
            };
            var connection = Require(() => Session.Connect(settings, this), Broker, "ConnectFailed");
            WriteObject(connection);
        }
    }
}
