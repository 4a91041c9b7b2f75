using System;

namespace MqttPS.Core.Broker.Persistence
{
    /// <summary>Settings of a <see cref="MqttPersistentStore"/>.</summary>
    public sealed class MqttPersistenceOptions
    {
        public PersistenceDurability Durability { get; set; } = PersistenceDurability.PerMessage;

        /// <summary>Group-commit window of <see cref="PersistenceDurability.Batched"/>.</summary>
        public TimeSpan BatchWindow { get; set; } = TimeSpan.FromMilliseconds(5);

        /// <summary>The log is compacted into a snapshot once it is this large and at least twice the size of the last
        /// snapshot (so a store that is mostly live data is not rewritten over and over).</summary>
        public long CompactionThresholdBytes { get; set; } = 64L * 1024 * 1024;
    }
}
