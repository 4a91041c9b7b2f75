using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using MqttPS.Core.Client;
using MqttPS.Core.Messages;
using MqttPS.Core.Protocol;
using MqttPS.Core.Tests.Infrastructure;
using Xunit;

namespace MqttPS.Core.Tests.Client
{
    /// <summary>
    /// How many QoS 1/2 publishes the client keeps unacknowledged. MQTT 3.1.1 and 3.1 have no Receive Maximum, and
    /// mosquitto acknowledges QoS 2 messages beyond its in-flight limit (20) that it then does not deliver: the
    /// 3.1.x default is therefore 20, like mosquitto_pub and paho, and larger only on request.
    /// </summary>
    public class InflightWindowTests
    {
        [Theory]
        [InlineData(MqttQualityOfService.ExactlyOnce)]
        [InlineData(MqttQualityOfService.AtLeastOnce)]
        public async Task A_thousand_publishes_made_at_once_on_3_1_1_all_reach_a_mosquitto_subscriber(MqttQualityOfService qos)
        {
            // Before the 20 default the client kept all 1,000 in flight and mosquitto_sub saw 164 of 1,000 QoS 2 messages.
            using (var broker = await Mosquitto.StartAsync())
            using (var client = await TestClients.ConnectAsync(broker.Port, MqttProtocolVersion.V311))
            using (var sub = ExternalProcess.Start("mosquitto_sub", new[] { "-h", "127.0.0.1", "-p", broker.Port.ToString(), "-V", "mqttv311",
                "-q", ((int)qos).ToString(), "-t", "window/#", "-F", "%t %p" }))
            {
                Assert.Equal(MqttClientOptions.DefaultMqtt3InflightWindow, client.InflightWindow);
                var probes = await WaitForSubscriberAsync(client, sub);
                var publishes = Enumerable.Range(1, 1000).Select(i => client.PublishAsync(new MqttMessage("window/data", i.ToString(), qos))).ToArray();
                await Task.WhenAll(publishes).WaitAsync(TimeSpan.FromSeconds(60));
                var lines = (await sub.WaitForLinesAsync(probes + 1000, TimeSpan.FromSeconds(30))).Skip(probes).ToArray();
                Assert.Equal(Enumerable.Range(1, 1000).Select(i => "window/data " + i), lines);
            }
        }

        [Fact]
        public async Task At_3_1_1_twenty_are_in_flight_by_default_and_each_acknowledgement_lets_one_more_go()
        {
            using (var server = new FakeMqttServer(MqttProtocolVersion.V311))
            using (var client = new MqttClient(TestClients.Options(server.Port, MqttProtocolVersion.V311)))
            {
                var (published, pendingRead) = await PublishIntoSilentServerAsync(server, client, 50, 0, expected: 20);
                Assert.Equal(20, published.Count);
                Assert.Equal(20, client.InflightWindow);
                await server.SendAsync(new PubAckPacket { PacketId = published[0].PacketId });
                var next = (PublishPacket)await pendingRead.WaitAsync(TimeSpan.FromSeconds(5));
                Assert.Equal("w/20", next.Topic); // in order: the 21st publish made
            }
        }

        [Theory]
        [InlineData(MqttProtocolVersion.V311, (ushort)35, 0, 35)]    // Connect-Mqtt -MaxInflightMessages
        [InlineData(MqttProtocolVersion.V311, (ushort)0, 30, 30)]    // Publish-MqttMessage -WindowSize
        [InlineData(MqttProtocolVersion.V310, (ushort)0, 0, 20)]
        [InlineData(MqttProtocolVersion.V500, (ushort)0, 0, 25)]     // the broker's Receive Maximum
        [InlineData(MqttProtocolVersion.V500, (ushort)10, 0, 10)]
        [InlineData(MqttProtocolVersion.V500, (ushort)0, 40, 25)]    // never above Receive Maximum [MQTT-3.3.4-7]
        public async Task The_window_follows_the_options_the_publish_and_the_brokers_receive_maximum(MqttProtocolVersion version, ushort maxInflight, int perPublish, int expected)
        {
            using (var server = new FakeMqttServer(version))
            using (var client = new MqttClient(TestClients.Options(server.Port, version)))
            {
                client.Options.MaxInflightMessages = maxInflight;
                var (published, _) = await PublishIntoSilentServerAsync(server, client, 60, perPublish, expected, receiveMaximum: 25);
                Assert.Equal(expected, published.Count);
            }
        }

        /// <summary>Connects <paramref name="client"/> to a server that acknowledges nothing, makes
        /// <paramref name="count"/> QoS 1 publishes and returns the PUBLISH packets that reached the server: the
        /// <paramref name="expected"/> ones (waited for, however slow the machine), and any that came within half a
        /// second more; also the read still waiting for the next packet.</summary>
        private static async Task<(List<PublishPacket> Published, Task<MqttPacket> PendingRead)> PublishIntoSilentServerAsync(FakeMqttServer server, MqttClient client, int count, int perPublish, int expected, ushort receiveMaximum = 0)
        {
            var accept = server.AcceptAsync();
            var connecting = client.ConnectAsync();
            await accept.WaitAsync(TimeSpan.FromSeconds(5));
            Assert.IsType<ConnectPacket>(await server.ReadAsync().WaitAsync(TimeSpan.FromSeconds(5)));
            var connAck = new ConnAckPacket { ReasonCode = ConnectReasonCode.Success };
            if (server.Version == MqttProtocolVersion.V500 && receiveMaximum != 0) connAck.Properties.ReceiveMaximum = receiveMaximum;
            await server.SendAsync(connAck);
            await connecting.WaitAsync(TimeSpan.FromSeconds(5));
            for (var i = 0; i < count; i++) _ = client.PublishAsync(new MqttMessage("w/" + i, "x", MqttQualityOfService.AtLeastOnce), perPublish);

            var received = new List<PublishPacket>();
            var read = server.ReadAsync();
            while (received.Count < expected)
            {
                Assert.True(await Task.WhenAny(read, Task.Delay(TimeSpan.FromSeconds(10))) == read, "only " + received.Count + " of " + expected + " publishes arrived within 10 s");
                received.Add((PublishPacket)await read);
                read = server.ReadAsync();
            }
            // One more would come back to back with the others; 500 ms of silence means the client holds the rest back.
            while (await Task.WhenAny(read, Task.Delay(500)) == read)
            {
                received.Add((PublishPacket)await read);
                read = server.ReadAsync();
            }
            Assert.Equal(Enumerable.Range(0, received.Count).Select(i => "w/" + i), received.Select(p => p.Topic));
            return (received, read);
        }

        /// <summary>Publishes probes until mosquitto_sub prints one (its subscription is then in place); returns
        /// how many lines the probes made.</summary>
        private static async Task<int> WaitForSubscriberAsync(MqttClient client, ExternalProcess sub)
        {
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (sub.StandardOutput.Length == 0)
            {
                Assert.True(DateTime.UtcNow < deadline, "mosquitto_sub did not start: " + sub.StandardError);
                await client.PublishAsync(new MqttMessage("window/probe", "p"));
                await Task.Delay(50);
            }
            await Task.Delay(200); // probes still on their way print before the count is taken
            return sub.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
        }
    }
}
