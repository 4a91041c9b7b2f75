using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using MqttPS.Core.Tests.Infrastructure;

namespace MqttPS.Core.Tests.BrokerProduction
{
    /// <summary>
    /// The embedded broker in a child process (tests/MqttPS.BrokerHost), so a test can kill it with SIGKILL like a
    /// crash. Builds the host once if the solution build did not.
    /// </summary>
    internal sealed class BrokerHostProcess : IDisposable
    {
        private static readonly SemaphoreSlim BuildLock = new SemaphoreSlim(1, 1);
        private readonly ExternalProcess _process;

        private BrokerHostProcess(ExternalProcess process, int port)
        {
            _process = process;
            Port = port;
        }

        public int Port { get; }
        public int ProcessId => _process.Id;
        public string Log => _process.StandardError;

        public static Task<BrokerHostProcess> StartAsync(params string[] arguments) => StartAsync(null, arguments);

        /// <summary>
        /// For tests that bound the host's RSS: a fixed 4 MiB budget for the GC's youngest generation. The runtime
        /// sizes that budget from the L3 cache it is told about; this VM reports 260 MiB of L3, which makes the budget
        /// about 130 MiB, so up to that much garbage sits in RSS between collections and an RSS reading says more
        /// about when the last collection ran than about what the broker holds. With the budget fixed, RSS measures the
        /// broker, the same on any machine.
        /// </summary>
        public static readonly IDictionary<string, string> FixedGcBudget = new Dictionary<string, string> { ["DOTNET_GCgen0size"] = "0x400000" };

        /// <summary>Starts the host with extra environment variables (e.g. a fixed GC budget for memory tests).</summary>
        public static async Task<BrokerHostProcess> StartAsync(IDictionary<string, string> environment, params string[] arguments)
        {
            var dll = await LocateAsync();
            var args = new List<string> { dll, "--port", "0", "--bind", "127.0.0.1" };
            args.AddRange(arguments);
            var process = ExternalProcess.Start("dotnet", args, environment: environment);
            try
            {
                var lines = await process.WaitForLinesAsync(1, TimeSpan.FromSeconds(60));
                return new BrokerHostProcess(process, int.Parse(lines[0].Trim()));
            }
            catch
            {
                process.Dispose();
                throw;
            }
        }

        /// <summary>The host's resident set size (VmRSS) in KiB.</summary>
        public long RssKiB => ProcessMemory.RssKiB(ProcessId);

        /// <summary>The host's peak resident set size (VmHWM) in KiB since it started or <see cref="ResetPeakRss"/>.</summary>
        public long PeakRssKiB => ProcessMemory.PeakRssKiB(ProcessId);

        /// <summary>Starts a new peak (see <see cref="ProcessMemory.ResetPeak"/>).</summary>
        public void ResetPeakRss() => ProcessMemory.ResetPeak(ProcessId);

        /// <summary>SIGKILL: no shutdown code runs, nothing is flushed by the broker.</summary>
        public async Task KillAsync()
        {
            _process.Kill();
            await _process.WaitForExitAsync(TimeSpan.FromSeconds(10));
        }

        private static async Task<string> LocateAsync()
        {
            var baseDir = AppContext.BaseDirectory;
            var configuration = baseDir.Replace('\\', '/').Contains("/bin/Debug/") ? "Debug" : "Release";
            var root = new DirectoryInfo(baseDir);
            while (root != null && !File.Exists(Path.Combine(root.FullName, "MqttPS.sln"))) root = root.Parent;
            if (root == null) throw new InvalidOperationException("cannot find the repository root above " + baseDir);
            var project = Path.Combine(root.FullName, "tests", "MqttPS.BrokerHost");
            var dll = Path.Combine(project, "bin", configuration, "net10.0", "MqttPS.BrokerHost.dll");
            await BuildLock.WaitAsync();
            try
            {
                var core = Path.Combine(root.FullName, "src", "MqttPS.Core", "bin", configuration, "netstandard2.0", "MqttPS.Core.dll");
                var stale = !File.Exists(dll) || (File.Exists(core) && File.GetLastWriteTimeUtc(core) > File.GetLastWriteTimeUtc(dll));
                if (stale)
                {
                    using (var build = await ExternalProcess.RunAsync("dotnet", new[] { "build", project, "-c", configuration, "--nologo", "-v", "q" }, TimeSpan.FromMinutes(3)))
                        if (build.ExitCode != 0) throw new InvalidOperationException("building MqttPS.BrokerHost failed: " + build.StandardOutput + build.StandardError);
                }
            }
            finally
            {
                BuildLock.Release();
            }
            return dll;
        }

        public void Dispose() => _process.Dispose();
    }
}
