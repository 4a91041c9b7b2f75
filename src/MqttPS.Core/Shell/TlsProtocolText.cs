using System;
using System.Collections.Generic;
using System.Security.Authentication;
using MqttPS.Core.Transport;

namespace MqttPS.Core.Shell
{
    /// <summary>
    /// The TLS versions as -TlsProtocol takes them ("Tls12", "Tls13"). Names rather than the SslProtocols enum:
    /// .NET Framework 4.7.2 (Windows PowerShell 5.1) has no SslProtocols.Tls13, so binding the enum would refuse
    /// 'Tls13' there before the system could be asked.
    /// </summary>
    public static class TlsProtocolText
    {
        public static readonly string[] Names = { "Tls12", "Tls13" };

        /// <summary>The protocols named; None (the system default) for null or no names.</summary>
        public static SslProtocols Parse(IEnumerable<string> names)
        {
            var protocols = SslProtocols.None;
            if (names == null) return protocols;
            foreach (var name in names)
            {
                if (string.Equals(name, "Tls12", StringComparison.OrdinalIgnoreCase)) protocols |= TlsProtocolSelection.Tls12;
                else if (string.Equals(name, "Tls13", StringComparison.OrdinalIgnoreCase)) protocols |= TlsProtocolSelection.Tls13;
                else throw new MqttShellException("InvalidTlsProtocol", ShellErrorCategory.InvalidArgument,
                    "'" + name + "' is not a TLS version -TlsProtocol takes: use " + string.Join(" or ", Names) + ".", name);
            }
            return protocols;
        }
    }
}
