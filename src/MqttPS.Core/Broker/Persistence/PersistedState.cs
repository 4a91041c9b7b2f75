using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using MqttPS.Core.Messages;

namespace MqttPS.Core.Broker.Persistence
{
    /// <summary>
    /// The stored state in memory: retained messages and persistent sessions, changed only by applying record bodies
    /// (live or replayed). Not thread-safe: the store serialises access.
    /// </summary>
    internal sealed class PersistedState
    {
        private static readonly UTF8Encoding Utf8 = new UTF8Encoding(false, true);

        public Dictionary<string, MqttMessage> Retained { get; } = new Dictionary<string, MqttMessage>(StringComparer.Ordinal);
        public Dictionary<string, PersistedSession> Sessions { get; } = new Dictionary<string, PersistedSession>(StringComparer.Ordinal);
        public long LastSequence { get; set; }

        /// <summary>Applies one record; returns false for the snapshot end marker. Throws InvalidDataException on a body that does not parse.</summary>
        public bool Apply(byte[] body, int offset, int count)
        {
            if (count < 1) throw new InvalidDataException("empty record");
            using (var stream = new MemoryStream(body, offset, count, false))
            using (var r = new BinaryReader(stream, Utf8))
            {
                var type = (PersistenceRecordType)r.ReadByte();
                try
                {
                    ApplyFields(type, r);
                }
                catch (EndOfStreamException)
                {
                    throw new InvalidDataException("record of type " + type + " ends early");
                }
                catch (DecoderFallbackException)
                {
                    throw new InvalidDataException("record of type " + type + " holds a string that is not UTF-8");
                }
                if (stream.Position != stream.Length) throw new InvalidDataException("record of type " + type + " has " + (stream.Length - stream.Position) + " unexpected trailing bytes");
                return type != PersistenceRecordType.SnapshotEnd;
            }
        }

        private void ApplyFields(PersistenceRecordType type, BinaryReader r)
        {
            PersistedSession session;
            switch (type)
            {
                case PersistenceRecordType.RetainedSet:
                    var retained = PersistenceRecordCodec.ReadMessage(r);
                    Retained[retained.Topic] = retained;
                    break;
                case PersistenceRecordType.RetainedCleared:
                    Retained.Remove(r.ReadString());
                    break;
                case PersistenceRecordType.SessionCreated:
                    session = GetOrCreate(r.ReadString());
                    session.SessionExpiryInterval = r.ReadUInt32();
                    if (r.BaseStream.Position < r.BaseStream.Length)
                    {
                        var flag = r.ReadByte();
                        if (flag > 1) throw new InvalidDataException("session owner flag " + flag + " is not 0 or 1");
                        session.Owner = flag == 1 ? r.ReadString() : null;
                        session.OwnerKnown = true;
                    }
                    break;
                case PersistenceRecordType.SessionRemoved:
                    Sessions.Remove(r.ReadString());
                    break;
                case PersistenceRecordType.SubscriptionAdded:
                    session = GetOrCreate(r.ReadString());
                    var subscription = PersistenceRecordCodec.ReadSubscription(r);
                    session.Subscriptions[subscription.TopicFilter] = subscription;
                    break;
                case PersistenceRecordType.SubscriptionRemoved:
                    if (Sessions.TryGetValue(r.ReadString(), out session)) session.Subscriptions.Remove(r.ReadString());
                    else r.ReadString();
                    break;
                case PersistenceRecordType.MessageQueued:
                {
                    session = GetOrCreate(r.ReadString());
                    var sequence = r.ReadInt64();
                    var message = PersistenceRecordCodec.ReadMessage(r);
                    session.Messages[sequence] = new PersistedQueuedMessage { Sequence = sequence, Message = message };
                    if (sequence > LastSequence) LastSequence = sequence;
                    break;
                }
                case PersistenceRecordType.MessageAcknowledged:
                {
                    var clientId = r.ReadString();
                    var sequence = r.ReadInt64();
                    if (Sessions.TryGetValue(clientId, out session)) session.Messages.Remove(sequence);
                    break;
                }
                case PersistenceRecordType.MessageInFlight:
                {
                    var clientId = r.ReadString();
                    var sequence = r.ReadInt64();
                    var packetId = r.ReadUInt16();
                    var state = (InFlightState)r.ReadByte();
                    PersistedQueuedMessage queued;
                    if (Sessions.TryGetValue(clientId, out session) && session.Messages.TryGetValue(sequence, out queued))
                    {
                        queued.PacketId = packetId;
                        queued.State = state;
                    }
                    break;
                }
                case PersistenceRecordType.IncomingQoS2Received:
                {
                    session = GetOrCreate(r.ReadString());
                    var packetId = r.ReadUInt16();
                    session.IncomingQoS2[packetId] = PersistenceRecordCodec.ReadMessage(r);
                }
                    break;
                case PersistenceRecordType.IncomingQoS2Released:
                {
                    var clientId = r.ReadString();
                    var packetId = r.ReadUInt16();
                    if (Sessions.TryGetValue(clientId, out session)) session.IncomingQoS2.Remove(packetId);
                    break;
                }
                case PersistenceRecordType.SnapshotEnd:
                    var last = r.ReadInt64();
                    if (last > LastSequence) LastSequence = last;
                    break;
                default:
                    throw new InvalidDataException("unknown record type " + (byte)type);
            }
        }

