using System;
using System.IO;

namespace MqttPS.Core.Tests.Infrastructure
{
    /// <summary>A process's resident memory from /proc (Linux): now, and its peak since start or the last reset.</summary>
    public static class ProcessMemory
    {
        /// <summary>VmRSS in KiB.</summary>
        public static long RssKiB(int pid) => ReadStatus(pid, "VmRSS:");

        /// <summary>VmHWM, the peak resident set size, in KiB.</summary>
        public static long PeakRssKiB(int pid) => ReadStatus(pid, "VmHWM:");

        /// <summary>Starts a new peak: the kernel resets VmHWM to the current RSS (clear_refs 5; needs the right to write it).</summary>
        public static void ResetPeak(int pid) => File.WriteAllText("/proc/" + pid + "/clear_refs", "5");

        private static long ReadStatus(int pid, string field)
        {
            foreach (var line in File.ReadAllLines("/proc/" + pid + "/status"))
                if (line.StartsWith(field, StringComparison.Ordinal)) return long.Parse(line.Substring(field.Length).Trim().Split(' ')[0]);
            return -1;
        }
    }
}
