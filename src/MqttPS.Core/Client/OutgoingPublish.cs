using System.Threading.Tasks;
using MqttPS.Core.Protocol;

namespace MqttPS.Core.Client
{
    /// <summary>A QoS 1/2 publish of this client that is not yet fully acknowledged: part of the session state,
    /// resent with DUP after a reconnect [MQTT-4.4.0-1].</summary>
    internal sealed class OutgoingPublish
    {
        public OutgoingPublish(PublishPacket packet, long sequence, int windowLimit)
        {
            Packet = packet;
            Sequence = sequence;
            WindowLimit = windowLimit;
            Completion = new TaskCompletionSource<MqttPublishResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        public PublishPacket Packet { get; }

        /// <summary>Order of the original publish calls; resends keep it.</summary>
        public long Sequence { get; }

        /// <summary>The in-flight window this publish may join (0: the connection's); see MqttClient.PublishAsync.</summary>
        public int WindowLimit { get; }

        public TaskCompletionSource<MqttPublishResult> Completion { get; }

        /// <summary>QoS 2 after a successful PUBREC: what is pending is our PUBREL's PUBCOMP.</summary>
        public bool AwaitingPubComp { get; set; }

        /// <summary>The PUBREC's reason code (0x00 or 0x10), reported when the PUBCOMP arrives.</summary>
        public PubAckReasonCode PubRecReasonCode { get; set; }

        public bool SentOnce { get; set; }
    }
}
