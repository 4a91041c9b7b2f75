using System;
using System.Collections.Generic;
using System.Net;
using MqttPS.Core.Protocol;

namespace MqttPS.Core.Broker
{
    /// <summary>A snapshot of one connected client (Get-MqttBrokerClient).</summary>
    public sealed class MqttBrokerClientInfo
    {
        public string ClientId { get; set; }
        public EndPoint RemoteEndPoint { get; set; }
        public string Username { get; set; }
        public MqttProtocolVersion ProtocolVersion { get; set; }
        public ushort KeepAliveSeconds { get; set; }
        public DateTimeOffset ConnectedAt { get; set; }
        public bool CleanStart { get; set; }

        /// <summary>The client announced itself as a bridge (mosquitto's try_private: CONNECT protocol level 0x83/0x84).</summary>
        public bool IsBridge { get; set; }
        public uint SessionExpiryInterval { get; set; }
        public IReadOnlyList<string> Subscriptions { get; set; }
        public int QueuedMessages { get; set; }
        public int InFlightMessages { get; set; }
        /// <summary>MQTT packets of every kind (PUBLISH, PUBACK, PINGREQ, ...) received from the client.</summary>
        public long PacketsReceived { get; set; }

        /// <summary>MQTT packets of every kind sent to the client.</summary>
        public long PacketsSent { get; set; }

        public override string ToString() => ClientId + " " + RemoteEndPoint + " " + ProtocolVersion;
    }
}
