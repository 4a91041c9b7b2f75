using System;
using System.Collections.Generic;
using System.IO;
using System.Reflection;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace MqttPS.Core.Transport
{
    /// <summary>
    /// Loads certificates from PEM or DER files and certificates with their private key (client or server) from PFX
    /// or PEM. netstandard2.0 has no PEM support, so certificates are decoded here; a PEM private key is attached
    /// through X509Certificate2.CreateFromPemFile, found by reflection because it exists only from .NET 5 on. On
    /// .NET Framework (Windows PowerShell 5.1) a PEM certificate with key therefore fails with a message asking for PFX.
    /// Shared by the client (Transport) and the broker's TLS listeners.
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

        /// <summary>Every certificate in the files of a directory (mosquitto's capath: c_rehash links included); files
        /// that hold no certificate are skipped.</summary>
        public static List<X509Certificate2> LoadCertificateDirectory(string directory)
        {
            var result = new List<X509Certificate2>();
            foreach (var file in Directory.GetFiles(directory))
            {
                try { result.AddRange(LoadCertificates(file)); }
                catch (Exception e) when (e is System.Security.Cryptography.CryptographicException || e is FormatException || e is IOException || e is UnauthorizedAccessException) { }
            }
            return result;
        }

        /// <summary>The client certificate the options describe, with its private key, or null when none is configured.</summary>
        public static X509Certificate2 LoadClientCertificate(MqttTlsOptions options)
        {
            if (options.ClientCertificate == null && string.IsNullOrEmpty(options.ClientCertificatePath)) return null;
            return LoadWithPrivateKey("client", options.ClientCertificate, options.ClientCertificatePath,
                options.ClientCertificateKeyPath, options.ClientCertificatePassword);
        }

        /// <summary>
        /// A certificate with its private key: <paramref name="certificate"/> itself when given, else the PFX file at
        /// <paramref name="path"/> (opened with <paramref name="password"/>), else the PEM certificate at
        /// <paramref name="path"/> with the key in <paramref name="keyPath"/> (or in the same file).
        /// <paramref name="role"/> ("client", "server") names the certificate in error messages.
        /// </summary>
        public static X509Certificate2 LoadWithPrivateKey(string role, X509Certificate2 certificate, string path, string keyPath, string password)
        {
            if (certificate != null)
            {
                if (!certificate.HasPrivateKey) throw new ArgumentException("The " + role + " certificate '" + certificate.Subject + "' has no private key.");
                return certificate;
            }
            if (!File.Exists(path)) throw new FileNotFoundException("The " + role + " certificate file '" + path + "' does not exist.", path);
            var convertHint = LegacyPfxCommand(role);

            var head = ReadHead(path);
            if (head.IndexOf("-----BEGIN", StringComparison.Ordinal) < 0)
            {
                // PKCS#12 / PFX.
                X509Certificate2 pfx;
                try { pfx = new X509Certificate2(path, password, X509KeyStorageFlags.Exportable); }
                catch (System.Security.Cryptography.CryptographicException e)
                {
                    if (UsesPbes2(path))
                        throw new ArgumentException("Could not open the " + role + " certificate file '" + path + "' as PFX/PKCS#12: " + e.Message.Trim() +
                            ". A wrong password gives this error, and so does a system that cannot decrypt the file: it is encrypted with AES and PBKDF2 " +
                            "(PBES2, OpenSSL 3's default), which older Windows such as Server 2016 (also under Windows PowerShell 5.1) and Mono " +
                            "cannot read. Export it again with legacy encryption (" + convertHint + "), or use PEM files with PowerShell 7.", e);
                    throw new ArgumentException("Could not open the " + role + " certificate file '" + path + "' as PFX/PKCS#12: " + e.Message.Trim() +
                        " (wrong password, or not a PFX file; PEM files start with -----BEGIN).", e);
                }
                if (!pfx.HasPrivateKey) throw new ArgumentException("The " + role + " certificate file '" + path + "' contains no private key.");
                return pfx;
            }
            keyPath = string.IsNullOrEmpty(keyPath) ? null : keyPath;
            if (keyPath != null && !File.Exists(keyPath)) throw new FileNotFoundException("The " + role + " key file '" + keyPath + "' does not exist.", keyPath);
            var keyHead = ReadHead(keyPath ?? path);
            if (keyHead.IndexOf("ENCRYPTED", StringComparison.Ordinal) >= 0)
                throw new NotSupportedException("The private key '" + (keyPath ?? path) + "' is encrypted; encrypted PEM keys are not supported: " +
                    "use a PFX file with a password (" + convertHint + ").");

            var create = typeof(X509Certificate2).GetMethod("CreateFromPemFile", BindingFlags.Public | BindingFlags.Static, null, new[] { typeof(string), typeof(string) }, null);
            if (create == null)
                throw new PlatformNotSupportedException("PEM " + role + " certificates need .NET 5 or later (PowerShell 7). On this runtime convert them to PFX: " +
                    convertHint + ", and pass the .pfx file.");
            X509Certificate2 pem;
            try { pem = (X509Certificate2)create.Invoke(null, new object[] { path, keyPath }); }
            catch (TargetInvocationException e) when (e.InnerException != null)
            {
                throw new ArgumentException("Could not load the PEM " + role + " certificate '" + path + "'" + (keyPath == null ? "" : " with key '" + keyPath + "'") + ": " + e.InnerException.Message, e.InnerException);
            }
            // Keys imported from PEM are ephemeral; Windows SChannel cannot use those, so round-trip through PKCS#12.
            using (pem)
            {
                return new X509Certificate2(pem.Export(X509ContentType.Pkcs12), (string)null, X509KeyStorageFlags.Exportable);
            }
        }

        /// <summary>
        /// The openssl command that turns a PEM certificate and key into a PFX every runtime of the module reads.
        /// OpenSSL 3 encrypts a PFX with AES-256-CBC and PBKDF2 by default, which .NET Framework on older Windows
        /// (and Mono) cannot decode; -legacy keeps the 3DES/RC2 encryption of OpenSSL 1.1 (which has no -legacy option).
        /// </summary>
        internal static string LegacyPfxCommand(string role) =>
            "openssl pkcs12 -export -legacy -in " + role + ".crt -inkey " + role + ".key -out " + role + ".pfx; -legacy is for OpenSSL 3, leave it out with OpenSSL 1.1";

        /// <summary>Whether a PKCS#12 file names the PBES2 scheme (OID 1.2.840.113549.1.5.13), i.e. its contents are
        /// encrypted the way OpenSSL 3 does by default rather than with the legacy PKCS#12 PBE schemes.</summary>
        internal static bool UsesPbes2(string path)
        {
            byte[] bytes;
            try { bytes = File.ReadAllBytes(path); }
            catch (IOException) { return false; }
            catch (UnauthorizedAccessException) { return false; }
            return UsesPbes2(bytes);
        }

        internal static bool UsesPbes2(byte[] pkcs12)
        {
            byte[] oid = { 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x05, 0x0D };
            for (var i = 0; i + oid.Length <= pkcs12.Length; i++)
            {
                var match = true;
                for (var j = 0; j < oid.Length && match; j++) match = pkcs12[i + j] == oid[j];
                if (match) return true;
            }
            return false;
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
