using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading.Tasks;
using MqttPS.Core.Broker;
using MqttPS.Core.Client;
using MqttPS.Core.Messages;
using MqttPS.Core.Protocol;
using Xunit;
using static MqttPS.Core.Tests.BrokerProduction.BrokerTestHelpers;
using static MqttPS.Core.Tests.Infrastructure.Eventually;

namespace MqttPS.Core.Tests.BrokerProduction
{
    public sealed class BrokerSysTopicTests
    {
        private readonly Dictionary<string, string> _latest = new Dictionary<string, string>();

        /// <summary>Collects $SYS values (only changed ones are published) until <paramref name="done"/> holds for the latest values; returns a copy.</summary>
        private async Task<Dictionary<string, string>> CollectUntil(MqttClient client, Func<Dictionary<string, string>, bool> done, TimeSpan timeout)
        {
            var values = _latest;
            var deadline = DateTime.UtcNow + timeout;
            while (DateTime.UtcNow < deadline)
            {
                var m = await ReceiveOrNullAsync(client, TimeSpan.FromMilliseconds(200));
                if (m != null) values[m.Topic.Substring("$SYS/broker/".Length)] = m.PayloadText;
                if (done(values)) return new Dictionary<string, string>(values);
            }
            throw new TimeoutException("$SYS values did not reach the expected state: " + string.Join(", ", values.Select(p => p.Key + "=" + p.Value)));
        }

        private static long N(Dictionary<string, string> v, string key) => v.TryGetValue(key, out var s) ? long.Parse(s, CultureInfo.InvariantCulture) : -1;

        [Fact]
        public async Task Sys_values_change_with_activity_and_match_the_statistics()
        {
            using (var broker = await StartAsync(new MqttBrokerOptions { SysInterval = TimeSpan.FromMilliseconds(200) }))
            using (var watcher = await ConnectAsync(ClientOptions(broker.Port, "watcher")))
            using (var wildcard = await ConnectAsync(ClientOptions(broker.Port, "wildcard")))
            {
                await wildcard.SubscribeAsync("#", MqttQualityOfService.AtMostOnce);
                await wildcard.SubscribeAsync("+/broker/#", MqttQualityOfService.AtMostOnce);
                await watcher.SubscribeAsync("$SYS/#", MqttQualityOfService.AtMostOnce);
                var before = await CollectUntil(watcher, v => N(v, "clients/connected") == 2, TimeSpan.FromSeconds(10));
                Assert.StartsWith("mqttps version", before["version"]);
                Assert.EndsWith(" seconds", before["uptime"]);

                using (var publisher = await ConnectAsync(ClientOptions(broker.Port, "publisher")))
                {
                    for (var i = 0; i < 5; i++) await publisher.PublishAsync(Message("data/" + i, "v", MqttQualityOfService.AtLeastOnce, retain: true));
                    var after = await CollectUntil(watcher, v => N(v, "clients/connected") == 3 && N(v, "publish/messages/received") >= N(before, "publish/messages/received") + 5, TimeSpan.FromSeconds(10));
                    Assert.True(N(after, "retained messages/count") >= N(before, "retained messages/count") + 5);
                    Assert.True(N(after, "bytes/received") > N(before, "bytes/received"));
                    Assert.True(N(after, "clients/maximum") >= 3);

                    // Once the publishing is over, the published figures equal the API's statistics. ($SYS messages
                    // themselves count as sent, not as received, so the received-side figures stand still.)
                    var stats = broker.GetStatistics();
                    var settled = await CollectUntil(watcher, v => N(v, "publish/messages/received") == stats.PublishReceived && N(v, "clients/connected") == stats.ClientsConnected, TimeSpan.FromSeconds(10));
                    Assert.Equal(stats.ClientsConnected, N(settled, "clients/connected"));
                    Assert.Equal(stats.PublishReceived, N(settled, "publish/messages/received"));
                    Assert.Equal(stats.Subscriptions, N(settled, "subscriptions/count"));
                    Assert.Equal(stats.ClientsMaximum, N(settled, "clients/maximum"));
                    Assert.Equal(0, N(settled, "clients/expired"));
                    Assert.True(N(settled, "store/messages/count") >= 5, "the 5 retained messages are in the store count");
                }
                // [MQTT-4.7.2-1]: subscriptions starting with a wildcard never receive $SYS topics.
                var seen = new List<MqttMessage>();
                MqttMessage m;
                while ((m = await ReceiveOrNullAsync(wildcard, TimeSpan.FromMilliseconds(100))) != null) seen.Add(m);
                Assert.Contains(seen, x => x.Topic == "data/0");
                Assert.DoesNotContain(seen, x => x.Topic.StartsWith("$", StringComparison.Ordinal));
            }
        }

        [Fact]
        public async Task Sys_topics_are_retained_for_late_subscribers_and_off_by_default()
        {
            using (var broker = await StartAsync(new MqttBrokerOptions { SysInterval = TimeSpan.FromSeconds(30) }))
            {
                await WaitUntilAsync(() => broker.Retained.Count > 40, TimeSpan.FromSeconds(5), "the first $SYS update");
                using (var late = await ConnectAsync(ClientOptions(broker.Port, "late")))
                {
                    await late.SubscribeAsync("$SYS/broker/version", MqttQualityOfService.AtMostOnce);
                    var m = await ReceiveOrNullAsync(late, TimeSpan.FromSeconds(5));
                    Assert.True(m != null && m.Retain, "the version should arrive as a retained message");
                }
            }
            using (var quiet = await StartAsync(new MqttBrokerOptions()))
            {
                await Task.Delay(300);
                Assert.Equal(0, quiet.Retained.Count);
            }
        }

        [Fact]
        public async Task Statistics_and_sys_count_shared_subscription_members_and_sockets_from_one_snapshot()
        {
            using (var broker = await StartAsync(new MqttBrokerOptions { SysInterval = TimeSpan.FromMilliseconds(200) }))
            using (var silent = await RawMqttConnection.OpenAsync(broker.Port))
            using (var member = await ConnectAsync(ClientOptions(broker.Port, "member")))
            using (var watcher = await ConnectAsync(ClientOptions(broker.Port, "watcher")))
            {
                await member.SubscribeAsync("$share/group/jobs/#", MqttQualityOfService.AtLeastOnce);
                await member.SubscribeAsync("plain/#", MqttQualityOfService.AtLeastOnce);
                await watcher.SubscribeAsync("$SYS/broker/shared_subscriptions/count", MqttQualityOfService.AtMostOnce);
                var stats = broker.GetStatistics();
                Assert.Equal(1, stats.SharedSubscriptions);
                Assert.True(stats.Subscriptions >= 3, "subscriptions: " + stats.Subscriptions);
                // Three sockets: one that never sent CONNECT and two clients; only the clients count as connections.
                Assert.Equal(3, stats.SocketsOpened);
                Assert.Equal(2, stats.ClientsTotal);
                var values = await CollectUntil(watcher, v => N(v, "shared_subscriptions/count") == 1, TimeSpan.FromSeconds(10));
                Assert.Equal(stats.SharedSubscriptions, N(values, "shared_subscriptions/count"));
            }
        }
    }
}
