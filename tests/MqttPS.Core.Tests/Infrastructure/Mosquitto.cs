using System;
using System.Collections.Generic;
using System.IO;
using System.Net.Sockets;
using System.Threading.Tasks;
using Xunit;

namespace MqttPS.Core.Tests.Infrastructure
{
    /// <summary>
    /// A real Eclipse Mosquitto broker started for one test on a free loopback port, with a configuration
    /// written to a temporary directory. Dispose stops it by its process id.
    /// </summary>
    public sealed class Mosquitto : IDisposable
    {
        public const string Executable = "/usr/sbin/mosquitto";
        private ExternalProcess _process;

        private Mosquitto(string directory, int port, string configPath)
        {
            Directory = directory;
            Port = port;
            ConfigPath = configPath;
        }

        public string Directory { get; }
        public int Port { get; }
        public string ConfigPath { get; }
        public int ProcessId => _process.Id;
        public string Log => _process.StandardError + _process.StandardOutput;

        public static bool IsInstalled => File.Exists(Executable);

        /// <summary>Starts mosquitto; <paramref name="extraConfig"/> lines are appended to a loopback listener
        /// with anonymous access allowed (unless the extra lines say otherwise).</summary>
        public static async Task<Mosquitto> StartAsync(IEnumerable<string> extraConfig = null, int? port = null, string directory = null)
        {
            Assert.True(IsInstalled, "mosquitto is not installed: run .ci/run, which installs Debian's mosquitto");
            directory = directory ?? System.IO.Directory.CreateTempSubdirectory("mqttps-mosquitto-").FullName;
            var chosenPort = port ?? FreePort.Next();
            var lines = new List<string> { "listener " + chosenPort + " 127.0.0.1", "persistence false" };
            var extra = extraConfig == null ? new List<string>() : new List<string>(extraConfig);
            if (!extra.Exists(l => l.StartsWith("allow_anonymous", StringComparison.Ordinal))) lines.Add("allow_anonymous true");
            lines.AddRange(extra);
            var configPath = Path.Combine(directory, "mosquitto.conf");
            File.WriteAllLines(configPath, lines);
            var broker = new Mosquitto(directory, chosenPort, configPath);
            await broker.RestartAsync().ConfigureAwait(false);
            return broker;
        }

        /// <summary>(Re)starts the process with the same configuration and port.</summary>
        public async Task RestartAsync()
        {
            _process?.Dispose();
            _process = ExternalProcess.Start(Executable, new[] { "-c", ConfigPath });
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (DateTime.UtcNow < deadline)
            {
                if (_process.HasExited) throw new InvalidOperationException("mosquitto exited: " + Log);
                try
                {
                    using (var probe = new TcpClient())
                    {
                        await probe.ConnectAsync("127.0.0.1", Port).ConfigureAwait(false);
                        return;
                    }
                }
                catch (SocketException) { await Task.Delay(50).ConfigureAwait(false); }
            }
            throw new TimeoutException("mosquitto did not listen on port " + Port + ": " + Log);
        }

        /// <summary>Kills the process abruptly (SIGKILL), as a crash would.</summary>
        public void Kill() => _process.Kill();

        public void Dispose()
        {
            _process?.Dispose();
            try { System.IO.Directory.Delete(Directory, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
