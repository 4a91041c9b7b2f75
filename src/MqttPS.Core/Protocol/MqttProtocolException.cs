using System;

namespace MqttPS.Core.Protocol
{
    /// <summary>
    /// The one exception for malformed or protocol-violating input. It carries the reason code the specification
    /// prescribes (0x81 Malformed Packet, 0x82 Protocol Error, 0x95 Packet Too Large, ...) and, where one applies,
    /// the normative statement id, which is also part of the message, e.g. "[MQTT-3.3.2-2] ...".
    /// </summary>
    public class MqttProtocolException : Exception
    {
        public MqttProtocolException(MqttReasonCode reasonCode, string specReference, string message)
            : base(Compose(reasonCode, specReference, message))
        {
            ReasonCode = reasonCode;
            SpecReference = specReference;
        }

        public MqttReasonCode ReasonCode { get; }

        /// <summary>The normative statement id, such as "MQTT-3.3.2-2", or null when the rule has none.</summary>
        public string SpecReference { get; }

        /// <summary>
        /// True when the peer should get no CONNACK or DISCONNECT for this error, only the close of the connection.
        /// The codec sets it where Eclipse Mosquitto, the reference the broker is compared with byte for byte,
        /// closes silently: a broken fixed header, a first packet that is not CONNECT (no protocol version is
        /// known yet), CONNECT errors before the protocol version, in the connect flags or keep alive, in user name
        /// and password, every 3.1/3.1.1 CONNECT error but an unsupported protocol level,
        /// and a PINGREQ/PINGRESP with a body.
        /// </summary>
        public bool SuppressReply { get; internal set; }

        private static string Compose(MqttReasonCode reasonCode, string specReference, string message)
        {
            var prefix = string.IsNullOrEmpty(specReference) ? string.Empty : "[" + specReference + "] ";
            return prefix + message + " (reason code 0x" + ((byte)reasonCode).ToString("X2") + " " + reasonCode + ")";
        }
    }
}
