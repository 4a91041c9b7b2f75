using System;
using System.IO;
using System.Linq;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using MqttPS.Core.Broker;
using MqttPS.Core.Broker.Configuration;
using MqttPS.Core.Broker.Persistence;
using MqttPS.Core.Broker.Security;

namespace MqttPS.Core.Shell
{
    /// <summary>
    /// Start-MqttBroker -ConfigPath: reads the mosquitto.conf file and applies the parameters given on the command line
    /// over it (parameters win). Listener parameters change the file's listeners of their kind (-Port the first plain
    /// TCP listener, -TlsPort the first TLS one, ...) or add one where the file has none; -BindAddress and the
    /// certificate parameters apply to every listener they concern; user and ACL parameters replace the file's
    /// broker-wide ones (and per-listener ones, with a warning).
    /// </summary>
    internal static class MosquittoConfigOverrides
    {
        public static MosquittoConfiguration Load(MqttBrokerSettings settings, Action<string> warn)
        {
            MosquittoConfiguration configuration;
            try
            {
                configuration = MosquittoConfiguration.Load(settings.ConfigPath, settings.WorkingDirectory);
            }
            catch (FileNotFoundException)
            {
                throw new MqttShellException("ConfigFileNotFound", ShellErrorCategory.ObjectNotFound, "The configuration file '" + settings.ConfigPath + "' does not exist.", settings.ConfigPath);
            }
            catch (MosquittoConfigException e)
            {
                throw new MqttShellException("InvalidConfigFile", ShellErrorCategory.InvalidData,
                    "The configuration file '" + settings.ConfigPath + "' cannot be used, so no broker was started:" + Environment.NewLine +
                    string.Join(Environment.NewLine, e.Errors.Select(d => "  " + d)), settings.ConfigPath, e);
            }
            foreach (var warning in configuration.Warnings) warn?.Invoke(warning.ToString());
            if (configuration.LocalOnly && !settings.Given("Port") && !settings.Given("BindAddress"))
                warn?.Invoke(configuration.Path + ": no listener is configured, so the broker listens on 127.0.0.1:1883 only, as mosquitto 2.0 does" +
                    (configuration.Options.AllowAnonymous ? " (and lets anonymous clients in)." : "."));
            return configuration;
        }

        public static void Apply(MosquittoConfiguration configuration, MqttBrokerSettings s, Action<string> warn)
        {
            var o = configuration.Options;
            ApplyListeners(o, s);
            ApplySecurity(configuration, s, warn);
            if (s.Given("PersistencePath")) o.PersistencePath = s.PersistencePath;
            if (s.Given("Durability"))
            {
                if (o.PersistencePath == null)
                    throw new MqttShellException("PersistencePathRequired", ShellErrorCategory.InvalidArgument,
                        "-Durability says how stored messages are flushed, and needs -PersistencePath or persistence in the configuration file (without it the broker stores nothing).", s.Durability);
                o.PersistenceDurability = s.Durability ?? PersistenceDurability.PerMessage;
            }
            if (s.Given("SysIntervalSeconds")) o.SysInterval = TimeSpan.FromSeconds(s.SysIntervalSeconds);
            if (s.Given("MaxConnections")) o.MaxConnections = s.MaxConnections;
            BrokerOptionsFactory.ApplyLimits(o, s);
        }

