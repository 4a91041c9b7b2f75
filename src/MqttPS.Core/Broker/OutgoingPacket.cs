using MqttPS.Core.Protocol;

namespace MqttPS.Core.Broker
{
    /// <summary>One entry of a connection's send queue: either a packet the writer encodes, or shared pre-encoded
    /// PUBLISH bytes with the packet identifier (and DUP flag) to patch in.</summary>
    internal struct OutgoingPacket
    {
        public MqttPacket Packet;
        public EncodedPublish Encoded;
        public ushort PacketId;
        public bool Dup;

        /// <summary>Bytes this entry will take on the wire (an estimate for packets the writer still encodes).</summary>
        public int Size;

        public bool IsPublish => Encoded != null || Packet is PublishPacket;
    }
}
