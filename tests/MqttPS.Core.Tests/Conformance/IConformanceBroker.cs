using System;
using System.Threading.Tasks;

namespace MqttPS.Core.Tests.Conformance
{
    /// <summary>
    /// A broker the sequences are played against: the embedded one here, or another (mosquitto, MQTTnet) when the
    /// runner is used to count how many of the sequences that broker passes. One is started per group of sequences.
    /// </summary>
    public interface IConformanceBroker : IAsyncDisposable
    {
        int Port { get; }

        /// <summary>Waits (at most <paramref name="timeout"/>) until the broker has no client connections left, so the
        /// next sequence meets none of the previous one's state; brokers that cannot tell just return.</summary>
        Task WaitUntilNoConnectionsAsync(TimeSpan timeout);
    }
}