        /// <summary>
        /// What a record was, read from bytes that failed their checksum (so each field may itself be damaged): its
        /// kind and the client id, topic or filter and sequence it names, e.g. "retained message on 'a/b'".
        /// </summary>
        public static string Describe(byte[] data, int offset, int count)
        {
            var type = count > 0 ? (PersistenceRecordType)data[offset] : 0;
            var text = new StringBuilder();
            try
            {
                using (var stream = new MemoryStream(data, offset, count, false))
                using (var r = new BinaryReader(stream, new UTF8Encoding(false, false)))
                {
                    r.ReadByte();
                    switch (type)
                    {
                        case PersistenceRecordType.RetainedSet: text.Append("retained message on '").Append(r.ReadString()).Append('\''); break;
                        case PersistenceRecordType.RetainedCleared: text.Append("clearing of the retained message on '").Append(r.ReadString()).Append('\''); break;
                        case PersistenceRecordType.SessionCreated: text.Append("session '").Append(r.ReadString()).Append("' (its expiry interval and owner)"); break;
                        case PersistenceRecordType.SessionRemoved: text.Append("end of session '").Append(r.ReadString()).Append('\''); break;
                        case PersistenceRecordType.SubscriptionAdded: text.Append("subscription of session '").Append(r.ReadString()).Append("' to '").Append(r.ReadString()).Append('\''); break;
                        case PersistenceRecordType.SubscriptionRemoved: text.Append("unsubscribe of session '").Append(r.ReadString()).Append("' from '").Append(r.ReadString()).Append('\''); break;
                        case PersistenceRecordType.MessageQueued:
                        {
                            var client = r.ReadString();
                            var sequence = r.ReadInt64();
                            text.Append("message #").Append(sequence).Append(" queued for session '").Append(client).Append("' on '").Append(r.ReadString()).Append('\'');
                            break;
                        }
                        case PersistenceRecordType.MessageAcknowledged:
                        {
                            var client = r.ReadString();
                            text.Append("acknowledgement of message #").Append(r.ReadInt64()).Append(" of session '").Append(client).Append("' (it may be delivered again)");
                            break;
                        }
                        case PersistenceRecordType.MessageInFlight:
                        {
                            var client = r.ReadString();
                            text.Append("in-flight state of message #").Append(r.ReadInt64()).Append(" of session '").Append(client).Append('\'');
                            break;
                        }
                        case PersistenceRecordType.IncomingQoS2Received: text.Append("unreleased QoS 2 message from '").Append(r.ReadString()).Append("', packet id ").Append(r.ReadUInt16()); break;
                        case PersistenceRecordType.IncomingQoS2Released: text.Append("release of a QoS 2 message from '").Append(r.ReadString()).Append("', packet id ").Append(r.ReadUInt16()); break;
                        case PersistenceRecordType.SnapshotEnd: text.Append("snapshot end marker"); break;
                        default: text.Append("record of unknown type ").Append((byte)type); break;
                    }
                }
            }
            catch (Exception e) when (e is IOException || e is ArgumentException || e is FormatException)
            {
                if (text.Length == 0) text.Append("record of type ").Append(type);
                text.Append(" (rest unreadable)");
            }
            return text.Append(", ").Append(count).Append(" bytes").ToString();
        }

        private PersistedSession GetOrCreate(string clientId)
        {
            PersistedSession session;
            if (!Sessions.TryGetValue(clientId, out session))
            {
                session = new PersistedSession(clientId);
                Sessions.Add(clientId, session);
            }
            return session;
        }

        /// <summary>A copy that shares the (never mutated) messages: cheap enough to take under the store's lock, so
        /// the snapshot can be serialised and written while changes keep arriving.</summary>
        public PersistedState Copy()
        {
            var copy = new PersistedState { LastSequence = LastSequence };
            foreach (var r in Retained) copy.Retained.Add(r.Key, r.Value);
            foreach (var s in Sessions) copy.Sessions.Add(s.Key, s.Value.Clone());
            return copy;
        }

        /// <summary>Records that rebuild this state from nothing, ending with the snapshot end marker.</summary>
        public List<byte[]> ToSnapshotRecords()
        {
            var records = new List<byte[]>(Retained.Count + Sessions.Count * 4 + 1);
            foreach (var m in Retained.Values) records.Add(PersistenceRecordCodec.RetainedSet(m));
            foreach (var s in Sessions.Values)
            {
                records.Add(PersistenceRecordCodec.SessionCreated(s.ClientId, s.SessionExpiryInterval, s.Owner, s.OwnerKnown));
                foreach (var sub in s.Subscriptions.Values) records.Add(PersistenceRecordCodec.SubscriptionAdded(s.ClientId, sub));
                foreach (var q in s.Messages.Values)
                {
                    records.Add(PersistenceRecordCodec.MessageQueued(s.ClientId, q.Sequence, q.Message));
                    if (q.PacketId != 0) records.Add(PersistenceRecordCodec.MessageInFlight(s.ClientId, q.Sequence, q.PacketId, q.State));
                }
                foreach (var m in s.IncomingQoS2) records.Add(PersistenceRecordCodec.IncomingQoS2Received(s.ClientId, m.Key, m.Value));
            }
            records.Add(PersistenceRecordCodec.SnapshotEnd(LastSequence));
            return records;
        }
    }
}
