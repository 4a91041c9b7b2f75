using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Threading.Tasks;
using MqttPS.Core.Broker;
using MqttPS.Core.Broker.Bridges;
using MqttPS.Core.Client;
using MqttPS.Core.Messages;
using MqttPS.Core.Protocol;
using MqttPS.Core.Tests.Infrastructure;
using MqttPS.Core.Transport;
using Xunit;
using static MqttPS.Core.Tests.BrokerProduction.BrokerTestHelpers;

namespace MqttPS.Core.Tests.Broker.Bridges
{
    /// <summary>Two embedded brokers, an edge bridged to a hub: what crosses, which way, with which QoS and topic,
    /// what waits while the hub is away (and survives a restart of the edge), and that nothing comes back.</summary>
    public sealed class BridgeTests : IDisposable
    {
        private readonly List<MqttBroker> _brokers = new List<MqttBroker>();
        private readonly string _dir = Path.Combine(Path.GetTempPath(), "mqttps-bridge-" + Guid.NewGuid().ToString("N"));

        public void Dispose()
        {
            foreach (var b in _brokers) b.StopAsync().GetAwaiter().GetResult();
            try { Directory.Delete(_dir, true); } catch (IOException) { }
        }

        private async Task<MqttBroker> StartBrokerAsync(int port = 0, Action<MqttBrokerOptions> configure = null)
        {
            var options = new MqttBrokerOptions { BindAddress = IPAddress.Loopback, Port = port };
            configure?.Invoke(options);
            var broker = new MqttBroker(options);
            await broker.StartAsync();
            _brokers.Add(broker);
            return broker;
        }

        private static MqttBridgeOptions Bridge(int hubPort, params string[] topics)
        {
            var o = new MqttBridgeOptions { Name = "hub", RemoteClientId = "edge1", RestartDelay = TimeSpan.FromMilliseconds(200), RestartDelayMax = TimeSpan.FromMilliseconds(200) };
            o.Addresses.Add(new MqttBrokerAddress("127.0.0.1", hubPort));
            foreach (var t in topics) o.Topics.Add(MqttBridgeTopic.Parse(t));
            return o;
        }

        private static Task WaitForStateAsync(MqttBroker broker, MqttBridgeState state) =>
            Eventually.WaitUntilAsync(() => broker.Bridges.Single().State == state, TimeSpan.FromSeconds(20), "the bridge to be " + state);

        private static async Task<MqttClient> ClientAsync(MqttBroker broker, string id, params (string filter, MqttQualityOfService qos)[] subscriptions)
        {
            var client = await ConnectAsync(ClientOptions(broker.Port, id));
            foreach (var (filter, qos) in subscriptions) await client.SubscribeAsync(filter, qos);
            return client;
        }

        /// <summary>
        /// A hub store holding a session of <paramref name="clientId"/> subscribed to <paramref name="filter"/> at QoS 1: a
        /// hub started on it has the subscription from its first moment, before a bridge (which retries every 200 ms)
        /// can deliver to it. Made before the edge exists, so no bridge meets this first run of the hub.
        /// </summary>
        private async Task<string> HubStoreWithSubscriberAsync(int hubPort, string clientId, string filter)
        {
            var store = Path.Combine(_dir, "hub-store");
            var hub = await StartBrokerAsync(hubPort, o => o.PersistencePath = store);
            using (var client = await ConnectAsync(PersistentOptions(hubPort, clientId)))
                await client.SubscribeAsync(filter, MqttQualityOfService.AtLeastOnce);
            await hub.StopAsync();
            _brokers.Remove(hub);
            return store;
        }

        private static MqttClientOptions PersistentOptions(int port, string clientId)
        {
            var options = ClientOptions(port, clientId);
            options.CleanStart = false;
            options.SessionExpiryInterval = 600;
            return options;
        }

        private static async Task<List<MqttMessage>> ReceiveAll(MqttClient client, int quietMilliseconds = 500)
        {
            var all = new List<MqttMessage>();
            MqttMessage m;
            while ((m = await ReceiveOrNullAsync(client, TimeSpan.FromMilliseconds(quietMilliseconds))) != null) all.Add(m);
            return all;
        }

