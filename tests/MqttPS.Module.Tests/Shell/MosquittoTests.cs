using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using MqttPS.Core.Messages;
using MqttPS.Core.Protocol;
using MqttPS.Core.Shell;
using MqttPS.Core.Tests.Infrastructure;
using MqttPS.Module.Tests.Fakes;
using Xunit;

namespace MqttPS.Module.Tests.Shell
{
    /// <summary>The cmdlets' logic against Eclipse Mosquitto, the reference broker users will point them at.</summary>
    public sealed class MosquittoTests : IAsyncLifetime
    {
        private Mosquitto _mosquitto;
        private readonly RecordingHost _host = new RecordingHost();
        private readonly MqttShellSession _session = new MqttShellSession(new MqttClientAdapterFactory());

        public async Task InitializeAsync() => _mosquitto = await Mosquitto.StartAsync();

        public Task DisposeAsync()
        {
            _session.CloseAll(_host);
            _mosquitto?.Dispose();
            return Task.CompletedTask;
        }

        private MqttConnection Connect(MqttProtocolVersion version, string clientId) =>
            _session.Connect(new MqttConnectionSettings { Broker = "127.0.0.1", Port = _mosquitto.Port, ProtocolVersion = version, ClientId = clientId }, _host);

        private void Publish(MqttConnection c, params MqttMessage[] messages)
        {
            var done = new List<PublishCompletion>();
            var window = new PublishWindow(c.PublishAsync, 10, TimeSpan.FromSeconds(10));
            foreach (var m in messages) window.Submit(m, m.Topic, _host, null, done);
            window.Flush(_host, null, done);
            Assert.All(done, d => Assert.True(d.Succeeded, d.Error?.Message));
        }

        [Theory]
        [InlineData(MqttProtocolVersion.V311)]
        [InlineData(MqttProtocolVersion.V500)]
        public void Retained_messages_are_collected_by_quiet_period_and_cleared_by_empty_publishes(MqttProtocolVersion version)
        {
            var c = Connect(version, "retained-" + (int)version);
            Publish(c, Enumerable.Range(0, 20).Select(i => new MqttMessage("plant/line" + i, "state " + i, MqttQualityOfService.AtLeastOnce, retain: true)).ToArray());
            var found = RetainedMessageCollector.Collect(c, new SubscriptionRequest { TopicFilters = new[] { "plant/#" } }, _host, null,
                TimeSpan.FromMilliseconds(1500), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10));
            Assert.Equal(20, found.Count);
            Assert.All(found, m => Assert.True(m.Retain));
            Publish(c, found.Select(m => RetainedMessageClearing.CreateClearMessage(m.Topic)).ToArray());
            var after = RetainedMessageCollector.Collect(c, new SubscriptionRequest { TopicFilters = new[] { "plant/#" } }, _host, null,
                TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10));
            Assert.Empty(after);
        }

        [Fact]
        public void Two_subscriptions_on_one_connection_share_a_filter_until_the_last_one_goes()
        {
            var c = Connect(MqttProtocolVersion.V500, "shared-filter");
            var pub = Connect(MqttProtocolVersion.V311, "shared-pub");
            var a = _session.Subscribe(c, new SubscriptionRequest { TopicFilters = new[] { "s/#" } }, SubscriptionMode.Stream, PayloadFormat.Auto, null, _host, null);
            var b = _session.Subscribe(c, new SubscriptionRequest { TopicFilters = new[] { "s/#" } }, SubscriptionMode.Stream, PayloadFormat.Auto, null, _host, null);
            _session.Unsubscribe(a, _host, null);
            Publish(pub, new MqttMessage("s/1", "still subscribed", MqttQualityOfService.AtLeastOnce));
            var got = new List<string>();
            Assert.Equal(StreamEndReason.CountReached, MessageStreamReader.Read(b, _host, null, 1, TimeSpan.FromSeconds(10), m => got.Add(m.PayloadText)));
            Assert.Equal(new[] { "still subscribed" }, got);
        }

        [Fact]
        public void Mqtt5_properties_survive_a_round_trip_through_mosquitto()
        {
            var c = Connect(MqttProtocolVersion.V500, "props");
            var s = _session.Subscribe(c, new SubscriptionRequest { TopicFilters = new[] { "req/#" } }, SubscriptionMode.Stream, PayloadFormat.Auto, null, _host, null);
            var request = new PublishRequest
            {
                Topic = "req/1", Payload = "ping", ResponseTopic = "reply/1", CorrelationData = "abc",
                UserProperties = new System.Collections.Hashtable { ["k"] = "v" }, ContentType = "text/plain", QoS = MqttQualityOfService.AtLeastOnce,
            };
            Publish(c, request.ToMessage(c.ProtocolVersion));
            MqttMessage received = null;
            MessageStreamReader.Read(s, _host, null, 1, TimeSpan.FromSeconds(10), m => received = m);
            Assert.Equal("reply/1", received.ResponseTopic);
            Assert.Equal("abc", System.Text.Encoding.UTF8.GetString(received.CorrelationData));
            Assert.Equal("text/plain", received.ContentType);
            Assert.Equal("k=v", received.UserProperties.Single().ToString());
        }

        [Fact]
        public void Connecting_to_a_closed_port_fails_fast_with_a_connection_error()
        {
            var port = FreePort.Next();
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var e = Assert.Throws<MqttShellException>(() => _session.Connect(new MqttConnectionSettings { Broker = "127.0.0.1", Port = port }, _host));
            Assert.Equal("ConnectFailed", e.ErrorId);
            Assert.Equal(ShellErrorCategory.ConnectionError, e.Category);
            Assert.Contains(port.ToString(), e.Message);
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5));
        }
    }
}
