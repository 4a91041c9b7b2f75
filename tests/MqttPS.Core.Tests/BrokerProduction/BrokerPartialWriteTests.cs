using System;
using System.Threading.Tasks;
using MqttPS.Core.Broker;
using MqttPS.Core.Messages;
using MqttPS.Core.Protocol;
using Xunit;
using static MqttPS.Core.Tests.BrokerProduction.BrokerTestHelpers;

namespace MqttPS.Core.Tests.BrokerProduction
{
    /// <summary>
    /// The broker writes to a plain TCP socket directly and hands what the kernel did not take to the stream's
    /// asynchronous send. A subscriber that stops reading forces exactly that split (part of a batch now, the rest
    /// later): every byte must still arrive once and in order.
    /// </summary>
    public sealed class BrokerPartialWriteTests
    {
        [Fact]
        public async Task A_subscriber_that_stops_reading_and_then_catches_up_gets_every_message_intact_and_in_order()
        {
            const int count = 6000;
            const int size = 1024;
            // Room for everything: nothing may be dropped, so any gap is a write bug.
            var options = new MqttBrokerOptions { MaxPendingBytesPerConnection = 64 * 1024 * 1024 };
            using (var broker = await StartAsync(options))
            using (var subscriber = await RawMqttConnection.OpenAsync(broker.Port, receiveBufferSize: 4096))
            {
                await subscriber.ConnectAsync("paused-reader");
                await subscriber.SubscribeAsync("seq", MqttQualityOfService.AtMostOnce);

                // Six MiB towards a reader that takes nothing meanwhile: the socket fills up, writes are cut short.
                for (var i = 0; i < count; i++) await broker.PublishAsync(new MqttMessage("seq", Payload(i, size)));
                Assert.Equal(0, broker.GetStatistics().PublishDropped);

                for (var i = 0; i < count; i++)
                {
                    var publish = Assert.IsType<PublishPacket>(await subscriber.ReceiveAsync(TimeSpan.FromSeconds(30)));
                    Assert.Equal("seq", publish.Topic);
                    Assert.Equal(Payload(i, size), publish.Payload);
                }
            }
        }

        /// <summary>Message <paramref name="sequence"/>: its number, then bytes that depend on it and on their offset, so
        /// a lost, repeated or shifted run of bytes shows as a wrong payload.</summary>
        private static byte[] Payload(int sequence, int size)
        {
            var payload = new byte[size];
            payload[0] = (byte)(sequence >> 24);
            payload[1] = (byte)(sequence >> 16);
            payload[2] = (byte)(sequence >> 8);
            payload[3] = (byte)sequence;
            for (var i = 4; i < size; i++) payload[i] = (byte)(sequence * 31 + i);
            return payload;
        }
    }
}