        [Fact]
        public async Task Messages_cross_out_in_and_both_ways_with_prefixes_and_at_most_the_topics_qos()
        {
            var hub = await StartBrokerAsync();
            var edge = await StartBrokerAsync(configure: o => o.Bridges.Add(Bridge(hub.Port,
                "up/# out 1 site/ edge1/", "down/# in 2", "chat/# both 2", "low/# out 0")));
            await WaitForStateAsync(edge, MqttBridgeState.Connected);
            using (var hubClient = await ClientAsync(hub, "hub-client", ("edge1/#", MqttQualityOfService.ExactlyOnce), ("chat/#", MqttQualityOfService.ExactlyOnce), ("low/#", MqttQualityOfService.ExactlyOnce)))
            using (var edgeClient = await ClientAsync(edge, "edge-client", ("down/#", MqttQualityOfService.ExactlyOnce), ("chat/#", MqttQualityOfService.ExactlyOnce)))
            {
                await edgeClient.PublishAsync(Message("site/up/temp", "21", MqttQualityOfService.ExactlyOnce));
                await edgeClient.PublishAsync(Message("low/noise", "n", MqttQualityOfService.ExactlyOnce));
                await edgeClient.PublishAsync(Message("chat/from-edge", "e", MqttQualityOfService.ExactlyOnce));
                await hubClient.PublishAsync(Message("down/cmd", "go", MqttQualityOfService.ExactlyOnce));
                await hubClient.PublishAsync(Message("chat/from-hub", "h", MqttQualityOfService.AtLeastOnce));

                var atHub = await ReceiveAll(hubClient);
                var atEdge = await ReceiveAll(edgeClient);
                // Out with prefixes: site/up/temp left as edge1/up/temp, at most QoS 1; low/# at QoS 0.
                Assert.Equal(MqttQualityOfService.AtLeastOnce, atHub.Single(m => m.Topic == "edge1/up/temp").QoS);
                Assert.Equal(MqttQualityOfService.AtMostOnce, atHub.Single(m => m.Topic == "low/noise").QoS);
                // In at QoS 2; both ways once each, and nothing echoed back to where it came from.
                Assert.Equal(MqttQualityOfService.ExactlyOnce, atEdge.Single(m => m.Topic == "down/cmd").QoS);
                Assert.Single(atHub, m => m.Topic == "chat/from-edge");
                Assert.Single(atHub, m => m.Topic == "chat/from-hub");
                Assert.Single(atEdge, m => m.Topic == "chat/from-hub");
                Assert.Single(atEdge, m => m.Topic == "chat/from-edge");
                Assert.DoesNotContain(atEdge, m => m.Topic.StartsWith("edge1/") || m.Topic.StartsWith("low/"));
            }
            var stats = edge.GetStatistics().Bridges.Single();
            Assert.Equal(MqttBridgeState.Connected, stats.State);
            Assert.Equal(3, stats.MessagesOut);
            Assert.Equal(2, stats.MessagesIn);
            Assert.Equal(0, stats.QueuedMessages);
            Assert.Equal("mqtt://127.0.0.1:" + hub.Port, stats.Address);
        }

        [Fact]
        public async Task The_state_is_published_retained_here_and_on_the_remote_and_the_remote_gets_0_when_the_edge_stops()
        {
            var hub = await StartBrokerAsync();
            var edge = await StartBrokerAsync(configure: o => o.Bridges.Add(Bridge(hub.Port, "x/# out 1")));
            await WaitForStateAsync(edge, MqttBridgeState.Connected);
            await Eventually.WaitUntilAsync(() => hub.Retained.List("$SYS/broker/connection/edge1/state").Any(m => m.PayloadText == "1"), TimeSpan.FromSeconds(10), "the hub to have state 1");
            Assert.Equal("1", edge.Retained.List("$SYS/broker/connection/edge1/state").Single().PayloadText);
            await edge.StopAsync();
            _brokers.Remove(edge);
            Assert.Equal("0", hub.Retained.List("$SYS/broker/connection/edge1/state").Single().PayloadText);
        }

