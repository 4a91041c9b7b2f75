using System;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MQTTnet.AspNetCore;
using MQTTnet.Server;

namespace MqttPS.MqttnetHost
{
    /// <summary>
    /// A running MQTTnet server. Plain TCP and TLS use MQTTnet's own socket adapter; with a WebSocket port the server
    /// is hosted in ASP.NET Core (Kestrel serves the WebSocket path), the way MQTTnet's documentation does it.
    /// </summary>
    public sealed class MqttnetServerHost : IAsyncDisposable
    {
        private readonly WebApplication _web;
        private bool _stopped;

        private MqttnetServerHost(MqttServer server, WebApplication web, MqttnetServerSettings settings)
        {
            Server = server;
            _web = web;
            Settings = settings;
        }

        public MqttServer Server { get; }

        /// <summary>The settings with every port resolved to the one in use.</summary>
        public MqttnetServerSettings Settings { get; }

        public int Port => Settings.Port;

        public static async Task<MqttnetServerHost> StartAsync(MqttnetServerSettings settings)
        {
            if (settings == null) throw new ArgumentNullException(nameof(settings));
            if ((settings.TlsPort != 0 || settings.WebSocketTls) && settings.TlsCertificate == null) throw new ArgumentException("A TLS endpoint needs a server certificate.");
            // MQTTnet binds exactly the port it is given and cannot report one chosen by the system: pick free ones
            // here, and try again with new ones should another process take one in between.
            for (var attempt = 1; ; attempt++)
            {
                var resolved = new MqttnetServerSettings
                {
                    BindAddress = settings.BindAddress,
                    Port = settings.Port == 0 ? FreePort(settings.BindAddress) : settings.Port,
                    PersistentSessions = settings.PersistentSessions,
                    MaxPendingMessagesPerClient = settings.MaxPendingMessagesPerClient,
                    TlsPort = settings.TlsPort < 0 ? FreePort(settings.BindAddress) : settings.TlsPort,
                    TlsCertificate = settings.TlsCertificate,
                    WebSocketPort = settings.WebSocketPort < 0 ? FreePort(settings.BindAddress) : settings.WebSocketPort,
                    WebSocketPath = settings.WebSocketPath,
                    WebSocketTls = settings.WebSocketTls,
                };
                try { return await StartResolvedAsync(resolved).ConfigureAwait(false); }
                catch (Exception e) when (attempt < 5 && IsAddressInUse(e) && (settings.Port == 0 || settings.TlsPort < 0 || settings.WebSocketPort < 0)) { }
            }
        }

        private static async Task<MqttnetServerHost> StartResolvedAsync(MqttnetServerSettings s)
        {
            var options = BuildOptions(s);
            if (s.WebSocketPort == 0)
            {
                var server = new MqttServerFactory().CreateMqttServer(options);
                try { await server.StartAsync().ConfigureAwait(false); }
                catch { server.Dispose(); throw; }
                return new MqttnetServerHost(server, null, s);
            }

            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(k => k.Listen(s.BindAddress, s.WebSocketPort, listen =>
            {
                if (s.WebSocketTls) listen.UseHttps(s.TlsCertificate);
            }));
            builder.Services.AddHostedMqttServer(options);
            builder.Services.AddMqttTcpServerAdapter();
            builder.Services.AddMqttConnectionHandler();
            builder.Services.AddConnections();
            var web = builder.Build();
            web.UseWebSockets();
            web.MapMqtt(s.WebSocketPath);
            try { await web.StartAsync().ConfigureAwait(false); }
            catch { await web.DisposeAsync().ConfigureAwait(false); throw; }
            return new MqttnetServerHost(web.Services.GetRequiredService<MqttServer>(), web, s);
        }

        private static MqttServerOptions BuildOptions(MqttnetServerSettings s)
        {
            var b = new MqttServerOptionsBuilder()
                .WithDefaultEndpoint()
                .WithDefaultEndpointBoundIPAddress(s.BindAddress)
                .WithDefaultEndpointPort(s.Port)
                .WithPersistentSessions(s.PersistentSessions)
                .WithMaxPendingMessagesPerClient(s.MaxPendingMessagesPerClient);
            // MQTTnet listens on IPv6 too unless told otherwise; keep it on the address given.
            b.WithDefaultEndpointBoundIPV6Address(IPAddress.None);
            if (s.TlsPort != 0)
            {
                b.WithEncryptedEndpoint()
                    .WithEncryptedEndpointBoundIPAddress(s.BindAddress)
                    .WithEncryptedEndpointBoundIPV6Address(IPAddress.None)
                    .WithEncryptedEndpointPort(s.TlsPort)
                    .WithEncryptionCertificate(s.TlsCertificate);
            }
            return b.Build();
        }

        public async Task StopAsync()
        {
            if (_stopped) return;
            _stopped = true;
            if (_web != null)
            {
                await _web.StopAsync().ConfigureAwait(false);
                await _web.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                await Server.StopAsync(new MqttServerStopOptionsBuilder().Build()).ConfigureAwait(false);
                Server.Dispose();
            }
        }

        public ValueTask DisposeAsync() => new ValueTask(StopAsync());

        private static int FreePort(IPAddress address)
        {
            var listener = new TcpListener(address, 0);
            listener.Start();
            try { return ((IPEndPoint)listener.LocalEndpoint).Port; }
            finally { listener.Stop(); }
        }

        private static bool IsAddressInUse(Exception e)
        {
            for (var x = e; x != null; x = x.InnerException)
            {
                if (x is SocketException se && se.SocketErrorCode == SocketError.AddressAlreadyInUse) return true;
                if (x is AggregateException ae && ae.InnerExceptions.Any(IsAddressInUse)) return true;
                if (x is System.IO.IOException && x.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase)) return true;
            }
            return false;
        }
    }
}
