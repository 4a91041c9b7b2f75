using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace MqttPS.Core.Tests.Infrastructure
{
    /// <summary>
    /// A loopback TCP relay between a client and a broker, so a test can cut connections at a chosen moment (as a
    /// network failure would: no DISCONNECT) and watch the bytes flowing to the client. <see cref="ServerToClientFilter"/>
    /// sees each chunk from the broker before it is relayed and may cut the connection instead of relaying it.
    /// </summary>
    public sealed class TcpProxy : IDisposable
    {
        private readonly TcpListener _listener;
        private readonly int _targetPort;
        private readonly CancellationTokenSource _stop = new CancellationTokenSource();
        private readonly List<Pair> _pairs = new List<Pair>();
        private readonly Task _acceptLoop;

        public TcpProxy(int targetPort)
        {
            _targetPort = targetPort;
            _listener = new TcpListener(IPAddress.Loopback, 0);
            _listener.Start();
            _acceptLoop = AcceptLoopAsync();
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        /// <summary>Called for each chunk broker -> client; return false to cut that connection instead of relaying.</summary>
        public Func<byte[], int, bool> ServerToClientFilter { get; set; }

        /// <summary>Called for each chunk client -> broker; return false to cut that connection instead of relaying.</summary>
        public Func<byte[], int, bool> ClientToServerFilter { get; set; }

        /// <summary>While true, bytes from the broker are held back (not relayed, connection kept open): a silent link.</summary>
        public volatile bool HoldServerToClient;

        public int ConnectionCount { get { lock (_pairs) return _pairs.Count; } }

        /// <summary>Drops every relayed connection abruptly (both sockets closed, nothing more relayed).</summary>
        public void CutAll()
        {
            lock (_pairs)
            {
                foreach (var p in _pairs) p.Cut();
                _pairs.Clear();
            }
        }

        private async Task AcceptLoopAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                TcpClient client;
                try { client = await _listener.AcceptTcpClientAsync().ConfigureAwait(false); }
                catch (Exception) { return; }
                var server = new TcpClient();
                try { await server.ConnectAsync(IPAddress.Loopback, _targetPort).ConfigureAwait(false); }
                catch (Exception)
                {
                    client.Dispose();
                    server.Dispose();
                    continue;
                }
                client.NoDelay = true;
                server.NoDelay = true;
                var pair = new Pair(client, server);
                lock (_pairs) _pairs.Add(pair);
                _ = RelayAsync(pair, client, server, () => ClientToServerFilter);
                _ = RelayAsync(pair, server, client, () => ServerToClientFilter);
            }
        }

        private async Task RelayAsync(Pair pair, TcpClient from, TcpClient to, Func<Func<byte[], int, bool>> filter)
        {
            var buffer = new byte[65536];
            try
            {
                var input = from.GetStream();
                var output = to.GetStream();
                while (true)
                {
                    var n = await input.ReadAsync(buffer, 0, buffer.Length, _stop.Token).ConfigureAwait(false);
                    if (n == 0) break;
                    while (HoldServerToClient && to == pair.Client) await Task.Delay(10, _stop.Token).ConfigureAwait(false);
                    var f = filter?.Invoke();
                    if (f != null && !f(buffer, n))
                    {
                        pair.Cut();
                        return;
                    }
                    await output.WriteAsync(buffer, 0, n, _stop.Token).ConfigureAwait(false);
                }
            }
            catch (Exception) { }
            pair.Cut();
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
            CutAll();
        }

        private sealed class Pair
        {
            private readonly TcpClient _a;
            private readonly TcpClient _b;
            public Pair(TcpClient a, TcpClient b) { _a = a; _b = b; }
            public TcpClient Client => _a;
            public void Cut()
            {
                try { _a.Client.LingerState = new LingerOption(true, 0); } catch (Exception) { }
                _a.Dispose();
                _b.Dispose();
            }
        }
    }
}
