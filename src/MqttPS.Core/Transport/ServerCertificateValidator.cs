using System;
using System.Collections.Generic;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace MqttPS.Core.Transport
{
    /// <summary>
    /// Decides whether a broker's TLS certificate is acceptable. With a CA file the chain is built with the given
    /// CA certificates as extra trust anchors (netstandard2.0 has no X509ChainTrustMode.CustomRootTrust): the chain
    /// must contain one of them, and no other chain error may remain. The reason for a refusal is kept so that the
    /// connect error can say what was wrong instead of SslStream's generic message.
    /// </summary>
    internal sealed class ServerCertificateValidator
    {
        private readonly MqttTlsOptions _options;
        private readonly List<X509Certificate2> _trustAnchors;

        public ServerCertificateValidator(MqttTlsOptions options)
        {
            _options = options ?? new MqttTlsOptions();
            if (!string.IsNullOrEmpty(_options.CaFile)) _trustAnchors = PemCertificates.LoadCertificates(_options.CaFile);
            if (!string.IsNullOrEmpty(_options.CaDirectory))
                (_trustAnchors ?? (_trustAnchors = new List<X509Certificate2>())).AddRange(PemCertificates.LoadCertificateDirectory(_options.CaDirectory));
        }

        /// <summary>Why the last certificate was refused, or null.</summary>
        public string FailureReason { get; private set; }

        /// <summary>The kind of <see cref="FailureReason"/>.</summary>
        public MqttTlsFailure Failure { get; private set; }

        /// <summary>The subject of the certificate the server presented; null until it presented one.</summary>
        public string ServerCertificateSubject { get; private set; }

        /// <summary>Whether the server got as far as presenting a certificate (or none) for validation.</summary>
        public bool Called { get; private set; }

        private bool Refuse(MqttTlsFailure failure, string reason)
        {
            Failure = failure;
            FailureReason = reason;
            return false;
        }

        public bool Validate(object sender, X509Certificate certificate, X509Chain chain, SslPolicyErrors errors)
        {
            Called = true;
            ServerCertificateSubject = certificate?.Subject;
            if (_options.SkipCertificateValidation) return true;
            if (certificate == null) return Refuse(MqttTlsFailure.NoServerCertificate, "the server presented no certificate");
            if (_options.IgnoreHostNameMismatch) errors &= ~SslPolicyErrors.RemoteCertificateNameMismatch;
            if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
                return Refuse(MqttTlsFailure.NameMismatch, "the server certificate '" + certificate.Subject + "' does not match the host name (set the TLS server name to the name in the certificate)");
            if (_trustAnchors == null)
            {
                if (errors == SslPolicyErrors.None) return true;
                return Refuse(MqttTlsFailure.Untrusted, "the server certificate '" + certificate.Subject + "' is not trusted by the system store (" + Describe(chain) +
                    "); pass the CA certificate file, or skip validation for a test broker");
            }
            return ValidateAgainstAnchors(new X509Certificate2(certificate), chain);
        }

        private bool ValidateAgainstAnchors(X509Certificate2 certificate, X509Chain presented)
        {
            using (var chain = new X509Chain())
            {
                chain.ChainPolicy.RevocationMode = _options.CheckCertificateRevocation ? X509RevocationMode.Online : X509RevocationMode.NoCheck;
                chain.ChainPolicy.VerificationFlags = X509VerificationFlags.AllowUnknownCertificateAuthority;
                foreach (var anchor in _trustAnchors) chain.ChainPolicy.ExtraStore.Add(anchor);
                if (presented != null)
                {
                    // Intermediates the server sent along.
                    foreach (var element in presented.ChainElements) chain.ChainPolicy.ExtraStore.Add(element.Certificate);
                }
                chain.Build(certificate);

                var anchored = false;
                for (var i = 0; i < chain.ChainElements.Count && !anchored; i++)
                {
                    var thumbprint = chain.ChainElements[i].Certificate.Thumbprint;
                    foreach (var anchor in _trustAnchors)
                    {
                        if (string.Equals(anchor.Thumbprint, thumbprint, StringComparison.OrdinalIgnoreCase)) { anchored = true; break; }
                    }
                }
                if (!anchored)
                    return Refuse(MqttTlsFailure.NotIssuedByCa, "the server certificate '" + certificate.Subject + "' (issued by '" + certificate.Issuer + "') does not chain to the CA in '" + _options.CaFile + "'");
                foreach (var status in chain.ChainStatus)
                {
                    switch (status.Status)
                    {
                        case X509ChainStatusFlags.NoError:
                        case X509ChainStatusFlags.UntrustedRoot:          // the given CA is the anchor, not the system store
                        case X509ChainStatusFlags.PartialChain:           // the given CA may be an intermediate
                        case X509ChainStatusFlags.RevocationStatusUnknown:
                        case X509ChainStatusFlags.OfflineRevocation:
                            continue;
                        default:
                            return Refuse(MqttTlsFailure.Invalid, "the server certificate '" + certificate.Subject + "' failed validation: " + status.Status + " (" + status.StatusInformation.Trim() + ")");
                    }
                }
                return true;
            }
        }

        private static string Describe(X509Chain chain)
        {
            if (chain == null || chain.ChainStatus.Length == 0) return "chain error";
            var parts = new List<string>();
            foreach (var s in chain.ChainStatus) parts.Add(s.Status.ToString());
            return string.Join(", ", parts);
        }
    }
}
