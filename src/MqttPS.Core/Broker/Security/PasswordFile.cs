using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace MqttPS.Core.Broker.Security
{
    /// <summary>
    /// A username/password table in mosquitto's password_file format: one "username:$7$iterations$salt$hash"
    /// per line (the first ':' separates the name), '#' comments and blank lines ignored. Files written by
    /// mosquitto_passwd load here, and files saved here load in mosquitto 2.0.
    /// </summary>
    /// <remarks>Thread-safe: the broker verifies from many connections while an operator may add entries.</remarks>
    public sealed class PasswordFile
    {
        private readonly object _gate = new object();
        private readonly Dictionary<string, PasswordHash> _entries = new Dictionary<string, PasswordHash>(StringComparer.Ordinal);
        private readonly List<string> _order = new List<string>();

        // Verifying an unknown user costs as much as a known one, so response time does not reveal which names exist.
        private static readonly PasswordHash DecoyHash = PasswordHash.Create(Guid.NewGuid().ToByteArray());

        public PasswordFile() { }

        /// <summary>Where the table was loaded from, or null.</summary>
        public string Path { get; private set; }

        public int Count { get { lock (_gate) return _entries.Count; } }

        public IReadOnlyList<string> Usernames { get { lock (_gate) return _order.ToArray(); } }

        public static PasswordFile Load(string path)
        {
            if (path == null) throw new ArgumentNullException(nameof(path));
            using (var reader = new StreamReader(path, new UTF8Encoding(false), true))
            {
                var file = Parse(reader, path);
                file.Path = path;
                return file;
            }
        }

        /// <summary>Parses the format; a bad line throws <see cref="FormatException"/> with "source line N: problem".</summary>
        public static PasswordFile Parse(TextReader reader, string sourceName = "password file")
        {
            var file = new PasswordFile();
            string line;
            var number = 0;
            while ((line = reader.ReadLine()) != null)
            {
                number++;
                var trimmed = line.Trim();
                if (trimmed.Length == 0 || trimmed[0] == '#') continue;
                var colon = trimmed.IndexOf(':');
                if (colon <= 0)
                    throw new FormatException(sourceName + " line " + number + ": expected \"username:hash\"" + (colon == 0 ? " (the username is empty)" : " (no ':' found)"));
                var username = trimmed.Substring(0, colon);
                PasswordHash hash;
                string error;
                if (!PasswordHash.TryParse(trimmed.Substring(colon + 1), out hash, out error))
                    throw new FormatException(sourceName + " line " + number + " (user \"" + username + "\"): " + error);
                if (file._entries.ContainsKey(username))
                    throw new FormatException(sourceName + " line " + number + ": user \"" + username + "\" is listed twice");
                file._entries.Add(username, hash);
                file._order.Add(username);
            }
            return file;
        }

        public bool Contains(string username)
        {
            if (username == null) return false;
            lock (_gate) return _entries.ContainsKey(username);
        }

        /// <summary>True when the user exists and the password matches its hash.</summary>
        public bool Verify(string username, byte[] password)
        {
            PasswordHash hash = null;
            if (username != null)
            {
                lock (_gate) _entries.TryGetValue(username, out hash);
            }
            if (hash == null)
            {
                DecoyHash.Verify(password ?? new byte[0]);
                return false;
            }
            return hash.Verify(password ?? new byte[0]);
        }

        public bool Verify(string username, string password) => Verify(username, password == null ? null : Encoding.UTF8.GetBytes(password));

        /// <summary>Adds the user or replaces its password, hashed as "$7$" with a new random salt.</summary>
        public void SetPassword(string username, string password, int iterations = PasswordHash.DefaultIterations)
        {
            if (password == null) throw new ArgumentNullException(nameof(password));
            SetPassword(username, Encoding.UTF8.GetBytes(password), iterations);
        }

        public void SetPassword(string username, byte[] password, int iterations = PasswordHash.DefaultIterations)
        {
            ValidateUsername(username);
            var hash = PasswordHash.Create(password, iterations);
            lock (_gate)
            {
                if (!_entries.ContainsKey(username)) _order.Add(username);
                _entries[username] = hash;
            }
        }

        public bool Remove(string username)
        {
            if (username == null) return false;
            lock (_gate)
            {
                if (!_entries.Remove(username)) return false;
                _order.Remove(username);
                return true;
            }
        }

        /// <summary>Writes the table; goes through a temporary file and a rename so a crash never leaves half a file.</summary>
        public void Save(string path = null)
        {
            path = path ?? Path ?? throw new InvalidOperationException("no path: the table was not loaded from a file, pass one to Save");
            var text = new StringBuilder();
            lock (_gate)
            {
                foreach (var name in _order) text.Append(name).Append(':').Append(_entries[name].ToString()).Append('\n');
            }
            var temporary = path + ".tmp";
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                var bytes = new UTF8Encoding(false).GetBytes(text.ToString());
                stream.Write(bytes, 0, bytes.Length);
                stream.Flush(true);
            }
            if (File.Exists(path)) File.Replace(temporary, path, null);
            else File.Move(temporary, path);
            Path = path;
        }

        private static void ValidateUsername(string username)
        {
            if (string.IsNullOrEmpty(username)) throw new ArgumentException("the username is empty", nameof(username));
            if (username.IndexOf(':') >= 0) throw new ArgumentException("a username in a password file cannot contain ':'", nameof(username));
            if (username.IndexOfAny(new[] { '\r', '\n' }) >= 0) throw new ArgumentException("a username cannot contain a line break", nameof(username));
            if (username[0] == '#') throw new ArgumentException("a username in a password file cannot start with '#' (the line would read as a comment)", nameof(username));
            if (username.Trim().Length != username.Length) throw new ArgumentException("a username in a password file cannot start or end with white space", nameof(username));
        }
    }
}
