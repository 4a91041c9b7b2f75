using System;
using System.Collections.Generic;
using System.Text;
using System.Threading.Tasks;
using MqttPS.Core.Broker;
using MqttPS.Core.Protocol;

namespace MqttPS.Core.Shell
{
    /// <summary>
    /// Start-MqttBroker's -Credential / -Users: a fixed table of user names and passwords. A client without a
    /// user name is accepted only with -AllowAnonymous; a wrong password is Bad User Name or Password (0x86).
    /// </summary>
    public sealed class UserTableAuthenticator : IMqttBrokerAuthenticator
    {
        private readonly Dictionary<string, byte[]> _passwords = new Dictionary<string, byte[]>(StringComparer.Ordinal);

        public UserTableAuthenticator(IEnumerable<KeyValuePair<string, string>> users, bool allowAnonymous)
        {
            foreach (var user in users)
            {
                if (string.IsNullOrEmpty(user.Key))
                    throw new MqttShellException("InvalidUser", ShellErrorCategory.InvalidArgument, "A user in the users table has an empty name.", null);
                _passwords[user.Key] = Encoding.UTF8.GetBytes(user.Value ?? string.Empty);
            }
            AllowAnonymous = allowAnonymous;
        }

        public bool AllowAnonymous { get; }
        public int Count => _passwords.Count;

        public Task<ConnectReasonCode> AuthenticateAsync(MqttConnectContext context)
        {
            if (context.Username == null)
                return Task.FromResult(AllowAnonymous ? ConnectReasonCode.Success : ConnectReasonCode.NotAuthorized);
            if (_passwords.TryGetValue(context.Username, out var expected) && FixedTimeEquals(expected, context.Password ?? new byte[0]))
                return Task.FromResult(ConnectReasonCode.Success);
            return Task.FromResult(ConnectReasonCode.BadUserNameOrPassword);
        }

        // Compares without an early exit so response timing does not reveal how much of a password was right.
        private static bool FixedTimeEquals(byte[] a, byte[] b)
        {
            var difference = a.Length ^ b.Length;
            for (var i = 0; i < a.Length && i < b.Length; i++) difference |= a[i] ^ b[i];
            return difference == 0;
        }
    }
}
