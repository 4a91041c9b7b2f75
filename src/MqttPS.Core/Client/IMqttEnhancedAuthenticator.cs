using System.Threading;
using System.Threading.Tasks;

namespace MqttPS.Core.Client
{
    /// <summary>
    /// MQTT 5.0 enhanced authentication (section 4.12): names the method, supplies the initial data sent in
    /// CONNECT and answers each AUTH challenge (reason code 0x18 Continue Authentication) the broker sends, during
    /// connect and during re-authentication.
    /// </summary>
    public interface IMqttEnhancedAuthenticator
    {
        /// <summary>The Authentication Method property, e.g. "SCRAM-SHA-1".</summary>
        string AuthenticationMethod { get; }

        /// <summary>Authentication Data for CONNECT, or null.</summary>
        byte[] GetInitialData();

        /// <summary>Answers a challenge: the returned data goes back in an AUTH packet with Continue Authentication.</summary>
        Task<byte[]> RespondAsync(byte[] challengeData, CancellationToken cancellationToken);

        /// <summary>Called with the server's final Authentication Data of the successful CONNACK or AUTH (may be null).</summary>
        void OnAuthenticated(byte[] serverData);
    }
}
