using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace MqttPS.Core.Tests.Infrastructure
{
    /// <summary>
    /// A child process (mosquitto, mosquitto_pub, python3, openssl) with its output captured. Disposing kills it
    /// by its process id, so no test leaves a server behind.
    /// </summary>
    public sealed class ExternalProcess : IDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _stdout = new StringBuilder();
        private readonly StringBuilder _stderr = new StringBuilder();
        private readonly List<string> _lines = new List<string>();
        private readonly SemaphoreSlim _lineArrived = new SemaphoreSlim(0);

        private ExternalProcess(Process process)
        {
            _process = process;
        }

        public int Id => _process.Id;
        public bool HasExited => _process.HasExited;
        public int ExitCode => _process.ExitCode;

        public string StandardOutput { get { lock (_stdout) return _stdout.ToString(); } }
        public string StandardError { get { lock (_stderr) return _stderr.ToString(); } }

        public static bool IsOnPath(string command)
        {
            foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':'))
            {
                if (dir.Length > 0 && System.IO.File.Exists(System.IO.Path.Combine(dir, command))) return true;
            }
            return false;
        }

        public static ExternalProcess Start(string fileName, IEnumerable<string> arguments, string standardInput = null, IDictionary<string, string> environment = null)
        {
            var info = new ProcessStartInfo(fileName)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = standardInput != null,
                UseShellExecute = false,
            };
            foreach (var a in arguments) info.ArgumentList.Add(a);
            if (environment != null) foreach (var e in environment) info.Environment[e.Key] = e.Value;
            var process = new Process { StartInfo = info, EnableRaisingEvents = true };
            var result = new ExternalProcess(process);
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data == null) return;
                lock (result._stdout) { result._stdout.AppendLine(e.Data); result._lines.Add(e.Data); }
                result._lineArrived.Release();
            };
            process.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (result._stderr) result._stderr.AppendLine(e.Data); };
            if (!process.Start()) throw new InvalidOperationException("could not start " + fileName);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            if (standardInput != null)
            {
                process.StandardInput.Write(standardInput);
                process.StandardInput.Close();
            }
            return result;
        }

        /// <summary>Runs a command to its end (bounded by <paramref name="timeout"/>) and returns it.</summary>
        public static async Task<ExternalProcess> RunAsync(string fileName, IEnumerable<string> arguments, TimeSpan timeout, string standardInput = null)
        {
            var p = Start(fileName, arguments, standardInput);
            await p.WaitForExitAsync(timeout).ConfigureAwait(false);
            return p;
        }

        public async Task WaitForExitAsync(TimeSpan timeout)
        {
            using (var cts = new CancellationTokenSource(timeout))
            {
                try { await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false); }
                catch (OperationCanceledException)
                {
                    Kill();
                    throw new TimeoutException(_process.StartInfo.FileName + " did not exit within " + timeout + "; stderr: " + StandardError);
                }
            }
            _process.WaitForExit(); // flushes the asynchronous output readers
        }

        /// <summary>Waits until the process has printed at least <paramref name="count"/> lines of output.</summary>
        public async Task<IReadOnlyList<string>> WaitForLinesAsync(int count, TimeSpan timeout)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (true)
            {
                lock (_stdout) if (_lines.Count >= count) return _lines.ToArray();
                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero || !await _lineArrived.WaitAsync(left).ConfigureAwait(false))
                {
                    lock (_stdout)
                        throw new TimeoutException("expected " + count + " lines from " + _process.StartInfo.FileName + ", got " + _lines.Count + ": " + string.Join(" | ", _lines) + " stderr: " + StandardError);
                }
            }
        }

        public void Kill()
        {
            try { if (!_process.HasExited) _process.Kill(true); } catch (InvalidOperationException) { }
        }

        public void Dispose()
        {
            Kill();
            try { _process.WaitForExit(5000); } catch (InvalidOperationException) { }
            _process.Dispose();
        }
    }
}
