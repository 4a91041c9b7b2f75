using System.Collections.Generic;

namespace MqttPS.Core.Broker.Persistence
{
    /// <summary>A stretch of a store file that was skipped: where, why, and what records it held.</summary>
    internal sealed class DamagedRange
    {
        public long Offset;
        public long Length;
        public string Problem;
        public List<string> Records;
    }
}