        [Fact]
        public async Task QoS_1_messages_wait_for_an_unreachable_hub_in_order_and_cross_when_it_is_back_QoS_0_are_dropped_and_counted()
        {
            var hubPort = FreePort.Next();
            var hubStore = await HubStoreWithSubscriberAsync(hubPort, "hub-sub", "q/#");
            var edge = await StartBrokerAsync(configure: o => o.Bridges.Add(Bridge(hubPort, "q/# out 2")));
            await WaitForStateAsync(edge, MqttBridgeState.Waiting);
            var drops = new List<MqttBrokerEvent>();
            edge.EventRaised += (_, e) => { if (e.Kind == MqttBrokerEventKind.MessageDropped) lock (drops) drops.Add(e); };
            using (var publisher = await ClientAsync(edge, "publisher"))
            {
                for (var i = 0; i < 50; i++) await publisher.PublishAsync(Message("q/" + i, "m" + i, MqttQualityOfService.AtLeastOnce));
                for (var i = 0; i < 5; i++) await publisher.PublishAsync(Message("q/zero", "z", MqttQualityOfService.AtMostOnce));
            }
            await Eventually.WaitUntilAsync(() => edge.GetStatistics().Bridges.Single().MessagesDropped == 5, TimeSpan.FromSeconds(10), "the QoS 0 messages to be dropped");
            Assert.Equal(50, edge.GetStatistics().Bridges.Single().QueuedMessages);
            lock (drops) Assert.Single(drops); // counted five times, reported once

            await StartBrokerAsync(hubPort, o => o.PersistencePath = hubStore);
            using (var subscriber = await ConnectAsync(PersistentOptions(hubPort, "hub-sub")))
            {
                await WaitForStateAsync(edge, MqttBridgeState.Connected);
                var got = new List<string>();
                while (got.Count < 50)
                {
                    var m = await ReceiveOrNullAsync(subscriber, TimeSpan.FromSeconds(10));
                    Assert.NotNull(m);
                    got.Add(m.PayloadText);
                }
                Assert.Equal(Enumerable.Range(0, 50).Select(i => "m" + i), got);
            }
            await Eventually.WaitUntilAsync(() => edge.GetStatistics().Bridges.Single().QueuedMessages == 0, TimeSpan.FromSeconds(10), "the queue to drain");
        }

        [Fact]
        public async Task What_waits_for_the_hub_survives_a_restart_of_the_edge_with_persistence()
        {
            var hubPort = FreePort.Next();
            var hubStore = await HubStoreWithSubscriberAsync(hubPort, "hub-sub", "p/#");
            var store = Path.Combine(_dir, "edge-store");
            var edge = await StartBrokerAsync(configure: o => { o.PersistencePath = store; o.Bridges.Add(Bridge(hubPort, "p/# out 1")); });
            using (var publisher = await ClientAsync(edge, "publisher"))
                for (var i = 0; i < 10; i++) await publisher.PublishAsync(Message("p/" + i, "m" + i, MqttQualityOfService.AtLeastOnce));
            await Eventually.WaitUntilAsync(() => edge.GetStatistics().Bridges.Single().QueuedMessages == 10, TimeSpan.FromSeconds(10), "10 messages to wait");
            await edge.StopAsync();
            _brokers.Remove(edge);

            var again = await StartBrokerAsync(configure: o => { o.PersistencePath = store; o.Bridges.Add(Bridge(hubPort, "p/# out 1")); });
            Assert.Equal(10, again.GetStatistics().Bridges.Single().QueuedMessages);
            await StartBrokerAsync(hubPort, o => o.PersistencePath = hubStore);
            using (var subscriber = await ConnectAsync(PersistentOptions(hubPort, "hub-sub")))
            {
                var got = new HashSet<string>();
                while (got.Count < 10)
                {
                    var m = await ReceiveOrNullAsync(subscriber, TimeSpan.FromSeconds(15));
                    Assert.NotNull(m);
                    got.Add(m.PayloadText);
                }
                Assert.Equal(Enumerable.Range(0, 10).Select(i => "m" + i).OrderBy(x => x), got.OrderBy(x => x));
            }
        }

