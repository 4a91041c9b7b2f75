using System.Net;
using System.Net.Sockets;

namespace MqttPS.Core.Tests.Infrastructure
{
    /// <summary>Finds a free TCP port on loopback by binding port 0 and releasing it.</summary>
    public static class FreePort
    {
        public static int Next()
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            try { return ((IPEndPoint)listener.LocalEndpoint).Port; }
            finally { listener.Stop(); }
        }
    }
}
