using System;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using MqttPS.Core.Broker;
using MqttPS.Core.Client;
using MqttPS.Core.Messages;
using MqttPS.Core.Protocol;
using MqttPS.Core.Transport;
using Xunit;

namespace MqttPS.Core.Tests.Broker
{
    /// <summary>The broker's busy-polling after reads: the readiness probe it stops on, the spin itself, and a broker
    /// that spins still delivering every QoS flow.</summary>
    public sealed class EventLoopSpinTests
    {
        /// <summary>A connected loopback pair: the server side is what the broker would register.</summary>
        private static (Socket server, Socket client, TcpListener listener) ConnectedPair()
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            client.Connect(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
            var server = listener.AcceptSocket();
            return (server, client, listener);
        }

        private static bool Within(TimeSpan timeout, Func<bool> condition)
        {
            var sw = Stopwatch.StartNew();
            while (sw.Elapsed < timeout)
            {
                if (condition()) return true;
                Thread.Sleep(5);
            }
            return condition();
        }

        [Fact]
        public void Readiness_probe_exists_on_Linux_only()
        {
            using var probe = SocketReadinessProbe.TryCreate();
            Assert.Equal(RuntimeInformation.IsOSPlatform(OSPlatform.Linux), probe != null);
        }

        [Fact]
        public void Readiness_probe_reports_unread_input_on_any_registered_socket_until_it_is_read()
        {
            using var probe = SocketReadinessProbe.TryCreate();
            if (probe == null) return; // not Linux: covered by Readiness_probe_exists_on_Linux_only
            var (server1, client1, listener1) = ConnectedPair();
            var (server2, client2, listener2) = ConnectedPair();
            try
            {
                probe.Add(server1);
                probe.Add(server2);
                Assert.False(probe.AnyReadable());

                client2.Send(new byte[] { 0xC0, 0x00 });
                Assert.True(Within(TimeSpan.FromSeconds(5), probe.AnyReadable), "input on the second socket was not reported");

                var buffer = new byte[16];
                Assert.Equal(2, server2.Receive(buffer));
                Assert.False(probe.AnyReadable());

                // A socket that closes is dropped from the set by the kernel; the others are still watched.
                server1.Dispose();
                Assert.False(probe.AnyReadable());
                client2.Send(new byte[] { 1 });
                Assert.True(Within(TimeSpan.FromSeconds(5), probe.AnyReadable));
            }
            finally
            {
                foreach (var s in new[] { server1, client1, server2, client2 }) s.Dispose();
                listener1.Stop();
                listener2.Stop();
            }
        }

        [Fact]
        public void Spin_keeps_a_busy_thread_awake_while_nothing_is_waiting()
        {
            using var spin = new EventLoopSpin(50_000);
            if (!spin.IsEnabled) return;
            var (server, client, listener) = ConnectedPair();
            try
            {
                spin.Add(server);
                spin.AfterRead(EventLoopSpin.ReadStarted()); // this thread's first read: not load yet, no spin
                var sw = Stopwatch.StartNew();
                spin.AfterRead(EventLoopSpin.ReadStarted()); // right after the previous one: load, spins
                Assert.True(sw.ElapsedMilliseconds >= 40, "spun only " + sw.ElapsedMilliseconds + " ms of 50");
            }
            finally { server.Dispose(); client.Dispose(); listener.Stop(); }
        }

        [Fact]
        public void Spin_ends_at_once_when_a_connection_has_input_waiting()
        {
            // A 5 s spin that must not happen: input is already waiting to be handled.
            using var spin = new EventLoopSpin(5_000_000);
            if (!spin.IsEnabled) return;
            var (server, client, listener) = ConnectedPair();
            try
            {
                spin.Add(server);
                client.Send(new byte[] { 0xC0, 0x00 });
                Assert.True(Within(TimeSpan.FromSeconds(5), () => server.Available > 0));
                spin.AfterRead(EventLoopSpin.ReadStarted());
                var sw = Stopwatch.StartNew();
                spin.AfterRead(EventLoopSpin.ReadStarted());
                Assert.True(sw.ElapsedMilliseconds < 2_500, "spun " + sw.ElapsedMilliseconds + " ms with input waiting");
            }
            finally { server.Dispose(); client.Dispose(); listener.Stop(); }
        }

        [Fact]
        public void A_thread_that_reads_rarely_never_spins()
        {
            using var spin = new EventLoopSpin(50_000);
            if (!spin.IsEnabled) return;
            spin.AfterRead(EventLoopSpin.ReadStarted());
            Thread.Sleep(1_100); // beyond the busy gap (20 spin times = 1 s)
            var sw = Stopwatch.StartNew();
            spin.AfterRead(EventLoopSpin.ReadStarted());
            Assert.True(sw.ElapsedMilliseconds < 25, "spun " + sw.ElapsedMilliseconds + " ms after an idle second");
        }

        [Theory]
        [InlineData(MqttQualityOfService.AtMostOnce)]
        [InlineData(MqttQualityOfService.AtLeastOnce)]
        [InlineData(MqttQualityOfService.ExactlyOnce)]
        public async Task A_spinning_broker_delivers_every_message_in_order(MqttQualityOfService qos)
        {
            await using var host = await BrokerTestHost.StartAsync(o => o.EventLoopSpinMicroseconds = 5);
            using var sub = new MqttClient(new MqttClientOptions("127.0.0.1", host.Port) { ClientId = "spin-sub" });
            using var pub = new MqttClient(new MqttClientOptions("127.0.0.1", host.Port) { ClientId = "spin-pub" });
            await sub.ConnectAsync();
            await pub.ConnectAsync();
            await sub.SubscribeAsync("spin/#", qos);
            const int count = 2_000;
            var publishing = Task.Run(async () =>
            {
                for (var i = 0; i < count; i++) await pub.PublishAsync(new MqttMessage("spin/" + (i % 7), "m" + i, qos));
            });
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            for (var i = 0; i < count; i++)
            {
                var m = await sub.ReceiveAsync(cts.Token);
                Assert.Equal("m" + i, m.PayloadText);
            }
            await publishing;
        }
    }
}
