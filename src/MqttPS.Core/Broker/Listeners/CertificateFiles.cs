using System;
using System.Collections.Generic;
using System.IO;
using System.Reflection;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace MqttPS.Core.Broker.Listeners
{
    /// <summary>
    /// Loads a server certificate with its key from PFX or PEM, and CA bundles from PEM or DER. netstandard2.0 has
    /// no PEM key import, so PEM goes through X509Certificate2.CreateFromPemFile (found by reflection: .NET 5+, i.e.
    /// PowerShell 7); on .NET Framework a PEM server certificate fails with a message asking for PFX.
    /// </summary>
    internal static class CertificateFiles
    {
        private const string Begin = "-----BEGIN CERTIFICATE-----";
        private const string End = "-----END CERTIFICATE-----";

        public static X509Certificate2 LoadServerCertificate(MqttTlsServerOptions options)
        {
            if (options.Certificate != null)
            {
                if (!options.Certificate.HasPrivateKey) throw new ArgumentException("the server certificate '" + options.Certificate.Subject + "' has no private key");
                return options.Certificate;
            }
            var path = options.CertificatePath;
            if (string.IsNullOrEmpty(path)) throw new ArgumentException("a TLS listener needs a server certificate (CertificatePath or Certificate)");
            if (!File.Exists(path)) throw new FileNotFoundException("the server certificate file '" + path + "' does not exist", path);
            var text = ReadText(path);
            if (text.IndexOf("-----BEGIN", StringComparison.Ordinal) < 0)
            {
                var pfx = new X509Certificate2(path, options.CertificatePassword, X509KeyStorageFlags.Exportable);
                if (!pfx.HasPrivateKey) throw new ArgumentException("the certificate file '" + path + "' holds no private key");
                return pfx;
            }
            var keyPath = string.IsNullOrEmpty(options.CertificateKeyPath) ? null : options.CertificateKeyPath;
            if (keyPath != null && !File.Exists(keyPath)) throw new FileNotFoundException("the server key file '" + keyPath + "' does not exist", keyPath);
            if (ReadText(keyPath ?? path).IndexOf("ENCRYPTED", StringComparison.Ordinal) >= 0)
                throw new NotSupportedException("the private key '" + (keyPath ?? path) + "' is encrypted; use a PFX file with a password instead " +
                                                "(openssl pkcs12 -export -in server.crt -inkey server.key -out server.pfx)");
            var create = typeof(X509Certificate2).GetMethod("CreateFromPemFile", BindingFlags.Public | BindingFlags.Static, null, new[] { typeof(string), typeof(string) }, null);
            if (create == null)
                throw new PlatformNotSupportedException("PEM server certificates need .NET 5 or later (PowerShell 7); on this runtime convert to PFX: " +
                                                        "openssl pkcs12 -export -in server.crt -inkey server.key -out server.pfx");
            X509Certificate2 pem;
            try { pem = (X509Certificate2)create.Invoke(null, new object[] { path, keyPath }); }
            catch (TargetInvocationException e) when (e.InnerException != null)
            {
                throw new ArgumentException("could not load the PEM certificate '" + path + "'" + (keyPath == null ? "" : " with key '" + keyPath + "'") + ": " + e.InnerException.Message, e.InnerException);
            }
            // PEM keys are ephemeral; Windows SChannel cannot serve TLS with those, so round-trip through PKCS#12.
            using (pem) return new X509Certificate2(pem.Export(X509ContentType.Pkcs12), (string)null, X509KeyStorageFlags.Exportable);
        }

        /// <summary>Every certificate of a PEM bundle, or the one certificate of a DER file.</summary>
        public static List<X509Certificate2> LoadCertificates(string path)
        {
            if (!File.Exists(path)) throw new FileNotFoundException("the CA file '" + path + "' does not exist", path);
            var bytes = File.ReadAllBytes(path);
            var text = Encoding.ASCII.GetString(bytes);
            var result = new List<X509Certificate2>();
            var index = 0;
            while (true)
            {
                var begin = text.IndexOf(Begin, index, StringComparison.Ordinal);
                if (begin < 0) break;
                var end = text.IndexOf(End, begin, StringComparison.Ordinal);
                if (end < 0) throw new InvalidDataException("the CA file '" + path + "' has a BEGIN CERTIFICATE line without END CERTIFICATE");
                var base64 = text.Substring(begin + Begin.Length, end - begin - Begin.Length).Replace("\r", "").Replace("\n", "").Replace(" ", "");
                try { result.Add(new X509Certificate2(Convert.FromBase64String(base64))); }
                catch (FormatException e) { throw new InvalidDataException("the CA file '" + path + "' holds a PEM block that is not valid base64", e); }
                index = end + End.Length;
            }
            if (result.Count == 0)
            {
                if (text.IndexOf("-----BEGIN", StringComparison.Ordinal) >= 0) throw new InvalidDataException("the CA file '" + path + "' holds no CERTIFICATE block");
                result.Add(new X509Certificate2(bytes));
            }
            return result;
        }

        private static string ReadText(string path)
        {
            var bytes = File.ReadAllBytes(path);
            return Encoding.ASCII.GetString(bytes, 0, Math.Min(bytes.Length, 1 << 16));
        }
    }
}
