using System;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Tasks;
using MqttPS.Core.Broker.Security;
using MqttPS.Core.Tests.Infrastructure;
using Xunit;

namespace MqttPS.Core.Tests.BrokerProduction
{
    public sealed class PasswordFileTests : IDisposable
    {
        private readonly string _dir = Directory.CreateTempSubdirectory("mqttps-pw-").FullName;

        public void Dispose() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

        private static string Hex(byte[] b) => Convert.ToHexString(b).ToLowerInvariant();

        [Theory]
        // PBKDF2-HMAC-SHA512 vectors (same inputs as RFC 6070's SHA-1 set; values cross-checked with Python's hashlib).
        [InlineData("password", "salt", 1, 64, "867f70cf1ade02cff3752599a3a53dc4af34c7a669815ae5d513554e1c8cf252c02d470a285a0501bad999bfe943c08f050235d7d68b1da55e63f73b60a57fce")]
        [InlineData("password", "salt", 2, 64, "e1d9c16aa681708a45f5c7c4e215ceb66e011a2e9f0040713f18aefdb866d53cf76cab2868a39b9f7840edce4fef5a82be67335c77a6068e04112754f27ccf4e")]
        [InlineData("password", "salt", 4096, 64, "d197b1b33db0143e018b12f3d1d1479e6cdebdcc97c5c0f87f6902e072f457b5143f30602641b3d55cd335988cb36b84376060ecd532e039b742a239434af2d5")]
        [InlineData("passwordPASSWORDpassword", "saltSALTsaltSALTsaltSALTsaltSALTsalt", 4096, 100, "8c0511f4c6e597c6ac6315d8f0362e225f3c501495ba23b868c005174dc4ee71115b59f9e60cd9532fa33e0f75aefe30225c583a186cd82bd4daea9724a3d3b804f75bdd41494fa324cab24bcc680fb3b96a30cf5d21fac3c2875913919f3399b1d9ce7e")]
        public void Pbkdf2_matches_known_vectors(string password, string salt, int iterations, int length, string expected)
        {
            Assert.Equal(expected, Hex(Pbkdf2Sha512.DeriveKey(Encoding.ASCII.GetBytes(password), Encoding.ASCII.GetBytes(salt), iterations, length)));
        }

        [Fact]
        public void Pbkdf2_matches_the_platform_implementation_for_random_inputs()
        {
            var random = new Random(7);
            for (var i = 0; i < 20; i++)
            {
                var password = new byte[random.Next(0, 200)];
                var salt = new byte[random.Next(1, 40)];
                random.NextBytes(password);
                random.NextBytes(salt);
                var iterations = random.Next(1, 300);
                var length = random.Next(1, 200);
                var expected = Rfc2898DeriveBytes.Pbkdf2(password, salt, iterations, HashAlgorithmName.SHA512, length);
                Assert.Equal(Hex(expected), Hex(Pbkdf2Sha512.DeriveKey(password, salt, iterations, length)));
            }
        }

        [Fact]
        public async Task Reads_files_written_by_mosquitto_passwd()
        {
            Assert.True(ExternalProcess.IsOnPath("mosquitto_passwd"), "mosquitto_passwd is not installed (Debian package mosquitto)");
            var path = Path.Combine(_dir, "passwd");
            (await ExternalProcess.RunAsync("mosquitto_passwd", new[] { "-b", "-c", path, "alice", "secret" }, TimeSpan.FromSeconds(20))).Dispose();
            (await ExternalProcess.RunAsync("mosquitto_passwd", new[] { "-b", path, "bob", "p@ss wörd" }, TimeSpan.FromSeconds(20))).Dispose();
            Assert.StartsWith("alice:$7$101$", File.ReadAllLines(path)[0]);

            var file = PasswordFile.Load(path);
            Assert.Equal(new[] { "alice", "bob" }, file.Usernames);
            Assert.True(file.Verify("alice", "secret"));
            Assert.False(file.Verify("alice", "Secret"));
            Assert.False(file.Verify("alice", ""));
            Assert.True(file.Verify("bob", "p@ss wörd"));
            Assert.False(file.Verify("carol", "secret"));
            Assert.False(file.Verify(null, "secret"));
        }

