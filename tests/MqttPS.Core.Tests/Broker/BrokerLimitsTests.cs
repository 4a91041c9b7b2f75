using System;
using System.Threading.Tasks;
using MqttPS.Core.Broker;
using MqttPS.Core.Protocol;
using Xunit;

namespace MqttPS.Core.Tests.Broker
{
    /// <summary>
    /// The limits mosquitto.conf sets and Start-MqttBroker exposes: max_keepalive (Server Keep Alive),
    /// retain_available, allow_zero_length_clientid, clientid_prefixes, message_size_limit, upgrade_outgoing_qos and
    /// persistent_client_expiration, each as a client sees it on the wire.
    /// </summary>
    public sealed class BrokerLimitsTests
    {
        private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(500);

        [Theory]
        [InlineData((ushort)0, (ushort)60)]
        [InlineData((ushort)120, (ushort)60)]
        public async Task A_5_0_client_asking_for_more_keep_alive_than_allowed_is_told_the_maximum(ushort asked, ushort told)
        {
            await using var host = await BrokerTestHost.StartAsync(o => o.MaximumKeepAlive = 60);
            var (client, connAck) = await RawMqttClient.ConnectAsync(host.Port, "ka", keepAlive: asked);
            using (client)
            {
                Assert.Equal(ConnectReasonCode.Success, connAck.ReasonCode);
                Assert.Equal(told, connAck.Properties.ServerKeepAlive);
                Assert.Equal(told, host.Broker.GetClients()[0].KeepAliveSeconds);
            }
        }

        [Fact]
        public async Task Keep_alive_within_the_maximum_is_not_overridden_and_3_1_1_clients_keep_theirs()
        {
            await using var host = await BrokerTestHost.StartAsync(o => o.MaximumKeepAlive = 60);
            var (within, connAck) = await RawMqttClient.ConnectAsync(host.Port, "within", keepAlive: 30);
            using (within) Assert.Null(connAck.Properties.ServerKeepAlive);
            var (old, oldAck) = await RawMqttClient.ConnectAsync(host.Port, "old", MqttProtocolVersion.V311, keepAlive: 300);
            using (old)
            {
                Assert.Equal(ConnectReasonCode.Success, oldAck.ReasonCode);
                await host.WaitUntilAsync(() => host.Broker.GetClients().Count == 1, "the 3.1.1 client listed");
                Assert.Equal((ushort)300, host.Broker.GetClients()[0].KeepAliveSeconds);
            }
        }

        [Fact]
        public async Task Without_retain_the_CONNACK_says_so_and_a_retained_publish_is_refused_with_0x9A()
        {
            await using var host = await BrokerTestHost.StartAsync(o => o.RetainAvailable = false);
            var (client, connAck) = await RawMqttClient.ConnectAsync(host.Port, "r");
            using (client)
            {
                Assert.Equal((byte)0, connAck.Properties.RetainAvailable);
                await client.SendAsync(new PublishPacket { Topic = "t", Payload = new byte[] { 1 }, Retain = true });
                var disconnect = await client.ReceiveAsync<DisconnectPacket>();
                Assert.Equal(DisconnectReasonCode.RetainNotSupported, disconnect.ReasonCode);
            }
            Assert.Equal(0, host.Broker.Retained.Count);
        }

        [Fact]
        public async Task Without_retain_a_retained_will_is_refused_and_a_3_1_1_retained_publish_closes_the_connection()
        {
            await using var host = await BrokerTestHost.StartAsync(o => o.RetainAvailable = false);
            var (willClient, willAck) = await RawMqttClient.ConnectAsync(host.Port, "w",
                configure: c => c.Will = new MqttWillMessage { Topic = "w", Payload = new byte[] { 1 }, Retain = true });
            using (willClient) Assert.Equal(ConnectReasonCode.RetainNotSupported, willAck.ReasonCode);

            var (old, oldAck) = await RawMqttClient.ConnectAsync(host.Port, "old", MqttProtocolVersion.V311);
            using (old)
            {
                Assert.Equal(ConnectReasonCode.Success, oldAck.ReasonCode);
                await old.SendAsync(new PublishPacket { Topic = "t", Payload = new byte[] { 1 }, Retain = true });
                Assert.True(await old.WaitForCloseAsync(TimeSpan.FromSeconds(5)));
            }
        }

        [Theory]
        [InlineData(MqttProtocolVersion.V311, ConnectReasonCode.ClientIdentifierNotValid)]
        [InlineData(MqttProtocolVersion.V500, ConnectReasonCode.UnspecifiedError)]
        public async Task Empty_client_ids_are_refused_when_not_allowed(MqttProtocolVersion version, ConnectReasonCode expected)
        {
            await using var host = await BrokerTestHost.StartAsync(o => o.AllowZeroLengthClientId = false);
            var (client, connAck) = await RawMqttClient.ConnectAsync(host.Port, "", version);
            using (client) Assert.Equal(expected, connAck.ReasonCode);
        }

        [Fact]
        public async Task Empty_client_ids_get_the_configured_prefix()
        {
            await using var host = await BrokerTestHost.StartAsync(o => o.AssignedClientIdPrefix = "auto-");
            var (client, connAck) = await RawMqttClient.ConnectAsync(host.Port, "");
            using (client) Assert.StartsWith("auto-", connAck.Properties.AssignedClientIdentifier);
        }

