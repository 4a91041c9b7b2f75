using System;
using System.Collections.Generic;
using System.IO;
using System.Security.Cryptography.X509Certificates;
using MqttPS.Core.Broker;
using MqttPS.Core.Broker.Listeners;
using MqttPS.Core.Broker.Persistence;
using MqttPS.Core.Broker.Security;

namespace MqttPS.Core.Shell
{
    /// <summary>
    /// Turns Start-MqttBroker's settings into the engine's <see cref="MqttBrokerOptions"/>. Everything the operator
    /// names by file (certificate, client CA, password file, ACL file, persistence directory) is loaded or checked
    /// here, before anything listens, so a mistake becomes one error that names the file (and, for the password and
    /// ACL files, the line).
    /// </summary>
    public static class BrokerOptionsFactory
    {
        public static MqttBrokerOptions Create(string name, MqttBrokerSettings settings) => Create(name, settings, null, out _);

        /// <summary>The options for <paramref name="settings"/>; with a configuration file, its warnings go to
        /// <paramref name="warn"/> and the broker events its log settings ask for come back in
        /// <paramref name="configuredEventKinds"/> (null otherwise).</summary>
        public static MqttBrokerOptions Create(string name, MqttBrokerSettings settings, Action<string> warn, out IReadOnlyList<MqttBrokerEventKind> configuredEventKinds)
        {
            settings.Validate();
            configuredEventKinds = null;
            if (settings.ConfigPath != null)
            {
                var configuration = MosquittoConfigOverrides.Load(settings, warn);
                configuredEventKinds = configuration.EventKinds;
                var configured = configuration.Options;
                configured.Name = name;
                MosquittoConfigOverrides.Apply(configuration, settings, warn);
                AddBridges(configured, settings);
                if (configured.PersistencePath != null) PreparePersistenceDirectory(configured.PersistencePath);
                return configured;
            }
            var bind = settings.ParseBindAddress();
            var options = new MqttBrokerOptions
            {
                Name = name,
                BindAddress = bind,
                Port = settings.Port,
                MaxConnections = settings.MaxConnections,
                MaximumPacketSize = settings.MaxPacketSize ?? 0,
                MaximumConnectPacketSize = settings.MaxConnectPacketSize ?? MqttBrokerOptions.DefaultMaximumConnectPacketSize,
                SysInterval = TimeSpan.FromSeconds(settings.SysIntervalSeconds),
                AllowAnonymous = settings.AllowAnonymous ?? !(settings.HasUsers || settings.UseCertificateIdentityAsUsername),
            };
            ApplyLimits(options, settings);
            // With identities from certificates and no users, the table is empty but still needed: otherwise a client on
            // a listener without certificates could claim any user name and get that user's ACL rules.
            if (settings.HasUsers || settings.UseCertificateIdentityAsUsername)
                options.Authenticator = new MqttPasswordFileAuthenticator(LoadUsers(settings), options.AllowAnonymous);
            if (settings.AclPath != null) options.Authorizer = new MqttAclAuthorizer(LoadAcl(settings.AclPath));
            if (settings.PersistencePath != null)
            {
                PreparePersistenceDirectory(settings.PersistencePath);
                options.PersistencePath = settings.PersistencePath;
                options.PersistenceDurability = settings.Durability ?? PersistenceDurability.PerMessage;
            }
            options.Listeners.Add(new MqttListenerOptions { Kind = MqttListenerKind.Tcp, BindAddress = bind, Port = settings.Port });
            X509Certificate2 certificate = null;
            if (settings.HasCertificate)
            {
                certificate = LoadServerCertificate(settings);
                if (settings.ClientCaPath != null) CheckClientCa(settings.ClientCaPath, certificate);
                options.Listeners.Add(SecureListener(MqttListenerKind.Tls, bind, settings.TlsPort ?? MqttBrokerSettings.DefaultTlsPort, certificate, settings));
            }
            if (settings.WebSocketPort.HasValue)
                options.Listeners.Add(new MqttListenerOptions { Kind = MqttListenerKind.WebSocket, BindAddress = bind, Port = settings.WebSocketPort.Value });
            if (settings.SecureWebSocketPort.HasValue)
                options.Listeners.Add(SecureListener(MqttListenerKind.SecureWebSocket, bind, settings.SecureWebSocketPort.Value, certificate, settings));
            AddBridges(options, settings);
            return options;
        }

        /// <summary>The -Bridge bridges, after the file's; a name used twice is an error naming it.</summary>
        private static void AddBridges(MqttBrokerOptions options, MqttBrokerSettings settings)
        {
            foreach (var bridge in settings.Bridges)
            {
                BridgeDefinition.Validate(bridge);
                if (options.Bridges.Exists(b => b.Name == bridge.Name))
                    throw new MqttShellException("InvalidBridge", ShellErrorCategory.InvalidArgument,
                        "-Bridge: a bridge named '" + bridge.Name + "' is defined twice" + (settings.ConfigPath != null ? " (in the configuration file and -Bridge, or twice in -Bridge)" : "") + ".", bridge.Name);
                options.Bridges.Add(bridge);
            }
        }

