using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using MqttPS.Core.Messages;
using MqttPS.Core.Protocol;

namespace MqttPS.Core.Broker.Persistence
{
    /// <summary>
    /// Bodies of store records: a type byte then the fields, little-endian integers and length-prefixed UTF-8
    /// strings. Live changes and recovery both go through <see cref="PersistedState.Apply"/> on these exact bytes,
    /// so what is replayed is what was applied.
    /// </summary>
    internal static class PersistenceRecordCodec
    {
        private const byte HasPayloadFormat = 1, HasContentType = 2, HasResponseTopic = 4, HasCorrelationData = 8, HasUserProperties = 16, HasExpiry = 32, IsRetain = 64, IsDuplicate = 128;
        private static readonly UTF8Encoding Utf8 = new UTF8Encoding(false, true);

        public static byte[] RetainedSet(MqttMessage message) => Build(PersistenceRecordType.RetainedSet, w => WriteMessage(w, message));
        public static byte[] RetainedCleared(string topic) => Build(PersistenceRecordType.RetainedCleared, w => w.Write(topic));

        /// <summary>The owner follows the expiry as a flag byte (0 anonymous, 1 a user name follows); records written
        /// before owners were kept end after the expiry, and recover with the owner unknown.</summary>
        public static byte[] SessionCreated(string clientId, uint sessionExpiryInterval, string owner, bool ownerKnown = true) => Build(PersistenceRecordType.SessionCreated, w =>
        {
            w.Write(clientId);
            w.Write(sessionExpiryInterval);
            if (!ownerKnown) return;
            w.Write((byte)(owner == null ? 0 : 1));
            if (owner != null) w.Write(owner);
        });
        public static byte[] SessionRemoved(string clientId) => Build(PersistenceRecordType.SessionRemoved, w => w.Write(clientId));

        public static byte[] SubscriptionAdded(string clientId, PersistedSubscription s) => Build(PersistenceRecordType.SubscriptionAdded, w =>
        {
            w.Write(clientId);
            w.Write(s.TopicFilter);
            w.Write((byte)((int)s.QoS | (s.NoLocal ? 4 : 0) | (s.RetainAsPublished ? 8 : 0) | ((int)s.RetainHandling << 4)));
            w.Write(s.SubscriptionIdentifier);
        });

        public static byte[] SubscriptionRemoved(string clientId, string topicFilter) => Build(PersistenceRecordType.SubscriptionRemoved, w => { w.Write(clientId); w.Write(topicFilter); });

        public static byte[] MessageQueued(string clientId, long sequence, MqttMessage message) => Build(PersistenceRecordType.MessageQueued, w => { w.Write(clientId); w.Write(sequence); WriteMessage(w, message); });
        public static byte[] MessageAcknowledged(string clientId, long sequence) => Build(PersistenceRecordType.MessageAcknowledged, w => { w.Write(clientId); w.Write(sequence); });

        public static byte[] MessageInFlight(string clientId, long sequence, ushort packetId, InFlightState state) => Build(PersistenceRecordType.MessageInFlight, w =>
        {
            w.Write(clientId); w.Write(sequence); w.Write(packetId); w.Write((byte)state);
        });

        public static byte[] IncomingQoS2Received(string clientId, ushort packetId, MqttMessage message) =>
            Build(PersistenceRecordType.IncomingQoS2Received, w => { w.Write(clientId); w.Write(packetId); WriteMessage(w, message); });

        public static byte[] IncomingQoS2Released(string clientId, ushort packetId) =>
            Build(PersistenceRecordType.IncomingQoS2Released, w => { w.Write(clientId); w.Write(packetId); });

        public static byte[] SnapshotEnd(long lastSequence) => Build(PersistenceRecordType.SnapshotEnd, w => w.Write(lastSequence));

        private static byte[] Build(PersistenceRecordType type, Action<BinaryWriter> write)
        {
            using (var buffer = new MemoryStream(64))
            using (var writer = new BinaryWriter(buffer, Utf8))
            {
                writer.Write((byte)type);
                write(writer);
                writer.Flush();
                return buffer.ToArray();
            }
        }

