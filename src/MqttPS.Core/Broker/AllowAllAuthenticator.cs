using System.Threading.Tasks;
using MqttPS.Core.Protocol;

namespace MqttPS.Core.Broker
{
    /// <summary>The default authenticator: everyone is accepted, except clients without a username when anonymous
    /// access is disabled.</summary>
    public sealed class AllowAllAuthenticator : IMqttBrokerAuthenticator
    {
        private static readonly Task<ConnectReasonCode> Accepted = Task.FromResult(ConnectReasonCode.Success);
        private static readonly Task<ConnectReasonCode> Refused = Task.FromResult(ConnectReasonCode.NotAuthorized);

        public AllowAllAuthenticator(bool allowAnonymous = true)
        {
            AllowAnonymous = allowAnonymous;
        }

        public bool AllowAnonymous { get; }

        public Task<ConnectReasonCode> AuthenticateAsync(MqttConnectContext context)
            => AllowAnonymous || context.Username != null ? Accepted : Refused;
    }
}