        [Fact]
        public async Task Client_ids_without_the_required_prefix_are_not_authorized()
        {
            await using var host = await BrokerTestHost.StartAsync(o => o.ClientIdPrefix = "plant1-");
            var (refused, refusedAck) = await RawMqttClient.ConnectAsync(host.Port, "plant2-pump", MqttProtocolVersion.V311);
            using (refused) Assert.Equal(ConnectReasonCode.NotAuthorized, refusedAck.ReasonCode);
            var (allowed, allowedAck) = await RawMqttClient.ConnectAsync(host.Port, "plant1-pump", MqttProtocolVersion.V311);
            using (allowed) Assert.Equal(ConnectReasonCode.Success, allowedAck.ReasonCode);
        }

        [Fact]
        public async Task A_payload_over_the_size_limit_is_dropped_counted_and_refused_with_0x97()
        {
            await using var host = await BrokerTestHost.StartAsync(o => o.MaximumPayloadSize = 10);
            var (sub, _) = await RawMqttClient.ConnectAsync(host.Port, "sub");
            var (pub, _) = await RawMqttClient.ConnectAsync(host.Port, "pub");
            using (sub)
            using (pub)
            {
                await sub.SubscribeAsync("big/#", MqttQualityOfService.AtLeastOnce);
                await pub.SendAsync(new PublishPacket { Topic = "big/1", Payload = new byte[11], QoS = MqttQualityOfService.AtLeastOnce, PacketId = 1 });
                var ack = await pub.ReceiveAsync<PubAckPacket>();
                Assert.Equal(PubAckReasonCode.QuotaExceeded, ack.ReasonCode);
                await pub.SendAsync(new PublishPacket { Topic = "big/2", Payload = new byte[10], QoS = MqttQualityOfService.AtLeastOnce, PacketId = 2 });
                Assert.Equal(PubAckReasonCode.Success, (await pub.ReceiveAsync<PubAckPacket>()).ReasonCode);
                var delivered = await sub.ReceiveAsync<PublishPacket>();
                Assert.Equal("big/2", delivered.Topic);
                Assert.Null(await sub.ReceiveAsync(Short));
                Assert.Equal(1, host.Broker.GetStatistics().PublishDropped);
            }
        }

        [Fact]
        public async Task Upgrade_outgoing_qos_delivers_with_the_subscription_qos()
        {
            await using var host = await BrokerTestHost.StartAsync(o => o.UpgradeOutgoingQoS = true);
            var (sub, _) = await RawMqttClient.ConnectAsync(host.Port, "sub");
            using (sub)
            {
                await sub.SubscribeAsync("up", MqttQualityOfService.AtLeastOnce);
                await host.Broker.PublishAsync(new Messages.MqttMessage("up", "x", MqttQualityOfService.AtMostOnce));
                Assert.Equal(MqttQualityOfService.AtLeastOnce, (await sub.ReceiveAsync<PublishPacket>()).QoS);
            }
        }

        [Fact]
        public async Task A_3_1_1_persistent_session_expires_after_the_persistent_client_expiration()
        {
            await using var host = await BrokerTestHost.StartAsync(o => o.PersistentClientExpiration = TimeSpan.FromSeconds(1));
            var (client, _) = await RawMqttClient.ConnectAsync(host.Port, "sleepy", MqttProtocolVersion.V311, cleanStart: false);
            using (client) await client.SubscribeAsync("s", MqttQualityOfService.AtLeastOnce);
            await host.WaitForDisconnectAsync("sleepy");
            await host.WaitUntilAsync(() => host.Broker.GetStatistics().SessionsExpired == 1, "the session to expire", 10000);
            var (again, connAck) = await RawMqttClient.ConnectAsync(host.Port, "sleepy", MqttProtocolVersion.V311, cleanStart: false);
            using (again) Assert.False(connAck.SessionPresent);
        }

        [Theory]
        [InlineData(MqttProtocolVersion.V311)]
        [InlineData(MqttProtocolVersion.V310)]
        public async Task A_bridge_connection_does_not_get_its_own_messages_back(MqttProtocolVersion version)
        {
            // mosquitto's bridges announce themselves with protocol level 0x83/0x84 (try_private) and subscribe to the
            // topics they also publish; mosquitto gives their subscriptions No Local, so nothing is echoed.
            await using var host = await BrokerTestHost.StartAsync();
            var (bridge, bridgeAck) = await RawMqttClient.ConnectAsync(host.Port, "edge.bridge", version, configure: c => c.IsBridge = true);
            var (local, _) = await RawMqttClient.ConnectAsync(host.Port, "local", MqttProtocolVersion.V311);
            using (bridge)
            using (local)
            {
                Assert.Equal(ConnectReasonCode.Success, bridgeAck.ReasonCode);
                await bridge.SubscribeAsync("br/#", MqttQualityOfService.AtLeastOnce);
                await local.SubscribeAsync("br/#", MqttQualityOfService.AtLeastOnce);
                await bridge.SendAsync(new PublishPacket { Topic = "br/from-bridge", Payload = new byte[] { 1 }, QoS = MqttQualityOfService.AtLeastOnce, PacketId = 7, Retain = true });
                Assert.Equal((ushort)7, (await bridge.ReceiveAsync<PubAckPacket>()).PacketId);
                Assert.Equal("br/from-bridge", (await local.ReceiveAsync<PublishPacket>()).Topic);
                Assert.Null(await bridge.ReceiveAsync(Short));

                // What others publish still reaches the bridge, with the retain flag as published.
                await local.SendAsync(new PublishPacket { Topic = "br/from-local", Payload = new byte[] { 2 }, Retain = true });
                var forwarded = await bridge.ReceiveAsync<PublishPacket>();
                Assert.Equal("br/from-local", forwarded.Topic);
                Assert.True(forwarded.Retain);
                Assert.True(System.Linq.Enumerable.First(host.Broker.GetClients(), c => c.ClientId == "edge.bridge").IsBridge);
            }
        }
    }
}
