using System;
using System.Collections.Generic;
using System.Text;

namespace MqttPS.Core.Broker.Persistence
{
    /// <summary>What opening a store found: how much was replayed, what was damaged and dropped, and how long it took.</summary>
    public sealed class MqttRecoveryReport
    {
        public string Directory { get; internal set; }
        public int FilesRead { get; internal set; }
        public long RecordsReplayed { get; internal set; }
        public int RetainedMessages { get; internal set; }
        public int Sessions { get; internal set; }
        public int QueuedMessages { get; internal set; }

        /// <summary>Bytes cut from the end of a log because the last record was incomplete or failed its checksum.</summary>
        public long BytesDropped { get; internal set; }

        /// <summary>One line per damaged file: which file, at which offset, what was wrong, what was dropped.</summary>
        public List<string> Problems { get; } = new List<string>();

        public TimeSpan Duration { get; internal set; }

        public bool IsClean => Problems.Count == 0;

        public override string ToString()
        {
            var text = new StringBuilder();
            text.Append("recovered ").Append(RecordsReplayed).Append(" records from ").Append(FilesRead).Append(" file(s) in ")
                .Append((long)Duration.TotalMilliseconds).Append(" ms: ").Append(RetainedMessages).Append(" retained, ")
                .Append(Sessions).Append(" sessions, ").Append(QueuedMessages).Append(" queued");
            foreach (var p in Problems) text.Append("; ").Append(p);
            return text.ToString();
        }
    }
}
