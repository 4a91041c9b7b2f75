using System;
using System.IO;
using System.Net;
using System.Threading;
using System.Threading.Tasks;

namespace MqttPS.Core.Broker
{
    /// <summary>
    /// A source of client connections: TCP here; TLS and WebSocket listeners wrap their streams and hand them over the
    /// same way, so the broker's protocol code never knows the transport.
    /// </summary>
    public interface IMqttBrokerListener : IDisposable
    {
        /// <summary>Human-readable name, e.g. "tcp 0.0.0.0:1883".</summary>
        string Name { get; }

        /// <summary>The bound endpoint (valid after start).</summary>
        IPEndPoint LocalEndPoint { get; }

        /// <summary>Starts accepting; every accepted connection is passed to <paramref name="accepted"/>.</summary>
        Task StartAsync(Func<MqttAcceptedConnection, Task> accepted, CancellationToken cancellationToken);

        Task StopAsync();
    }
}
