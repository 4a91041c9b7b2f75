using System;
using System.Collections.Generic;
using System.IO;
using System.Reflection;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace MqttPS.Core.Transport
{
    /// <summary>
    /// Loads certificates from PEM or DER files and client certificates from PFX or PEM. netstandard2.0 has no
    /// PEM support, so certificates are decoded here; a PEM private key is attached through
    /// X509Certificate2.CreateFromPemFile, found by reflection because it exists only from .NET 5 on. On
    /// .NET Framework (Windows PowerShell 5.1) a PEM client certificate therefore fails with a message asking for PFX.
    /// </summary>
    internal static class PemCertificates
    {
        private const string BeginCertificate = "-----BEGIN CERTIFICATE-----";
        private const string EndCertificate = "-----END CERTIFICATE-----";

        /// <summary>All certificates of a PEM bundle, or the single certificate of a DER file.</summary>
        public static List<X509Certificate2> LoadCertificates(string path)
        {
            if (!File.Exists(path)) throw new FileNotFoundException("The certificate file '" + path + "' does not exist.", path);
            var bytes = File.ReadAllBytes(path);
            var text = Encoding.ASCII.GetString(bytes);
            var result = new List<X509Certificate2>();
            var index = 0;
            while (true)
            {
                var begin = text.IndexOf(BeginCertificate, index, StringComparison.Ordinal);
                if (begin < 0) break;
                var end = text.IndexOf(EndCertificate, begin, StringComparison.Ordinal);
                if (end < 0) throw new InvalidDataException("The certificate file '" + path + "' has a BEGIN CERTIFICATE line without END CERTIFICATE.");
                var base64 = text.Substring(begin + BeginCertificate.Length, end - begin - BeginCertificate.Length);
                byte[] der;
                try { der = Convert.FromBase64String(base64.Replace("\r", "").Replace("\n", "").Replace(" ", "")); }
                catch (FormatException e) { throw new InvalidDataException("The certificate file '" + path + "' holds a PEM block that is not valid base64.", e); }
                result.Add(new X509Certificate2(der));
                index = end + EndCertificate.Length;
            }
            if (result.Count == 0)
            {
                if (text.IndexOf("-----BEGIN", StringComparison.Ordinal) >= 0)
                    throw new InvalidDataException("The file '" + path + "' holds no PEM CERTIFICATE block.");
                result.Add(new X509Certificate2(bytes)); // DER
            }
            return result;
        }

        /// <summary>The client certificate the options describe, with its private key, or null when none is configured.</summary>
        public static X509Certificate2 LoadClientCertificate(MqttTlsOptions options)
        {
            if (options.ClientCertificate != null)
            {
                if (!options.ClientCertificate.HasPrivateKey) throw new ArgumentException("The client certificate '" + options.ClientCertificate.Subject + "' has no private key.");
                return options.ClientCertificate;
            }
            var path = options.ClientCertificatePath;
            if (string.IsNullOrEmpty(path)) return null;
            if (!File.Exists(path)) throw new FileNotFoundException("The client certificate file '" + path + "' does not exist.", path);

            var head = ReadHead(path);
            if (head.IndexOf("-----BEGIN", StringComparison.Ordinal) < 0)
            {
                // PKCS#12 / PFX.
                X509Certificate2 pfx;
                try { pfx = new X509Certificate2(path, options.ClientCertificatePassword, X509KeyStorageFlags.Exportable); }
                catch (System.Security.Cryptography.CryptographicException e)
                {
                    throw new ArgumentException("Could not open the client certificate file '" + path + "' as PFX/PKCS#12: " + e.Message.Trim() +
                        " (wrong password, or not a PFX file; PEM files start with -----BEGIN).", e);
                }
                if (!pfx.HasPrivateKey) throw new ArgumentException("The client certificate file '" + path + "' contains no private key.");
                return pfx;
            }
            var keyPath = string.IsNullOrEmpty(options.ClientCertificateKeyPath) ? null : options.ClientCertificateKeyPath;
            if (keyPath != null && !File.Exists(keyPath)) throw new FileNotFoundException("The client key file '" + keyPath + "' does not exist.", keyPath);
            var keyHead = ReadHead(keyPath ?? path);
            if (keyHead.IndexOf("ENCRYPTED", StringComparison.Ordinal) >= 0)
                throw new NotSupportedException("The private key '" + (keyPath ?? path) + "' is encrypted; encrypted PEM keys are not supported: " +
                    "use a PFX file with a password (openssl pkcs12 -export -in cert.pem -inkey key.pem -out client.pfx).");

            var create = typeof(X509Certificate2).GetMethod("CreateFromPemFile", BindingFlags.Public | BindingFlags.Static, null, new[] { typeof(string), typeof(string) }, null);
            if (create == null)
                throw new PlatformNotSupportedException("PEM client certificates need .NET 5 or later (PowerShell 7). On this runtime convert them to PFX: " +
                    "openssl pkcs12 -export -in cert.pem -inkey key.pem -out client.pfx, and pass the .pfx file.");
            X509Certificate2 pem;
            try { pem = (X509Certificate2)create.Invoke(null, new object[] { path, keyPath }); }
            catch (TargetInvocationException e) when (e.InnerException != null)
            {
                throw new ArgumentException("Could not load the PEM client certificate '" + path + "'" + (keyPath == null ? "" : " with key '" + keyPath + "'") + ": " + e.InnerException.Message, e.InnerException);
            }
            // Keys imported from PEM are ephemeral; Windows SChannel cannot use those, so round-trip through PKCS#12.
            using (pem)
            {
                return new X509Certificate2(pem.Export(X509ContentType.Pkcs12), (string)null, X509KeyStorageFlags.Exportable);
            }
        }

        private static string ReadHead(string path)
        {
            using (var stream = File.OpenRead(path))
            {
                var buffer = new byte[(int)Math.Min(stream.Length, 64 * 1024)];
                var read = 0;
                while (read < buffer.Length)
                {
                    var n = stream.Read(buffer, read, buffer.Length - read);
                    if (n == 0) break;
                    read += n;
                }
                return Encoding.ASCII.GetString(buffer, 0, read);
            }
        }
    }
}
