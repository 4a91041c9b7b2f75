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

        /// <summary>Bytes that could not be used: damaged records that were skipped, and a torn tail cut from the active log.</summary>
        public long BytesDropped { get; internal set; }

        /// <summary>One line per damaged file: which file, at which offsets, what was wrong, what was skipped, and where
        /// the damaged file was kept.</summary>
        public List<string> Problems { get; } = new List<string>();

        /// <summary>What was lost, one line per damaged record: file and offset, then what the record was as far as its
        /// bytes still tell (e.g. "retained message on 'a/b'", "subscription of session 'c' to 'f/#'").</summary>
        public List<string> Lost { get; } = new List<string>();

        /// <summary>Copies of the damaged files, in the store's damaged/ folder, as they were found.</summary>
        public List<string> DamagedFilesKept { get; } = new List<string>();

        public TimeSpan Duration { get; internal set; }

        public bool IsClean => Problems.Count == 0;

        public override string ToString()
        {
            var text = new StringBuilder();
            text.Append("recovered ").Append(RecordsReplayed).Append(" records from ").Append(FilesRead).Append(" file(s) in ")
                .Append((long)Duration.TotalMilliseconds).Append(" ms: ").Append(RetainedMessages).Append(" retained, ")
                .Append(Sessions).Append(" sessions, ").Append(QueuedMessages).Append(" queued");
            foreach (var p in Problems) text.Append("; ").Append(p);
            if (Lost.Count > 0)
            {
                text.Append("; lost: ");
                for (var i = 0; i < Lost.Count && i < 20; i++) text.Append(i == 0 ? "" : ", ").Append(Lost[i]);
                if (Lost.Count > 20) text.Append(" and ").Append(Lost.Count - 20).Append(" more (Lost lists all)");
            }
            return text.ToString();
        }
    }
}
