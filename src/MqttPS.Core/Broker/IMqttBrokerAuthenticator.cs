using System.Threading.Tasks;
using MqttPS.Core.Protocol;

namespace MqttPS.Core.Broker
{
    /// <summary>
    /// Decides whether a CONNECT is accepted. Return <see cref="ConnectReasonCode.Success"/> to accept, or the refusal
    /// (BadUserNameOrPassword 0x86, NotAuthorized 0x87, ...); the broker maps it to the 3.1.1 return code.
    /// Called once per CONNECT, off the hot path, so it may be slow (password hashing) and asynchronous.
    /// </summary>
    public interface IMqttBrokerAuthenticator
    {
        Task<ConnectReasonCode> AuthenticateAsync(MqttConnectContext context);
    }
}
