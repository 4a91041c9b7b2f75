using System;
using MqttPS.Core.Protocol;
using MqttPS.Core.Transport;

namespace MqttPS.Core.Client
{
    /// <summary>
    /// Connecting failed: the broker refused the CONNECT (<see cref="ReasonCode"/> is its CONNACK reason code) or the
    /// connection could not be established at all (ReasonCode null, the cause is the inner exception: socket error,
    /// TLS failure, connection closed before CONNACK). The message always names the broker address.
    /// </summary>
    public sealed class MqttConnectException : Exception
    {
        public MqttConnectException(MqttBrokerAddress address, ConnectReasonCode? reasonCode, string reasonString, string message, Exception inner = null)
            : base(message, inner)
        {
            Address = address;
            ReasonCode = reasonCode;
            ReasonString = reasonString;
        }

        public MqttBrokerAddress Address { get; }

        /// <summary>The CONNACK reason code (3.1.1 return codes mapped to 5.0 codes), or null when no CONNACK arrived.</summary>
        public ConnectReasonCode? ReasonCode { get; }

        /// <summary>The broker's Reason String (5.0), if any.</summary>
        public string ReasonString { get; }

        /// <summary>Server Reference (5.0) of a "use another server" / "server moved" refusal, if any.</summary>
        public string ServerReference { get; internal set; }

        /// <summary>True when the server closed the connection after the CONNECT without sending anything.</summary>
        public bool ClosedBeforeConnAck { get; internal set; }

        /// <summary>The first bytes (at most 64) of a reply that was not a CONNACK: what the server speaks instead of
        /// MQTT (e.g. "HTTP/1.1 400", or a TLS alert), for the error to name; null otherwise.</summary>
        public byte[] ReceivedBeforeConnAck { get; internal set; }
    }
}
