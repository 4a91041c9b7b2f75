using System;
using System.Collections.Generic;
using System.Net;

namespace MqttPS.Core.Shell
{
    /// <summary>Everything Start-MqttBroker takes, as plain values.</summary>
    public sealed class MqttBrokerSettings
    {
        public string Name { get; set; }
        public int Port { get; set; } = 1883;

        /// <summary>Loopback unless told otherwise: a shell-started broker with anonymous access should not be
        /// reachable from the network by accident (mosquitto 2 makes the same choice).</summary>
        public string BindAddress { get; set; } = "127.0.0.1";

        public string CertificatePath { get; set; }
        public string CertificateKeyPath { get; set; }
        public string CertificatePassword { get; set; }
        public int TlsPort { get; set; } = 8883;

        /// <summary>User name to password; empty means no authentication table.</summary>
        public IList<KeyValuePair<string, string>> Users { get; } = new List<KeyValuePair<string, string>>();

        /// <summary>Null: anonymous clients are allowed exactly when there is no users table.</summary>
        public bool? AllowAnonymous { get; set; }

        public string AclPath { get; set; }
        public string PersistencePath { get; set; }
        public int MaxConnections { get; set; }

        public IPAddress ParseBindAddress()
        {
            if (string.Equals(BindAddress, "localhost", StringComparison.OrdinalIgnoreCase)) return IPAddress.Loopback;
            if (string.Equals(BindAddress, "*", StringComparison.Ordinal)) return IPAddress.Any;
            if (IPAddress.TryParse(BindAddress, out var address)) return address;
            throw new MqttShellException("InvalidBindAddress", ShellErrorCategory.InvalidArgument,
                "-BindAddress '" + BindAddress + "' is not an IP address (e.g. 127.0.0.1, 0.0.0.0, ::).", BindAddress);
        }

        public void Validate()
        {
            if (Port < 0 || Port > 65535)
                throw new MqttShellException("InvalidPort", ShellErrorCategory.InvalidArgument, "-Port " + Port + " is not a TCP port (0 picks a free one).", Port);
            ParseBindAddress();
            if (CertificatePath != null && !System.IO.File.Exists(CertificatePath))
                throw new MqttShellException("CertificateNotFound", ShellErrorCategory.ObjectNotFound, "The certificate file '" + CertificatePath + "' does not exist.", CertificatePath);
            if (AllowAnonymous == false && Users.Count == 0)
                throw new MqttShellException("NoWayIn", ShellErrorCategory.InvalidArgument,
                    "-AllowAnonymous:$false without -Credential or -Users would refuse every client; give users or allow anonymous access.", null);
        }
    }
}