        [Fact]
        public async Task A_lazy_bridge_connects_at_its_threshold_and_leaves_when_idle()
        {
            var hub = await StartBrokerAsync();
            var bridge = Bridge(hub.Port, "l/# out 1");
            bridge.StartType = MqttBridgeStartType.Lazy;
            bridge.Threshold = 3;
            bridge.IdleTimeout = TimeSpan.FromSeconds(1);
            var edge = await StartBrokerAsync(configure: o => o.Bridges.Add(bridge));
            using (var publisher = await ClientAsync(edge, "publisher"))
            {
                await publisher.PublishAsync(Message("l/1", "a", MqttQualityOfService.AtLeastOnce));
                await publisher.PublishAsync(Message("l/2", "b", MqttQualityOfService.AtLeastOnce));
                await Task.Delay(500);
                Assert.Equal(MqttBridgeState.Idle, edge.Bridges.Single().State);
                await publisher.PublishAsync(Message("l/3", "c", MqttQualityOfService.AtLeastOnce));
                await WaitForStateAsync(edge, MqttBridgeState.Connected);
                await WaitForStateAsync(edge, MqttBridgeState.Idle);
                Assert.Equal(3, edge.GetStatistics().Bridges.Single().MessagesOut);
            }
        }

        [Fact]
        public async Task A_bridge_fails_over_to_the_next_address_and_comes_back_to_the_first_when_it_answers()
        {
            var firstPort = FreePort.Next();
            var second = await StartBrokerAsync();
            var bridge = Bridge(firstPort, "f/# out 1");
            bridge.Addresses.Add(new MqttBrokerAddress("127.0.0.1", second.Port));
            var edge = await StartBrokerAsync(configure: o => o.Bridges.Add(bridge));
            await Eventually.WaitUntilAsync(() => edge.Bridges.Single().State == MqttBridgeState.Connected && edge.Bridges.Single().Address.EndsWith(":" + second.Port), TimeSpan.FromSeconds(20), "the bridge on the second address");
            await StartBrokerAsync(firstPort);
            await Eventually.WaitUntilAsync(() => edge.Bridges.Single().State == MqttBridgeState.Connected && edge.Bridges.Single().Address.EndsWith(":" + firstPort), TimeSpan.FromSeconds(30), "the bridge back on the first address");
        }

        [Fact]
        public async Task Retained_messages_go_out_at_connection_and_a_remote_refusal_is_counted_not_retried()
        {
            var hubPort = FreePort.Next();
            var bridge = Bridge(hubPort, "r/# out 1", "$SYS/other/# out 1");
            bridge.ProtocolVersion = MqttProtocolVersion.V500; // 5.0 acknowledgements say why a message was refused
            var edge = await StartBrokerAsync(configure: o => o.Bridges.Add(bridge));
            await edge.PublishAsync(new MqttMessage("r/config", "kept", MqttQualityOfService.AtLeastOnce, retain: true));
            var hub = await StartBrokerAsync(hubPort);
            await WaitForStateAsync(edge, MqttBridgeState.Connected);
            await Eventually.WaitUntilAsync(() => hub.Retained.List("r/#").Any(m => m.PayloadText == "kept"), TimeSpan.FromSeconds(10), "the retained message on the hub");
            // The hub refuses writes into its $SYS tree: the message is dropped and counted, and the bridge goes on.
            await edge.PublishAsync(new MqttMessage("$SYS/other/x", "no", MqttQualityOfService.AtLeastOnce));
            await edge.PublishAsync(new MqttMessage("r/after", "yes", MqttQualityOfService.AtLeastOnce, retain: true));
            await Eventually.WaitUntilAsync(() => hub.Retained.List("r/after").Any(), TimeSpan.FromSeconds(10), "the next message on the hub");
            var stats = edge.GetStatistics().Bridges.Single();
            Assert.Equal(1, stats.MessagesDropped);
            Assert.Equal(0, stats.QueuedMessages);
        }
    }
}
