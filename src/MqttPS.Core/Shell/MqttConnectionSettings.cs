using System;
using System.Security.Cryptography.X509Certificates;
using MqttPS.Core.Protocol;

namespace MqttPS.Core.Shell
{
    /// <summary>Everything Connect-Mqtt takes, as plain values. <see cref="Validate"/> names the bad one.</summary>
    public sealed class MqttConnectionSettings
    {
        public string Broker { get; set; } = "localhost";
        public int? Port { get; set; }
        public string ClientId { get; set; }
        public string Username { get; set; }
        public string Password { get; set; }
        public bool? UseTls { get; set; }
        public string CertificatePath { get; set; }
        public string CertificateKeyPath { get; set; }
        public string CertificatePassword { get; set; }
        public X509Certificate2 Certificate { get; set; }
        public string CaFile { get; set; }
        public bool SkipCertificateCheck { get; set; }

        /// <summary>TLS versions to offer; None: the system default (TLS 1.2 and 1.3 where .NET Framework refuses that).</summary>
        public System.Security.Authentication.SslProtocols TlsProtocols { get; set; }
        public MqttProtocolVersion ProtocolVersion { get; set; } = MqttProtocolVersion.V500;
        public bool CleanStart { get; set; } = true;
        public uint SessionExpirySeconds { get; set; }
        public ushort KeepAliveSeconds { get; set; } = 60;
        public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);
        public string WillTopic { get; set; }
        public byte[] WillPayload { get; set; }
        public MqttQualityOfService WillQoS { get; set; }
        public bool WillRetain { get; set; }
        public uint? WillDelaySeconds { get; set; }
        public bool AutoReconnect { get; set; }

        /// <summary>QoS 1/2 publishes kept unacknowledged at once; 0: the broker's Receive Maximum at 5.0, 20 at
        /// 3.1.1/3.1 (see MqttClientOptions.MaxInflightMessages).</summary>
        public ushort MaxInflightMessages { get; set; }
        /// <summary>Publishes kept while reconnecting (-AutoReconnect), sent in order once the connection is back.</summary>
        public int OfflineQueueSize { get; set; } = DefaultOfflineQueueSize;

        /// <summary>Longest wait between reconnect attempts; the back-off starts at 1 s and doubles up to it.</summary>
        public TimeSpan ReconnectMaxDelay { get; set; } = DefaultReconnectMaxDelay;

        public const int DefaultOfflineQueueSize = 1000;
        public static readonly TimeSpan DefaultReconnectMaxDelay = TimeSpan.FromSeconds(10);

        /// <summary>Receive Maximum this client announces (MQTT 5.0): how many QoS 1/2 messages the broker may have
        /// unacknowledged towards it. A pipeline that falls behind holds at most this many beyond its queue; the broker
        /// keeps the rest.</summary>
        public const ushort ReceiveMaximum = 1000;

        /// <summary>The connection's name in the session; null picks one.</summary>
        public string Name { get; set; }

        public void Validate()
        {
            if (string.IsNullOrWhiteSpace(Broker))
                throw new MqttShellException("InvalidBroker", ShellErrorCategory.InvalidArgument, "The -Broker value is empty; give a host name or a URI such as mqtt://host:1883.", Broker);
            if (Port.HasValue && (Port.Value < 1 || Port.Value > 65535))
                throw new MqttShellException("InvalidPort", ShellErrorCategory.InvalidArgument, "The -Port value " + Port.Value + " is not a TCP port (1-65535).", Port.Value);
            if (ProtocolVersion != MqttProtocolVersion.V310 && ProtocolVersion != MqttProtocolVersion.V311 && ProtocolVersion != MqttProtocolVersion.V500)
                throw new MqttShellException("InvalidProtocolVersion", ShellErrorCategory.InvalidArgument, "Protocol version " + ProtocolVersion + " is not supported; use 3.1, 3.1.1 or 5.0.", ProtocolVersion);
            if (ClientId != null && ClientId.Length == 0 && !CleanStart)
                throw new MqttShellException("InvalidClientId", ShellErrorCategory.InvalidArgument,
                    "An empty client id requires a clean start [MQTT-3.1.3-7]: the broker cannot resume a session for a client it named itself.", ClientId);
            if (SessionExpirySeconds > 0 && ProtocolVersion != MqttProtocolVersion.V500)
                throw new MqttShellException("SessionExpiryNeedsMqtt5", ShellErrorCategory.InvalidArgument,
                    "-SessionExpirySeconds is an MQTT 5.0 property; with -ProtocolVersion 3.1.1 use -CleanStart:$false to keep the session.", SessionExpirySeconds);
            if (WillTopic != null)
            {
                TopicValidation.RequireTopicName(WillTopic, "WillTopic");
            }
            else if (WillPayload != null || WillRetain || WillQoS != MqttQualityOfService.AtMostOnce || WillDelaySeconds.HasValue)
            {
                throw new MqttShellException("WillTopicMissing", ShellErrorCategory.InvalidArgument, "-WillPayload, -WillQoS, -WillRetain and -WillDelaySeconds need -WillTopic.", null);
            }
            if (Certificate != null && CertificatePath != null)
                throw new MqttShellException("ConflictingCertificates", ShellErrorCategory.InvalidArgument, "Give either -Certificate or -CertificatePath, not both.", CertificatePath);
            if (CertificatePath != null && !System.IO.File.Exists(CertificatePath))
                throw new MqttShellException("CertificateNotFound", ShellErrorCategory.ObjectNotFound, "The client certificate file '" + CertificatePath + "' does not exist.", CertificatePath);
            if (CaFile != null && !System.IO.File.Exists(CaFile))
                throw new MqttShellException("CaFileNotFound", ShellErrorCategory.ObjectNotFound, "The CA certificate file '" + CaFile + "' does not exist.", CaFile);
            if (OfflineQueueSize < 0)
                throw new MqttShellException("InvalidOfflineQueueSize", ShellErrorCategory.InvalidArgument, "-OfflineQueueSize " + OfflineQueueSize + " is negative; 0 keeps no publishes while reconnecting.", OfflineQueueSize);
            if (ReconnectMaxDelay < TimeSpan.FromSeconds(1))
                throw new MqttShellException("InvalidReconnectDelay", ShellErrorCategory.InvalidArgument, "-ReconnectMaxDelaySeconds must be at least 1.", ReconnectMaxDelay);
            if (Password != null && Username == null && ProtocolVersion != MqttProtocolVersion.V500)
                throw new MqttShellException("PasswordWithoutUser", ShellErrorCategory.InvalidArgument,
                    "MQTT 3.1.1 does not allow a password without a user name [MQTT-3.1.2-22].", null);
        }
    }
}