        /// <summary>The limit parameters that were given (null ones keep what <paramref name="options"/> has).</summary>
        internal static void ApplyLimits(MqttBrokerOptions options, MqttBrokerSettings settings)
        {
            if (settings.MaxKeepAlive.HasValue) options.MaximumKeepAlive = (ushort)settings.MaxKeepAlive.Value;
            if (settings.MaxInflightMessages.HasValue)
            {
                // mosquitto's max_inflight_messages: both directions, announced to 5.0 clients as Receive Maximum.
                options.ReceiveMaximum = (ushort)settings.MaxInflightMessages.Value;
                options.MaxInflightMessages = (ushort)settings.MaxInflightMessages.Value;
            }
            if (settings.MaxTopicAlias.HasValue) options.TopicAliasMaximum = (ushort)settings.MaxTopicAlias.Value;
            if (settings.RetainAvailable.HasValue) options.RetainAvailable = settings.RetainAvailable.Value;
            if (settings.AllowZeroLengthClientId.HasValue) options.AllowZeroLengthClientId = settings.AllowZeroLengthClientId.Value;
            if (settings.MaxQueuedMessages.HasValue) options.MaxQueuedMessagesPerSession = settings.MaxQueuedMessages.Value;
        }

        internal static MqttListenerOptions SecureListener(MqttListenerKind kind, System.Net.IPAddress bind, int port, X509Certificate2 certificate, MqttBrokerSettings settings) =>
            new MqttListenerOptions
            {
                Kind = kind,
                BindAddress = bind,
                Port = port,
                // Loaded once here; both secure listeners serve the same object.
                Certificate = certificate,
                RequireClientCertificate = settings.RequireClientCertificate,
                ClientCaFile = settings.ClientCaPath,
                UseIdentityAsUsername = settings.UseCertificateIdentityAsUsername,
                TlsProtocols = settings.TlsProtocols,
            };

        /// <summary>The password file's users, with -Credential/-Users entries added (in memory; the file is not changed).</summary>
        public static PasswordFile LoadUsers(MqttBrokerSettings settings) => LoadUsers(settings.PasswordFilePath, settings);

        /// <summary>The users of <paramref name="passwordFile"/> (none when null) with the settings' -Credential/-Users added.</summary>
        internal static PasswordFile LoadUsers(string passwordFile, MqttBrokerSettings settings)
        {
            var passwords = passwordFile == null ? new PasswordFile()
                : LoadFile(passwordFile, "password file", "PasswordFile", p => PasswordFile.Load(p));
            foreach (var user in settings.Users)
            {
                try
                {
                    passwords.SetPassword(user.Key, user.Value ?? string.Empty);
                }
                catch (ArgumentException e)
                {
                    throw new MqttShellException("InvalidUser", ShellErrorCategory.InvalidArgument,
                        "The user name '" + user.Key + "' cannot be used: " + e.Message.Split(new[] { Environment.NewLine, " (Parameter" }, StringSplitOptions.None)[0] + ".", user.Key, e);
                }
            }
            return passwords;
        }

        public static AclFile LoadAcl(string path) => LoadFile(path, "ACL file", "AclFile", p => AclFile.Load(p));

        private static T LoadFile<T>(string path, string what, string idPart, Func<string, T> load)
        {
            if (!File.Exists(path))
                throw new MqttShellException(idPart + "NotFound", ShellErrorCategory.ObjectNotFound, "The " + what + " '" + path + "' does not exist.", path);
            try
            {
                return load(path);
            }
            catch (FormatException e)
            {
                // The parsers say "<path> line N: problem".
                throw new MqttShellException("Invalid" + idPart, ShellErrorCategory.InvalidData, "The " + what + " is not valid: " + e.Message, path, e);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                throw new MqttShellException(idPart + "Unreadable", ShellErrorCategory.OpenError, "Could not read the " + what + " '" + path + "': " + e.Message, path, e);
            }
        }

        internal static X509Certificate2 LoadServerCertificate(MqttBrokerSettings settings)
        {
            var source = settings.CertificatePath ?? settings.Certificate.Subject;
            try
            {
                return new MqttTlsHandshaker(new MqttListenerOptions
                {
                    Certificate = settings.Certificate,
                    CertificatePath = settings.CertificatePath,
                    CertificateKeyPath = settings.CertificateKeyPath,
                    CertificatePassword = settings.CertificatePassword,
                }).ServerCertificate;
            }
            catch (FileNotFoundException e)
            {
                throw new MqttShellException("CertificateNotFound", ShellErrorCategory.ObjectNotFound, "Could not load the server certificate: " + e.Message + ".", e.FileName ?? source, e);
            }
            catch (Exception e) when (!(e is MqttShellException))
            {
                throw new MqttShellException("InvalidCertificate", ShellErrorCategory.InvalidData,
                    "Could not load the server certificate '" + source + "': " + e.Message.TrimEnd('.') + ".", source, e);
            }
        }

        internal static void CheckClientCa(string path, X509Certificate2 serverCertificate)
        {
            if (!File.Exists(path))
                throw new MqttShellException("ClientCaNotFound", ShellErrorCategory.ObjectNotFound, "The client CA file '" + path + "' does not exist.", path);
            try
            {
                // The handshaker reads the CA bundle the way the listener will.
                new MqttTlsHandshaker(new MqttListenerOptions { Certificate = serverCertificate, ClientCaFile = path });
            }
            catch (Exception e)
            {
                throw new MqttShellException("InvalidClientCa", ShellErrorCategory.InvalidData, "Could not read the client CA file '" + path + "': " + e.Message.TrimEnd('.') + ".", path, e);
            }
        }

        internal static void PreparePersistenceDirectory(string path)
        {
            if (File.Exists(path))
                throw new MqttShellException("InvalidPersistencePath", ShellErrorCategory.InvalidArgument,
                    "-PersistencePath '" + path + "' is a file; it must be a directory (it is created when missing).", path);
            try
            {
                Directory.CreateDirectory(path);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException || e is NotSupportedException || e is ArgumentException)
            {
                throw new MqttShellException("InvalidPersistencePath", ShellErrorCategory.OpenError, "Could not create the persistence directory '" + path + "': " + e.Message, path, e);
            }
        }
    }
}
