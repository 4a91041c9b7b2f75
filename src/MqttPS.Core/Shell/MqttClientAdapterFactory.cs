using System;
using System.Text;
using MqttPS.Core.Client;
using MqttPS.Core.Protocol;
using MqttPS.Core.Transport;

namespace MqttPS.Core.Shell
{
    /// <summary>Creates the engine's MqttClient from Connect-Mqtt's settings.</summary>
    public sealed class MqttClientAdapterFactory : IMqttShellClientFactory
    {
        public IMqttShellClient Create(MqttConnectionSettings settings)
        {
            return new MqttClientAdapter(new MqttClient(ToOptions(settings)));
        }

        public static MqttClientOptions ToOptions(MqttConnectionSettings settings)
        {
            MqttBrokerAddress address;
            try
            {
                // A certificate or CA file means TLS even for a bare host name.
                var certificateGiven = settings.CertificatePath != null || settings.Certificate != null || settings.CaFile != null || settings.SkipCertificateCheck
                    || settings.TlsProtocols != System.Security.Authentication.SslProtocols.None;
                address = MqttBrokerAddress.Parse(settings.Broker, settings.Port, settings.UseTls ?? (certificateGiven ? true : (bool?)null));
            }
            catch (Exception e) when (e is ArgumentException || e is FormatException || e is UriFormatException)
            {
                throw new MqttShellException("InvalidBroker", ShellErrorCategory.InvalidArgument, "-Broker " + ShellText.Quote(settings.Broker) + " is not a host name or MQTT URI: " + ShellText.MessageOf(e), settings.Broker, e);
            }
            var options = new MqttClientOptions
            {
                Address = address,
                ClientId = settings.ClientId,
                ProtocolVersion = settings.ProtocolVersion,
                CleanStart = settings.CleanStart,
                SessionExpiryInterval = settings.SessionExpirySeconds,
                KeepAliveSeconds = settings.KeepAliveSeconds,
                ConnectTimeout = settings.ConnectTimeout,
                Username = settings.Username,
                Password = settings.Password == null ? null : Encoding.UTF8.GetBytes(settings.Password),
                AutoReconnect = settings.AutoReconnect,
                MaxInflightMessages = settings.MaxInflightMessages,
                OfflineQueueCapacity = settings.OfflineQueueSize,
                ReconnectMaxDelay = settings.ReconnectMaxDelay,
                ReceiveMaximum = MqttConnectionSettings.ReceiveMaximum,
            };
            if (settings.WillTopic != null)
            {
                options.Will = new MqttWillMessage
                {
                    Topic = settings.WillTopic,
                    Payload = settings.WillPayload ?? new byte[0],
                    QoS = settings.WillQoS,
                    Retain = settings.WillRetain,
                };
                if (settings.WillDelaySeconds.HasValue) options.Will.Properties.WillDelayInterval = settings.WillDelaySeconds;
            }
            var wantsTls = address.UsesTls || settings.CertificatePath != null || settings.Certificate != null || settings.CaFile != null || settings.SkipCertificateCheck
                || settings.TlsProtocols != System.Security.Authentication.SslProtocols.None;
            if (wantsTls)
            {
                options.Tls = new MqttTlsOptions
                {
                    CaFile = settings.CaFile,
                    ClientCertificatePath = settings.CertificatePath,
                    ClientCertificateKeyPath = settings.CertificateKeyPath,
                    ClientCertificatePassword = settings.CertificatePassword,
                    ClientCertificate = settings.Certificate,
                    SkipCertificateValidation = settings.SkipCertificateCheck,
                    Protocols = settings.TlsProtocols,
                };
            }
            return options;
        }
    }
}
