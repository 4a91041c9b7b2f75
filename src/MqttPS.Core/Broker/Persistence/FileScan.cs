using System.Collections.Generic;

namespace MqttPS.Core.Broker.Persistence
{
    /// <summary>What reading one store file found (see <see cref="PersistenceFile.ReadRecords"/>).</summary>
    internal sealed class FileScan
    {
        public string Path;
        public long Length;
        public long RecordCount;
        public string HeaderProblem;
        public bool NewerFormat;
        public bool EndMarker;
        public List<DamagedRange> Damaged = new List<DamagedRange>();

        /// <summary>Where damage runs to the end of the file with no intact record after it (-1: none).</summary>
        public long TailStart = -1;
        public string TailProblem;
        public List<string> TailRecords;

        /// <summary>The offset after the last intact record before any damaged tail.</summary>
        public long GoodEnd;

        public bool IsClean => HeaderProblem == null && Damaged.Count == 0 && TailStart < 0;
    }
}
