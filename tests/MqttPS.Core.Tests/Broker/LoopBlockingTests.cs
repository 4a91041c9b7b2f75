using System;
using System.Threading;
using System.Threading.Tasks;
using MqttPS.Core.Broker;
using MqttPS.Core.Messages;
using MqttPS.Core.Protocol;
using Xunit;

namespace MqttPS.Core.Tests.Broker
{
    /// <summary>
    /// On Linux the broker's work runs on its epoll loop's own thread (one loop on a small machine, like mosquitto's),
    /// so anything that blocks there would stall every client. What may block runs elsewhere: these block it on
    /// purpose, and check that other clients are served meanwhile.
    /// </summary>
    public sealed class LoopBlockingTests
    {
        private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

        /// <summary>Blocks the calling thread for client "slow" until released (at most 20 s), as an authenticator that
        /// asks a database synchronously would.</summary>
        private sealed class BlockingAuthenticator : IMqttBrokerAuthenticator
        {
            public readonly ManualResetEventSlim Entered = new ManualResetEventSlim();
            public readonly ManualResetEventSlim Release = new ManualResetEventSlim();

            public Task<ConnectReasonCode> AuthenticateAsync(MqttConnectContext context)
            {
                if (context.ClientId == "slow")
                {
                    Entered.Set();
                    Release.Wait(TimeSpan.FromSeconds(20));
                }
                return Task.FromResult(ConnectReasonCode.Success);
            }
        }

        [Fact]
        public async Task A_custom_authenticator_that_blocks_does_not_stall_the_other_clients()
        {
            var authenticator = new BlockingAuthenticator();
            await using var host = await BrokerTestHost.StartAsync(o => o.Authenticator = authenticator);
            var slow = RawMqttClient.ConnectAsync(host.Port, "slow");
            try
            {
                Assert.True(authenticator.Entered.Wait(Patience), "the slow CONNECT reached the authenticator");
                // While it blocks: a client connects, subscribes, and gets a message published by another.
                using var sub = await WithinAsync(OurClientTests.ConnectAsync(host, "fast-sub"), "fast-sub's CONNACK");
                await WithinAsync(sub.SubscribeAsync("loop/#", MqttQualityOfService.AtLeastOnce), "the SUBACK");
                using var pub = await WithinAsync(OurClientTests.ConnectAsync(host, "fast-pub"), "fast-pub's CONNACK");
                await WithinAsync(pub.PublishAsync(new MqttMessage("loop/x", "while blocked", MqttQualityOfService.AtLeastOnce)), "the PUBACK");
                var received = await OurClientTests.ReceiveAsync(sub, Patience);
                Assert.NotNull(received);
                Assert.Equal("while blocked", received.PayloadText);
                Assert.False(slow.IsCompleted, "the slow client is still waiting for its authenticator");
            }
            finally
            {
                authenticator.Release.Set();
            }
            var (client, connAck) = await WithinAsync(slow, "the slow client's CONNACK");
            using (client) Assert.Equal(ConnectReasonCode.Success, connAck.ReasonCode);
        }

        private static async Task<T> WithinAsync<T>(Task<T> task, string what)
        {
            if (await Task.WhenAny(task, Task.Delay(Patience)) != task) throw new TimeoutException(what + " did not come within " + Patience.TotalSeconds + " s: the broker is stalled");
            return await task;
        }

        private static async Task WithinAsync(Task task, string what)
        {
            if (await Task.WhenAny(task, Task.Delay(Patience)) != task) throw new TimeoutException(what + " did not come within " + Patience.TotalSeconds + " s: the broker is stalled");
            await task;
        }
    }
}
