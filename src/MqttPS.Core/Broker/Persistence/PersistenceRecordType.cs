namespace MqttPS.Core.Broker.Persistence
{
    /// <summary>The kinds of record in the store's log and snapshot files. Values are part of the file format: never renumber.</summary>
    internal enum PersistenceRecordType : byte
    {
        RetainedSet = 1,
        RetainedCleared = 2,
        SessionCreated = 3,
        SessionRemoved = 4,
        SubscriptionAdded = 5,
        SubscriptionRemoved = 6,
        MessageQueued = 7,
        MessageAcknowledged = 8,
        MessageInFlight = 9,
        IncomingQoS2Received = 10,
        IncomingQoS2Released = 11,

        /// <summary>Last record of a complete snapshot; a snapshot without it is ignored.</summary>
        SnapshotEnd = 0xFF,
    }
}
