namespace MqttPS.Core.Broker.Persistence
{
    /// <summary>
    /// When a stored record counts as durable, i.e. when the task returned by the store completes and the broker may
    /// acknowledge. Every mode survives a killed broker process (the data is at least in the operating system's
    /// cache); they differ in what survives a power loss or kernel crash, and in cost.
    /// </summary>
    public enum PersistenceDurability
    {
        /// <summary>fsync before completing. Records that arrive while a sync is running share the next one (group
        /// commit without added delay), so throughput scales with concurrency. Survives power loss. The default.</summary>
        PerMessage = 0,

        /// <summary>Collect records for up to <see cref="MqttPersistenceOptions.BatchWindow"/>, then one fsync for all;
        /// acknowledgements wait for that sync. Survives power loss. Pays off only where fsync is slow (SD cards,
        /// network disks) and many publishers write at once: with a few closed-loop publishers each waits out the
        /// window, and <see cref="PerMessage"/> (whose group commit forms while the previous sync runs) is faster.</summary>
        Batched = 1,

        /// <summary>Complete once the record is written to the operating system, without fsync. Survives the broker
        /// process being killed, not a power loss or kernel crash.</summary>
        None = 2,
    }
}
