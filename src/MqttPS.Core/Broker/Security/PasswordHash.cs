using System;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace MqttPS.Core.Broker.Security
{
    /// <summary>
    /// One stored password in mosquitto_passwd's encoding: "$7$101$base64(salt)$base64(hash)" (PBKDF2-HMAC-SHA-512,
    /// 64-byte hash) or "$6$base64(salt)$base64(hash)" (SHA-512 of password then salt). Immutable.
    /// </summary>
    public sealed class PasswordHash
    {
        /// <summary>mosquitto_passwd 2.0's default iteration count; kept as our default so files stay interchangeable.</summary>
        public const int DefaultIterations = 101;
        public const int SaltLength = 12;
        public const int HashLength = 64;

        private readonly byte[] _salt;
        private readonly byte[] _hash;

        private PasswordHash(PasswordHashKind kind, int iterations, byte[] salt, byte[] hash)
        {
            Kind = kind;
            Iterations = iterations;
            _salt = salt;
            _hash = hash;
        }

        public PasswordHashKind Kind { get; }

        /// <summary>PBKDF2 iterations; 1 for <see cref="PasswordHashKind.Sha512"/>.</summary>
        public int Iterations { get; }

        /// <summary>Hashes <paramref name="password"/> with a fresh random salt as "$7$".</summary>
        public static PasswordHash Create(byte[] password, int iterations = DefaultIterations)
        {
            if (password == null) throw new ArgumentNullException(nameof(password));
            if (iterations < 1) throw new ArgumentOutOfRangeException(nameof(iterations), "iterations must be at least 1");
            var salt = new byte[SaltLength];
            using (var random = RandomNumberGenerator.Create()) random.GetBytes(salt);
            return new PasswordHash(PasswordHashKind.Pbkdf2Sha512, iterations, salt, Pbkdf2Sha512.DeriveKey(password, salt, iterations, HashLength));
        }

        public static PasswordHash Create(string password, int iterations = DefaultIterations)
        {
            if (password == null) throw new ArgumentNullException(nameof(password));
            return Create(Encoding.UTF8.GetBytes(password), iterations);
        }

        /// <summary>Parses the part after "user:"; false with a message naming the problem otherwise.</summary>
        public static bool TryParse(string text, out PasswordHash hash, out string error)
        {
            hash = null;
            error = null;
            if (string.IsNullOrEmpty(text))
            {
                error = "the password hash is empty";
                return false;
            }
            var parts = text.Split('$');
            // "$7$101$salt$hash" splits into "", "7", "101", "salt", "hash"; "$6$salt$hash" into "", "6", "salt", "hash".
            if (parts.Length < 2 || parts[0].Length != 0)
            {
                error = "the password is not hashed (expected \"$7$iterations$salt$hash\" as written by mosquitto_passwd; plain-text passwords are not accepted)";
                return false;
            }
            byte[] salt, digest;
            if (parts[1] == "7")
            {
                if (parts.Length != 5)
                {
                    error = "a \"$7$\" hash has the form $7$iterations$salt$hash";
                    return false;
                }
                int iterations;
                if (!int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out iterations) || iterations < 1)
                {
                    error = "the iteration count \"" + parts[2] + "\" is not a positive number";
                    return false;
                }
                if (!TryDecode(parts[3], "salt", out salt, out error) || !TryDecode(parts[4], "hash", out digest, out error)) return false;
                hash = new PasswordHash(PasswordHashKind.Pbkdf2Sha512, iterations, salt, digest);
                return true;
            }
            if (parts[1] == "6")
            {
                if (parts.Length != 4)
                {
                    error = "a \"$6$\" hash has the form $6$salt$hash";
                    return false;
                }
                if (!TryDecode(parts[2], "salt", out salt, out error) || !TryDecode(parts[3], "hash", out digest, out error)) return false;
                hash = new PasswordHash(PasswordHashKind.Sha512, 1, salt, digest);
                return true;
            }
            error = "unknown hash type \"$" + parts[1] + "$\" (supported: $6$ and $7$)";
            return false;
        }

        public static PasswordHash Parse(string text)
        {
            PasswordHash hash;
            string error;
            if (!TryParse(text, out hash, out error)) throw new FormatException(error);
            return hash;
        }

        /// <summary>True when <paramref name="password"/> hashes to the stored value; the comparison is constant-time.</summary>
        public bool Verify(byte[] password)
        {
            if (password == null) password = new byte[0];
            return FixedTimeComparison.AreEqual(Compute(password), _hash);
        }

        public bool Verify(string password) => Verify(password == null ? null : Encoding.UTF8.GetBytes(password));

        internal byte[] Compute(byte[] password)
        {
            if (Kind == PasswordHashKind.Pbkdf2Sha512) return Pbkdf2Sha512.DeriveKey(password, _salt, Iterations, _hash.Length == 0 ? HashLength : _hash.Length);
            using (var sha = SHA512.Create())
            {
                var input = new byte[password.Length + _salt.Length];
                Buffer.BlockCopy(password, 0, input, 0, password.Length);
                Buffer.BlockCopy(_salt, 0, input, password.Length, _salt.Length);
                return sha.ComputeHash(input);
            }
        }

        public override string ToString()
        {
            if (Kind == PasswordHashKind.Pbkdf2Sha512)
                return "$7$" + Iterations.ToString(CultureInfo.InvariantCulture) + "$" + Convert.ToBase64String(_salt) + "$" + Convert.ToBase64String(_hash);
            return "$6$" + Convert.ToBase64String(_salt) + "$" + Convert.ToBase64String(_hash);
        }

        private static bool TryDecode(string base64, string what, out byte[] bytes, out string error)
        {
            error = null;
            try
            {
                bytes = Convert.FromBase64String(base64);
                if (bytes.Length == 0)
                {
                    error = "the " + what + " is empty";
                    return false;
                }
                return true;
            }
            catch (FormatException)
            {
                bytes = null;
                error = "the " + what + " is not valid base64";
                return false;
            }
        }
    }
}
