using System;
using System.Linq;
using System.Threading.Tasks;
using MqttPS.Core.Client;
using MqttPS.Core.Messages;
using MqttPS.Core.Protocol;
using Xunit;

namespace MqttPS.Core.Tests.Broker
{
    /// <summary>
    /// On Linux every other broker test runs over the epoll engine; these run the same kind of traffic over .NET's
    /// NetworkStream, the path Windows and macOS take (and MQTTPS_SOCKET_ENGINE=dotnet), so that path keeps its own
    /// coverage here. Each case runs on both engines.
    /// </summary>
    public sealed class SocketEngineTests
    {
        private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

        private static Task<MqttClient> ConnectAsync(BrokerTestHost host, string clientId) => OurClientTests.ConnectAsync(host, clientId);

        private static Task<MqttMessage> ReceiveAsync(MqttClient client) => OurClientTests.ReceiveAsync(client, Wait);

        [Theory]
        [InlineData(false)]
        [InlineData(true)]
        public async Task Messages_of_every_QoS_and_a_large_payload_arrive_in_order(bool epoll)
        {
            if (epoll && !MqttPS.Core.Transport.Epoll.EpollEventLoop.IsSupported) return; // the .NET case still runs everywhere
            await using var host = await BrokerTestHost.StartAsync(o => o.UseEpollSockets = epoll);
            using var sub = await ConnectAsync(host, "engine-sub");
            using var pub = await ConnectAsync(host, "engine-pub");
            await sub.SubscribeAsync("engine/#", MqttQualityOfService.ExactlyOnce);

            const int perQoS = 300;
            foreach (var qos in new[] { MqttQualityOfService.AtMostOnce, MqttQualityOfService.AtLeastOnce, MqttQualityOfService.ExactlyOnce })
            {
                for (var i = 0; i < perQoS; i++) await pub.PublishAsync(new MqttMessage("engine/" + (int)qos, "m" + i, qos));
                for (var i = 0; i < perQoS; i++)
                {
                    var m = await ReceiveAsync(sub);
                    Assert.NotNull(m);
                    Assert.Equal("engine/" + (int)qos, m.Topic);
                    Assert.Equal("m" + i, m.PayloadText);
                }
            }

            // Bigger than the socket buffers on both sides: the broker's write has to wait for the subscriber.
            var big = Enumerable.Range(0, 4 * 1024 * 1024).Select(i => (byte)(i * 31)).ToArray();
            await pub.PublishAsync(new MqttMessage("engine/big", big, MqttQualityOfService.AtLeastOnce));
            var received = await ReceiveAsync(sub);
            Assert.NotNull(received);
            Assert.Equal(big, received.Payload);
        }

        [Theory]
        [InlineData(false)]
        [InlineData(true)]
        public async Task A_client_that_goes_away_is_noticed_and_its_will_is_published(bool epoll)
        {
            if (epoll && !MqttPS.Core.Transport.Epoll.EpollEventLoop.IsSupported) return;
            await using var host = await BrokerTestHost.StartAsync(o => o.UseEpollSockets = epoll);
            using var watcher = await ConnectAsync(host, "engine-watcher");
            await watcher.SubscribeAsync("engine/will", MqttQualityOfService.AtLeastOnce);
            var (dying, connAck) = await RawMqttClient.ConnectAsync(host.Port, "engine-dying", configure: c => c.Will = new MqttWillMessage
            {
                Topic = "engine/will",
                Payload = System.Text.Encoding.UTF8.GetBytes("gone"),
                QoS = MqttQualityOfService.AtLeastOnce,
            });
            Assert.Equal(ConnectReasonCode.Success, connAck.ReasonCode);
            dying.Dispose();   // the socket closes without DISCONNECT
            var will = await ReceiveAsync(watcher);
            Assert.NotNull(will);
            Assert.Equal("gone", will.PayloadText);
            await host.WaitForDisconnectAsync("engine-dying");
        }
    }
}
