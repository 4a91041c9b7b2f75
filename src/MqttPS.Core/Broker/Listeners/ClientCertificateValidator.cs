using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using MqttPS.Core.Transport;

namespace MqttPS.Core.Broker.Listeners
{
    /// <summary>
    /// Decides whether a client certificate is trusted: it must chain to one of the CA file's certificates (or, with
    /// no CA file, to the system trust store), be within its validity period and be meant for client authentication
    /// when it says what it is meant for. netstandard2.0 has no custom trust store, so the chain is built with the
    /// CA certificates as extra store and its root compared with them.
    /// </summary>
    internal sealed class ClientCertificateValidator
    {
        private const string ClientAuthenticationOid = "1.3.6.1.5.5.7.3.2";
        private readonly List<X509Certificate2> _authorities;
        private readonly HashSet<string> _authorityThumbprints;
        private readonly bool _required;

        public ClientCertificateValidator(MqttListenerOptions options)
        {
            _required = options.RequireClientCertificate;
            if (!string.IsNullOrEmpty(options.ClientCaFile)) _authorities = PemCertificates.LoadCertificates(options.ClientCaFile);
            if (!string.IsNullOrEmpty(options.ClientCaDirectory))
                (_authorities ?? (_authorities = new List<X509Certificate2>())).AddRange(PemCertificates.LoadCertificateDirectory(options.ClientCaDirectory));
            if (_authorities != null) _authorityThumbprints = new HashSet<string>(_authorities.Select(c => c.Thumbprint), StringComparer.OrdinalIgnoreCase);
        }

        /// <summary>Why the last refusal happened (for the log), or null.</summary>
        public string LastFailure { get; private set; }

        public bool Validate(object sender, X509Certificate certificate, X509Chain chain, SslPolicyErrors errors)
        {
            if (certificate == null)
            {
                LastFailure = _required ? "the client presented no certificate, and this listener requires one" : null;
                return !_required;
            }
            string reason;
            var ok = IsTrusted(certificate as X509Certificate2 ?? new X509Certificate2(certificate), out reason);
            LastFailure = ok ? null : reason;
            return ok;
        }

        public bool IsTrusted(X509Certificate2 certificate, out string reason)
        {
            reason = null;
            var now = DateTime.Now;
            if (now < certificate.NotBefore || now > certificate.NotAfter)
            {
                reason = "the client certificate '" + certificate.Subject + "' is not valid now (valid " + certificate.NotBefore.ToString("u") + " to " + certificate.NotAfter.ToString("u") + ")";
                return false;
            }
            foreach (var extension in certificate.Extensions)
            {
                var usage = extension as X509EnhancedKeyUsageExtension;
                if (usage == null) continue;
                var purposes = usage.EnhancedKeyUsages.Cast<System.Security.Cryptography.Oid>().Select(o => o.Value).ToList();
                if (purposes.Count > 0 && !purposes.Contains(ClientAuthenticationOid))
                {
                    reason = "the certificate '" + certificate.Subject + "' is not meant for client authentication (extended key usage)";
                    return false;
                }
            }
            using (var chain = new X509Chain())
            {
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                if (_authorities != null)
                {
                    chain.ChainPolicy.VerificationFlags = X509VerificationFlags.AllowUnknownCertificateAuthority;
                    foreach (var ca in _authorities) chain.ChainPolicy.ExtraStore.Add(ca);
                }
                var built = chain.Build(certificate);
                if (_authorities == null)
                {
                    if (!built) reason = "the client certificate '" + certificate.Subject + "' does not chain to a trusted authority: " + Describe(chain);
                    return built;
                }
                foreach (var status in chain.ChainStatus)
                {
                    if (status.Status == X509ChainStatusFlags.PartialChain)
                    {
                        reason = "the client certificate '" + certificate.Subject + "' is not issued by a CA of the listener's CA file (its issuer is '" + certificate.Issuer + "')";
                        return false;
                    }
                    if (status.Status != X509ChainStatusFlags.UntrustedRoot && status.Status != X509ChainStatusFlags.NoError)
                    {
                        reason = "the client certificate '" + certificate.Subject + "' failed validation: " + Describe(chain);
                        return false;
                    }
                }
                var root = chain.ChainElements[chain.ChainElements.Count - 1].Certificate;
                if (!_authorityThumbprints.Contains(root.Thumbprint))
                {
                    reason = "the client certificate '" + certificate.Subject + "' is not issued by a CA of the listener's CA file (its chain ends at '" + root.Subject + "')";
                    return false;
                }
                return true;
            }
        }

        private static string Describe(X509Chain chain) =>
            string.Join("; ", chain.ChainStatus.Select(s => s.Status + (string.IsNullOrWhiteSpace(s.StatusInformation) ? "" : " (" + s.StatusInformation.Trim() + ")")));
    }
}
