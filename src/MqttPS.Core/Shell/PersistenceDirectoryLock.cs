using System;
using System.IO;

namespace MqttPS.Core.Shell
{
    /// <summary>
    /// Keeps a second Start-MqttBroker (in this session or another PowerShell process) off a persistence directory that
    /// a running broker writes: two writers on one store would interleave their logs and lose data. Held as an
    /// exclusive open of "broker.lock" in the directory (the operating system releases it when the process ends, so a
    /// killed broker leaves no stale lock behind).
    /// </summary>
    public sealed class PersistenceDirectoryLock : IDisposable
    {
        public const string FileName = "broker.lock";
        private FileStream _file;

        private PersistenceDirectoryLock(FileStream file)
        {
            _file = file;
        }

        public static PersistenceDirectoryLock Acquire(string directory, string brokerName)
        {
            var path = Path.Combine(directory, FileName);
            try
            {
                var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                // Who holds it, for a person looking at the directory; the lock itself is the open handle.
                var text = System.Text.Encoding.UTF8.GetBytes("broker '" + brokerName + "', process " + System.Diagnostics.Process.GetCurrentProcess().Id + "\n");
                file.SetLength(0);
                file.Write(text, 0, text.Length);
                file.Flush();
                return new PersistenceDirectoryLock(file);
            }
            catch (IOException e)
            {
                throw new MqttShellException("PersistencePathInUse", ShellErrorCategory.ResourceUnavailable,
                    "The persistence directory '" + directory + "' is in use by another running broker; stop it first or choose another -PersistencePath.", directory, e);
            }
            catch (UnauthorizedAccessException e)
            {
                throw new MqttShellException("InvalidPersistencePath", ShellErrorCategory.OpenError,
                    "Cannot write to the persistence directory '" + directory + "': " + e.Message, directory, e);
            }
        }

        public void Dispose()
        {
            System.Threading.Interlocked.Exchange(ref _file, null)?.Dispose();
        }
    }
}