        [Fact]
        public async Task Mosquitto_accepts_a_file_written_by_SetPassword_and_Save()
        {
            var path = Path.Combine(_dir, "ours");
            var file = new PasswordFile();
            file.SetPassword("dave", "correct horse");
            file.SetPassword("erin", "x");
            file.SetPassword("dave", "battery staple"); // replaces
            file.Save(path);
            Assert.Equal(2, File.ReadAllLines(path).Length);
            // mosquitto started as root drops to the "mosquitto" user, which must be able to read the file.
            File.SetUnixFileMode(_dir, (UnixFileMode)0x1ED);  // 0755
            File.SetUnixFileMode(path, (UnixFileMode)0x1A4);  // 0644

            using (var mosquitto = await Mosquitto.StartAsync(new[] { "allow_anonymous false", "password_file " + path }))
            {
                var ok = await ExternalProcess.RunAsync("mosquitto_pub", new[] { "-h", "127.0.0.1", "-p", mosquitto.Port.ToString(), "-u", "dave", "-P", "battery staple", "-t", "t", "-m", "x" }, TimeSpan.FromSeconds(20));
                Assert.True(ok.ExitCode == 0, "mosquitto refused our hash: " + ok.StandardError + mosquitto.Log);
                var bad = await ExternalProcess.RunAsync("mosquitto_pub", new[] { "-h", "127.0.0.1", "-p", mosquitto.Port.ToString(), "-u", "dave", "-P", "correct horse", "-t", "t", "-m", "x" }, TimeSpan.FromSeconds(20));
                Assert.NotEqual(0, bad.ExitCode);
                ok.Dispose();
                bad.Dispose();
            }
            var reloaded = PasswordFile.Load(path);
            Assert.True(reloaded.Verify("dave", "battery staple"));
            Assert.True(reloaded.Verify("erin", "x"));
        }

        [Fact]
        public void Reads_salted_sha512_entries()
        {
            var salt = new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
            var digest = SHA512.HashData(Encoding.UTF8.GetBytes("hunter2").Concat(salt).ToArray());
            var text = "# a comment\n\nold:$6$" + Convert.ToBase64String(salt) + "$" + Convert.ToBase64String(digest) + "\n";
            var file = PasswordFile.Parse(new StringReader(text));
            Assert.True(file.Verify("old", "hunter2"));
            Assert.False(file.Verify("old", "hunter3"));
        }

        [Theory]
        [InlineData("alice:secret", "line 1 (user \"alice\"): the password is not hashed")]
        [InlineData("# c\nalice", "line 2: expected \"username:hash\" (no ':' found)")]
        [InlineData(":$7$101$AAAA$AAAA", "line 1: expected \"username:hash\" (the username is empty)")]
        [InlineData("a:$7$x$AAAA$AAAA", "the iteration count \"x\" is not a positive number")]
        [InlineData("a:$7$101$!!$AAAA", "the salt is not valid base64")]
        [InlineData("a:$5$AAAA$AAAA", "unknown hash type \"$5$\"")]
        [InlineData("a:$7$101$AAAA$AAAA\na:$7$101$AAAA$AAAA", "line 2: user \"a\" is listed twice")]
        public void Bad_lines_are_reported_with_their_number(string text, string expected)
        {
            var e = Assert.Throws<FormatException>(() => PasswordFile.Parse(new StringReader(text), "pw"));
            Assert.Contains(expected, e.Message);
            Assert.StartsWith("pw line ", e.Message);
        }

        [Fact]
        public void Entries_can_be_removed_and_bad_usernames_are_refused()
        {
            var file = new PasswordFile();
            file.SetPassword("u", "p");
            Assert.True(file.Remove("u"));
            Assert.False(file.Verify("u", "p"));
            Assert.Throws<ArgumentException>(() => file.SetPassword("a:b", "p"));
            Assert.Throws<ArgumentException>(() => file.SetPassword("#x", "p"));
            Assert.Throws<ArgumentException>(() => file.SetPassword("", "p"));
        }

        [Fact]
        public void Each_hash_gets_its_own_salt()
        {
            var a = PasswordHash.Create("same");
            var b = PasswordHash.Create("same");
            Assert.NotEqual(a.ToString(), b.ToString());
            Assert.True(PasswordHash.Parse(a.ToString()).Verify("same"));
            Assert.Equal(PasswordHashKind.Pbkdf2Sha512, a.Kind);
            Assert.Equal(101, a.Iterations);
        }
    }
}
