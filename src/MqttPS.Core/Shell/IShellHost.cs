using System.Threading;

namespace MqttPS.Core.Shell
{
    /// <summary>
    /// What a cmdlet lends the PowerShell-free layer while it runs. Every member is called on the pipeline
    /// thread only: this layer queues what arrives on network threads and hands it over while it waits.
    /// </summary>
    public interface IShellHost
    {
        /// <summary>Cancelled by the cmdlet's StopProcessing (Ctrl+C, or a downstream Select-Object -First).</summary>
        CancellationToken Stopping { get; }

        void WriteVerbose(string text);

        void WriteWarning(string text);

        /// <summary>Reports a wait in progress; <paramref name="percentComplete"/> is -1 when unknown.</summary>
        void WriteProgress(string activity, string status, int percentComplete);

        /// <summary>Removes the progress bar written by <see cref="WriteProgress"/>.</summary>
        void CompleteProgress(string activity);
    }
}
