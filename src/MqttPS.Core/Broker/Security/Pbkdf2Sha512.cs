using System;
using System.Security.Cryptography;

namespace MqttPS.Core.Broker.Security
{
    /// <summary>
    /// PBKDF2 (RFC 8018 section 5.2) with HMAC-SHA-512 as the pseudo-random function, the hash mosquitto_passwd
    /// writes as "$7$". Written here because netstandard2.0's Rfc2898DeriveBytes only offers HMAC-SHA-1.
    /// </summary>
    internal static class Pbkdf2Sha512
    {
        private const int BlockLength = 64;

        public static byte[] DeriveKey(byte[] password, byte[] salt, int iterations, int length)
        {
            if (password == null) throw new ArgumentNullException(nameof(password));
            if (salt == null) throw new ArgumentNullException(nameof(salt));
            if (iterations < 1) throw new ArgumentOutOfRangeException(nameof(iterations), "PBKDF2 needs at least one iteration");
            if (length < 1) throw new ArgumentOutOfRangeException(nameof(length));

            var output = new byte[length];
            var saltAndIndex = new byte[salt.Length + 4];
            Buffer.BlockCopy(salt, 0, saltAndIndex, 0, salt.Length);
            using (var hmac = new HMACSHA512(password))
            {
                var blocks = (length + BlockLength - 1) / BlockLength;
                for (var block = 1; block <= blocks; block++)
                {
                    // U1 = PRF(P, S || INT(i)), with INT(i) a four-byte big-endian block index.
                    saltAndIndex[salt.Length] = (byte)(block >> 24);
                    saltAndIndex[salt.Length + 1] = (byte)(block >> 16);
                    saltAndIndex[salt.Length + 2] = (byte)(block >> 8);
                    saltAndIndex[salt.Length + 3] = (byte)block;
                    var u = hmac.ComputeHash(saltAndIndex);
                    var t = (byte[])u.Clone();
                    for (var i = 1; i < iterations; i++)
                    {
                        u = hmac.ComputeHash(u);
                        for (var j = 0; j < t.Length; j++) t[j] ^= u[j];
                    }
                    var offset = (block - 1) * BlockLength;
                    Buffer.BlockCopy(t, 0, output, offset, Math.Min(BlockLength, length - offset));
                }
            }
            return output;
        }
    }
}
