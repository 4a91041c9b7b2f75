using System;
using System.Threading.Tasks;
using MqttPS.Core.Protocol;

namespace MqttPS.Core.Broker.Security
{
    /// <summary>
    /// CONNECT authentication against a <see cref="PasswordFile"/>. A client whose TLS certificate already names it
    /// (listener with UseIdentityAsUsername) is accepted without a password, as in mosquitto. Refusals:
    /// no username while anonymous access is off: 0x87 Not authorized (3.1.1 return code 5); unknown user or wrong
    /// password: 0x86 Bad User Name or Password (3.1.1 return code 4). (mosquitto answers 5/0x87 in both cases; we
    /// keep the code that says what is wrong.)
    /// </summary>
    public sealed class MqttPasswordFileAuthenticator : IMqttBrokerAuthenticator
    {
        private static readonly Task<ConnectReasonCode> Accepted = Task.FromResult(ConnectReasonCode.Success);
        private static readonly Task<ConnectReasonCode> NotAuthorized = Task.FromResult(ConnectReasonCode.NotAuthorized);

        public MqttPasswordFileAuthenticator(PasswordFile passwords, bool allowAnonymous)
        {
            Passwords = passwords ?? throw new ArgumentNullException(nameof(passwords));
            AllowAnonymous = allowAnonymous;
        }

        public PasswordFile Passwords { get; }
        public bool AllowAnonymous { get; }

        public Task<ConnectReasonCode> AuthenticateAsync(MqttConnectContext context)
        {
            if (context.CertificateIdentity != null) return Accepted;
            if (context.Username == null)
            {
                // [MQTT-3.1.2-19]: a password without a username is a protocol matter the codec checks; here only identity.
                return AllowAnonymous ? Accepted : NotAuthorized;
            }
            // PBKDF2 costs about a millisecond: run it off the connection's receive path.
            var username = context.Username;
            var password = context.Password;
            return Task.Run(() => Passwords.Verify(username, password) ? ConnectReasonCode.Success : ConnectReasonCode.BadUserNameOrPassword);
        }
    }
}