        private static void WriteMessage(BinaryWriter w, MqttMessage m)
        {
            byte flags = 0;
            if (m.PayloadFormatIndicator.HasValue) flags |= HasPayloadFormat;
            if (m.ContentType != null) flags |= HasContentType;
            if (m.ResponseTopic != null) flags |= HasResponseTopic;
            if (m.CorrelationData != null) flags |= HasCorrelationData;
            if (m.HasUserProperties) flags |= HasUserProperties;
            if (m.MessageExpiryInterval.HasValue) flags |= HasExpiry;
            if (m.Retain) flags |= IsRetain;
            if (m.Duplicate) flags |= IsDuplicate;
            w.Write(m.Topic);
            w.Write((byte)m.QoS);
            w.Write(flags);
            w.Write(m.Timestamp.ToUnixTimeMilliseconds());
            w.Write(m.PayloadBytes.Length);
            w.Write(m.PayloadBytes);
            if (m.PayloadFormatIndicator.HasValue) w.Write(m.PayloadFormatIndicator.Value);
            if (m.ContentType != null) w.Write(m.ContentType);
            if (m.ResponseTopic != null) w.Write(m.ResponseTopic);
            if (m.CorrelationData != null) { w.Write(m.CorrelationData.Length); w.Write(m.CorrelationData); }
            if (m.HasUserProperties)
            {
                w.Write(m.UserProperties.Count);
                foreach (var p in m.UserProperties) { w.Write(p.Name); w.Write(p.Value); }
            }
            if (m.MessageExpiryInterval.HasValue) w.Write(m.MessageExpiryInterval.Value);
            // Subscription identifiers of the subscription a queued message was routed by (5.0), so it is delivered the same after a restart.
            var ids = m.HasSubscriptionIdentifiers ? m.SubscriptionIdentifiers : null;
            w.Write((byte)(ids == null ? 0 : Math.Min(ids.Count, 255)));
            if (ids != null) for (var i = 0; i < ids.Count && i < 255; i++) w.Write(ids[i]);
        }

        public static MqttMessage ReadMessage(BinaryReader r)
        {
            var topic = r.ReadString();
            var qos = r.ReadByte();
            if (qos > 2) throw new InvalidDataException("QoS " + qos + " is not 0, 1 or 2");
            var flags = r.ReadByte();
            var timestamp = DateTimeOffset.FromUnixTimeMilliseconds(r.ReadInt64());
            var payload = ReadBytes(r);
            var m = new MqttMessage(topic, payload, (MqttQualityOfService)qos, (flags & IsRetain) != 0)
            {
                Duplicate = (flags & IsDuplicate) != 0,
                Timestamp = timestamp,
            };
            if ((flags & HasPayloadFormat) != 0) m.PayloadFormatIndicator = r.ReadByte();
            if ((flags & HasContentType) != 0) m.ContentType = r.ReadString();
            if ((flags & HasResponseTopic) != 0) m.ResponseTopic = r.ReadString();
            if ((flags & HasCorrelationData) != 0) m.CorrelationData = ReadBytes(r);
            if ((flags & HasUserProperties) != 0)
            {
                var count = r.ReadInt32();
                if (count < 0) throw new InvalidDataException("negative user property count");
                for (var i = 0; i < count; i++) m.UserProperties.Add(new MqttUserProperty(r.ReadString(), r.ReadString()));
            }
            if ((flags & HasExpiry) != 0) m.MessageExpiryInterval = r.ReadUInt32();
            var idCount = r.ReadByte();
            for (var i = 0; i < idCount; i++) m.SubscriptionIdentifiers.Add(r.ReadUInt32());
            return m;
        }

        private static byte[] ReadBytes(BinaryReader r)
        {
            var length = r.ReadInt32();
            if (length < 0 || length > r.BaseStream.Length - r.BaseStream.Position) throw new InvalidDataException("byte field length " + length + " runs past the record");
            return r.ReadBytes(length);
        }

        public static PersistedSubscription ReadSubscription(BinaryReader r)
        {
            var filter = r.ReadString();
            var options = r.ReadByte();
            return new PersistedSubscription
            {
                TopicFilter = filter,
                QoS = (MqttQualityOfService)(options & 3),
                NoLocal = (options & 4) != 0,
                RetainAsPublished = (options & 8) != 0,
                RetainHandling = (RetainHandling)((options >> 4) & 3),
                SubscriptionIdentifier = r.ReadUInt32(),
            };
        }

    }
}
