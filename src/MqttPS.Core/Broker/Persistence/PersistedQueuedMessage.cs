using MqttPS.Core.Messages;

namespace MqttPS.Core.Broker.Persistence
{
    /// <summary>A QoS 1/2 message stored for a session and not yet acknowledged by its subscriber.</summary>
    public sealed class PersistedQueuedMessage
    {
        /// <summary>Store-wide increasing number; the order messages are delivered in.</summary>
        public long Sequence { get; internal set; }
        public MqttMessage Message { get; internal set; }

        /// <summary>Packet id it was sent with, 0 while not sent yet.</summary>
        public ushort PacketId { get; internal set; }

        /// <summary>Meaningful when <see cref="PacketId"/> is not 0.</summary>
        public InFlightState State { get; internal set; }
    }
}