        private static void ApplyListeners(MqttBrokerOptions o, MqttBrokerSettings s)
        {
            IPAddress bind = s.Given("BindAddress") ? s.ParseBindAddress() : null;
            if (bind != null)
            {
                foreach (var l in o.Listeners)
                {
                    l.BindAddress = bind;
                    l.IPv6Only = false;
                }
            }
            var defaultBind = bind ?? o.Listeners.FirstOrDefault()?.BindAddress ?? IPAddress.Loopback;
            if (s.Given("Port")) Listener(o, MqttListenerKind.Tcp, defaultBind).Port = s.Port;

            X509Certificate2 certificate = null;
            if (s.Given("CertificatePath") || s.Given("Certificate"))
            {
                certificate = BrokerOptionsFactory.LoadServerCertificate(s);
                foreach (var l in o.Listeners.Where(l => l.IsSecure))
                {
                    l.Certificate = certificate;
                    l.CertificatePath = l.CertificateKeyPath = l.CertificatePassword = null;
                }
                if (!o.Listeners.Any(l => l.IsSecure)) Listener(o, MqttListenerKind.Tls, defaultBind).Port = s.TlsPort ?? MqttBrokerSettings.DefaultTlsPort;
            }
            if (s.Given("TlsPort")) Listener(o, MqttListenerKind.Tls, defaultBind).Port = s.TlsPort ?? MqttBrokerSettings.DefaultTlsPort;
            if (s.Given("WebSocketPort")) Listener(o, MqttListenerKind.WebSocket, defaultBind).Port = s.WebSocketPort ?? 0;
            if (s.Given("SecureWebSocketPort")) Listener(o, MqttListenerKind.SecureWebSocket, defaultBind).Port = s.SecureWebSocketPort ?? 0;

            foreach (var l in o.Listeners.Where(l => l.IsSecure))
            {
                if (l.Certificate == null && l.CertificatePath == null)
                {
                    // A TLS listener the parameters asked for, on a file that has no certificate to give it.
                    l.Certificate = certificate ?? o.Listeners.FirstOrDefault(x => x.Certificate != null)?.Certificate
                        ?? throw new MqttShellException("CertificateRequired", ShellErrorCategory.InvalidArgument,
                            "The " + (l.Kind == MqttListenerKind.Tls ? "TLS" : "secure WebSocket") + " listener needs a server certificate, and neither the configuration file nor the parameters give one: add -CertificatePath or -Certificate.", null);
                }
                if (s.Given("RequireClientCertificate")) l.RequireClientCertificate = s.RequireClientCertificate;
                if (s.Given("ClientCaPath"))
                {
                    BrokerOptionsFactory.CheckClientCa(s.ClientCaPath, l.Certificate);
                    l.ClientCaFile = s.ClientCaPath;
                }
                if (s.Given("UseCertificateIdentityAsUsername")) l.UseIdentityAsUsername = s.UseCertificateIdentityAsUsername;
                if (s.Given("TlsProtocol")) l.TlsProtocols = s.TlsProtocols;
            }
            foreach (var p in new[] { "RequireClientCertificate", "ClientCaPath", "UseCertificateIdentityAsUsername", "TlsProtocol", "CertificateKeyPath" })
            {
                if (s.Given(p) && !o.Listeners.Any(l => l.IsSecure))
                    throw new MqttShellException("CertificateRequired", ShellErrorCategory.InvalidArgument,
                        "-" + p + " configures TLS listeners, and neither the configuration file nor the parameters define one: add -CertificatePath or -Certificate.", p);
            }
        }

        /// <summary>The first listener of that kind, or a new one (bound like the others) when the file has none.</summary>
        private static MqttListenerOptions Listener(MqttBrokerOptions o, MqttListenerKind kind, IPAddress bind)
        {
            var existing = o.Listeners.FirstOrDefault(l => l.Kind == kind);
            if (existing != null) return existing;
            var added = new MqttListenerOptions { Kind = kind, BindAddress = bind };
            if (kind == MqttListenerKind.Tcp) o.Listeners.Insert(0, added);
            else o.Listeners.Add(added);
            return added;
        }

        private static void ApplySecurity(MosquittoConfiguration configuration, MqttBrokerSettings s, Action<string> warn)
        {
            var o = configuration.Options;
            var usersGiven = s.Given("Credential") || s.Given("Users") || s.Given("PasswordFile");
            if (usersGiven || s.Given("AllowAnonymous"))
            {
                if (configuration.PerListenerSettings)
                {
                    warn?.Invoke("Start-MqttBroker: the user parameters replace the users and the anonymous rule of every listener of '" + configuration.Path + "' (it has per_listener_settings true).");
                    foreach (var l in o.Listeners) l.Authenticator = null;
                }
                var passwordFile = s.Given("PasswordFile") ? s.PasswordFilePath : configuration.PasswordFile;
                var allowAnonymous = s.AllowAnonymous ?? (usersGiven ? false : o.AllowAnonymous);
                o.AllowAnonymous = allowAnonymous;
                var users = BrokerOptionsFactory.LoadUsers(passwordFile, s);
                o.Authenticator = users.Count > 0 || passwordFile != null
                    ? new MqttPasswordFileAuthenticator(users, allowAnonymous)
                    : (IMqttBrokerAuthenticator)new AllowAllAuthenticator(allowAnonymous);
            }
            if (s.Given("AclPath"))
            {
                if (configuration.PerListenerSettings)
                {
                    warn?.Invoke("Start-MqttBroker: -AclPath replaces the ACL of every listener of '" + configuration.Path + "' (it has per_listener_settings true).");
                    foreach (var l in o.Listeners) l.Authorizer = null;
                }
                o.Authorizer = new MqttAclAuthorizer(BrokerOptionsFactory.LoadAcl(s.AclPath));
            }
        }
    }
}
