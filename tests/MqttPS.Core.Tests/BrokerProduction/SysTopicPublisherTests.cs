using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using MqttPS.Core.Broker;
using MqttPS.Core.Broker.SysTopics;
using MqttPS.Core.Messages;
using Xunit;

namespace MqttPS.Core.Tests.BrokerProduction
{
    public sealed class SysTopicPublisherTests
    {
        private readonly List<MqttMessage> _published = new List<MqttMessage>();
        private MqttBrokerStatistics _counters = new MqttBrokerStatistics { ClientsConnected = 2, SessionsTotal = 5, ClientsMaximum = 3, RetainedMessages = 7, Subscriptions = 4, ClientsTotal = 9, SocketsOpened = 10 };

        private MqttSysTopicPublisher Create(TimeSpan? interval = null) =>
            new MqttSysTopicPublisher(() => _counters, m => { lock (_published) _published.Add(m); return Task.CompletedTask; }, new MqttSysTopicOptions { Interval = interval ?? TimeSpan.FromSeconds(10), IncludeHeap = false, Version = "mqttps version 9.9.9" });

        private string Value(string topic) { lock (_published) return _published.Last(m => m.Topic == "$SYS/broker/" + topic).PayloadText; }

        [Fact]
        public async Task Publishes_mosquittos_topic_names_as_retained_messages()
        {
            var publisher = Create();
            await publisher.UpdateAsync();
            var topics = _published.Select(m => m.Topic).ToHashSet();
            // Names as published by mosquitto 2.0.11 with sys_interval set (heap disabled here).
            foreach (var name in new[] {
                "version", "uptime", "clients/connected", "clients/disconnected", "clients/total", "clients/maximum", "clients/active", "clients/inactive",
                "messages/received", "messages/sent", "bytes/received", "bytes/sent",
                "publish/messages/received", "publish/messages/sent", "publish/messages/dropped",
                "retained messages/count", "subscriptions/count",
                "load/messages/received/1min", "load/messages/received/5min", "load/messages/received/15min",
                "load/messages/sent/1min", "load/publish/received/5min", "load/publish/sent/15min", "load/publish/dropped/1min",
                "load/bytes/received/1min", "load/bytes/sent/15min", "load/connections/1min", "load/sockets/5min",
                "clients/expired", "messages/stored", "shared_subscriptions/count", "store/messages/count", "store/messages/bytes" })
            {
                Assert.Contains("$SYS/broker/" + name, topics);
            }
            Assert.All(_published, m => Assert.True(m.Retain));
            Assert.Equal("mqttps version 9.9.9", Value("version"));
            Assert.Equal("2", Value("clients/connected"));
            Assert.Equal("3", Value("clients/disconnected"));
            Assert.Equal("7", Value("retained messages/count"));
            Assert.Equal("0.00", Value("load/messages/received/1min"));
            Assert.Equal("5", Value("clients/total"));
        }

        [Fact]
        public async Task Only_changed_values_are_published_again()
        {
            var publisher = Create();
            var first = await publisher.UpdateAsync();
            var second = await publisher.UpdateAsync();
            Assert.Equal(0, second);
            _counters = new MqttBrokerStatistics { ClientsConnected = 3, SessionsTotal = 5, ClientsMaximum = 3, RetainedMessages = 7, Subscriptions = 4, ClientsTotal = 9, SocketsOpened = 10 };
            _published.Clear();
            await publisher.UpdateAsync();
            Assert.Equal(new[] { "$SYS/broker/clients/active", "$SYS/broker/clients/connected", "$SYS/broker/clients/disconnected", "$SYS/broker/clients/inactive" },
                _published.Select(m => m.Topic).OrderBy(t => t, StringComparer.Ordinal));
            Assert.True(first > 40);
        }

        [Fact]
        public void Load_averages_follow_mosquittos_exponential_smoothing()
        {
            var publisher = Create();
            var c = new MqttBrokerStatistics { MessagesReceived = 1000 };
            publisher.Compute(c, 0);
            c.MessagesReceived = 1600; // 600 messages in 60 s: a rate of 600 per minute
            var values = publisher.Compute(c, 60).ToDictionary(p => p.Key, p => p.Value);
            Assert.Equal((600 * (1 - Math.Exp(-1))).ToString("F2", System.Globalization.CultureInfo.InvariantCulture), values["$SYS/broker/load/messages/received/1min"]);
            Assert.Equal((600 * (1 - Math.Exp(-60.0 / 300))).ToString("F2", System.Globalization.CultureInfo.InvariantCulture), values["$SYS/broker/load/messages/received/5min"]);
            Assert.Equal((600 * (1 - Math.Exp(-60.0 / 900))).ToString("F2", System.Globalization.CultureInfo.InvariantCulture), values["$SYS/broker/load/messages/received/15min"]);
            Assert.Equal("0.00", values["$SYS/broker/load/messages/sent/1min"]);
        }

        [Fact]
        public async Task Runs_on_its_interval_until_stopped()
        {
            var publisher = Create(TimeSpan.FromMilliseconds(50));
            publisher.Start();
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (publisher.Updates < 3 && DateTime.UtcNow < deadline) await Task.Delay(20);
            await publisher.StopAsync();
            Assert.True(publisher.Updates >= 3, "updates: " + publisher.Updates);
            var after = publisher.Updates;
            await Task.Delay(200);
            Assert.Equal(after, publisher.Updates);
            publisher.Dispose();
        }
    }
}
