using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using MqttPS.Core.Broker;
using MqttPS.Core.Messages;
using MqttPS.Core.Protocol;
using MqttPS.Core.Shell;
using MqttPS.Module.Tests.Fakes;
using Xunit;

namespace MqttPS.Module.Tests.Shell
{
    /// <summary>The cmdlets' logic end to end with the real engine: Shell layer + MqttClient + embedded MqttBroker.</summary>
    public sealed class EmbeddedBrokerTests : IDisposable
    {
        private readonly RecordingHost _host = new RecordingHost();
        private readonly MqttShellSession _session = new MqttShellSession(new MqttClientAdapterFactory());
        private readonly MqttEmbeddedBroker _broker;

        public EmbeddedBrokerTests()
        {
            _broker = _session.StartBroker(new MqttBrokerSettings { Port = 0, Name = "test" }, _host);
        }

        public void Dispose()
        {
            _session.CloseAll(_host);
        }

        private MqttConnection Connect(string clientId, MqttProtocolVersion version = MqttProtocolVersion.V500, string name = null) =>
            _session.Connect(new MqttConnectionSettings { Broker = _broker.Uri, ClientId = clientId, ProtocolVersion = version, Name = name }, _host);

        private static List<PublishCompletion> PublishAll(MqttConnection connection, IEnumerable<MqttMessage> messages, IShellHost host, int window = 20)
        {
            var done = new List<PublishCompletion>();
            var w = new PublishWindow(connection.PublishAsync, window, TimeSpan.FromSeconds(20));
            foreach (var m in messages) w.Submit(m, m.Topic, host, null, done);
            w.Flush(host, null, done);
            return done;
        }

        [Fact]
        public void Start_broker_reports_a_usable_address_and_registers_by_name()
        {
            Assert.True(_broker.IsRunning);
            Assert.StartsWith("mqtt://127.0.0.1:", _broker.Uri);
            Assert.NotEqual(0, _broker.Port);
            Assert.Equal(new[] { _broker }, _session.Brokers.Find("te*"));
            var e = Assert.Throws<MqttShellException>(() => _session.StartBroker(new MqttBrokerSettings { Port = 0, Name = "TEST" }, _host));
            Assert.Equal("BrokerNameInUse", e.ErrorId);
        }

        [Fact]
        public void A_port_in_use_is_a_clear_resource_error()
        {
            var e = Assert.Throws<MqttShellException>(() => _session.StartBroker(new MqttBrokerSettings { Port = _broker.Port, Name = "clash" }, _host));
            Assert.Equal("BrokerStartFailed", e.ErrorId);
            Assert.Contains(_broker.Port.ToString(), e.Message);
            Assert.Empty(_session.Brokers.Find("clash"));
        }

        [Fact]
        public void Windowed_qos1_publishes_all_arrive_in_order_at_a_streaming_subscription()
        {
            var sub = Connect("sub");
            var pub = Connect("pub");
            var s = _session.Subscribe(sub, new SubscriptionRequest { TopicFilters = new[] { "load/#" }, QoS = MqttQualityOfService.AtLeastOnce }, SubscriptionMode.Stream, PayloadFormat.Auto, null, _host, null);
            var messages = Enumerable.Range(0, 500).Select(i => new PublishRequest { Topic = "load/" + (i % 7), Payload = "m" + i, QoS = MqttQualityOfService.AtLeastOnce }.ToMessage(pub.ProtocolVersion)).ToList();
            var done = PublishAll(pub, messages, _host);
            Assert.All(done, d => Assert.True(d.Succeeded, d.Error?.Message));
            Assert.Equal(500, done.Count);
            var got = new List<string>();
            var reason = MessageStreamReader.Read(s, _host, null, 500, TimeSpan.FromSeconds(20), m => got.Add(m.PayloadText));
            Assert.Equal(StreamEndReason.CountReached, reason);
            Assert.Equal(Enumerable.Range(0, 500).Select(i => "m" + i), got);
            Assert.Equal(500, pub.MessagesSent);
            _session.Unsubscribe(s, _host, null);
            Assert.Empty(_broker.GetClients("sub").Single().Subscriptions);
        }

        [Fact]
        public void Json_objects_published_arrive_as_json_with_a_content_type()
        {
            var c = Connect("json");
            var s = _session.Subscribe(c, new SubscriptionRequest { TopicFilters = new[] { "j" } }, SubscriptionMode.Stream, PayloadFormat.Json, null, _host, null);
            var payload = new System.Collections.Specialized.OrderedDictionary { ["temp"] = 21.5, ["unit"] = "C" };
            PublishAll(c, new[] { new PublishRequest { Topic = "j", Payload = payload }.ToMessage(c.ProtocolVersion) }, _host);
            MqttMessage received = null;
            MessageStreamReader.Read(s, _host, null, 1, TimeSpan.FromSeconds(10), m => received = MessageCopy.WithPayloadFormat(m, s.Format));
            Assert.Equal("{\"temp\":21.5,\"unit\":\"C\"}", received.PayloadText);
            Assert.Equal("application/json", received.ContentType);
            Assert.Equal(21.5, ((JsonObject)received.Payload)["temp"]);
        }

        [Fact]
        public void Retained_messages_are_read_both_through_a_subscription_and_from_the_store_and_cleared()
        {
            var c = Connect("retain");
            PublishAll(c, new[] { "cfg/a", "cfg/b", "other/x" }.Select(t => new PublishRequest { Topic = t, Payload = "v-" + t, Retain = true, QoS = MqttQualityOfService.AtLeastOnce }.ToMessage(c.ProtocolVersion)), _host);
            var viaSubscription = RetainedMessageCollector.Collect(c, new SubscriptionRequest { TopicFilters = new[] { "cfg/#" } }, _host, null,
                TimeSpan.FromMilliseconds(1500), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10));
            Assert.Equal(new[] { "cfg/a=v-cfg/a", "cfg/b=v-cfg/b" }, viaSubscription.Select(m => m.Topic + "=" + m.PayloadText));
            Assert.Equal(new[] { "cfg/a", "cfg/b" }, _broker.ListRetained(new[] { "cfg/#" }).Select(m => m.Topic));

            // Clearing through the protocol (any broker) and directly in the store (embedded broker).
            PublishAll(c, new[] { RetainedMessageClearing.CreateClearMessage("cfg/a") }, _host);
            Assert.True(_broker.DeleteRetained("cfg/b"));
            Assert.Empty(_broker.ListRetained(new[] { "cfg/#" }));
            Assert.Equal(new[] { "other/x" }, _broker.ListRetained(new[] { "#" }).Select(m => m.Topic));
            var e = Assert.Throws<MqttShellException>(() => RetainedMessageClearing.CreateClearMessage("cfg/+"));
            Assert.Equal("WildcardTopic", e.ErrorId);
        }

        [Fact]
        public void Background_subscriptions_raise_their_messages_as_events()
        {
            var c = Connect("events");
            var got = new System.Collections.Concurrent.BlockingCollection<string>();
            var s = _session.Subscribe(c, new SubscriptionRequest { TopicFilters = new[] { "alerts/#" } }, SubscriptionMode.Event, PayloadFormat.Auto, null, _host, null,
                sub => sub.AttachEvents(new RecordingEventTarget(m => got.Add(m.Topic + ":" + m.PayloadText)), 16));
            Assert.Equal("MqttPS.Subscription." + s.Id, s.SourceIdentifier);
            var other = Connect("alerter");
            PublishAll(other, new[] { new PublishRequest { Topic = "alerts/disk", Payload = "95%" }.ToMessage(other.ProtocolVersion) }, _host);
            Assert.True(got.TryTake(out var first, 5000));
            Assert.Equal("alerts/disk:95%", first);
            _session.Unsubscribe(s, _host, null);
            PublishAll(other, new[] { new PublishRequest { Topic = "alerts/cpu", Payload = "99%", QoS = MqttQualityOfService.AtLeastOnce }.ToMessage(other.ProtocolVersion) }, _host);
            Assert.False(got.TryTake(out _, 300));
        }

        [Fact]
        public void Disconnect_removes_the_client_from_the_broker()
        {
            var c = Connect("leaver", name: "leaver");
            Assert.Single(_broker.GetClients("leaver"));
            _session.Disconnect(c, _host);
            var deadline = DateTime.UtcNow.AddSeconds(5);
            while (_broker.GetClients("leaver").Count > 0 && DateTime.UtcNow < deadline) Thread.Sleep(20);
            Assert.Empty(_broker.GetClients("leaver"));
        }

        [Fact]
        public void Verbose_shows_the_protocol_conversation_of_connect()
        {
            Connect("talker");
            Assert.Contains(_host.Verbose, v => v.Contains("CONNECT"));
            Assert.Contains(_host.Verbose, v => v.Contains("CONNACK"));
            Assert.Empty(_host.OffThreadCalls);
        }

        [Fact]
        public void Broker_events_stream_on_the_pipeline_thread_until_stopped()
        {
            var events = new List<MqttBrokerEvent>();
            var thread = Environment.CurrentManagedThreadId;
            var threads = new HashSet<int>();
            var host = new RecordingHost();
            _ = Background.Run(() =>
            {
                Thread.Sleep(200); // let the stream attach its listener first
                var c = _session.Connect(new MqttConnectionSettings { Broker = _broker.Uri, ClientId = "watched", Name = "watched" }, new RecordingHost());
                c.PublishAsync(new MqttMessage("w/1", "x"), CancellationToken.None).Wait(5000);
                Thread.Sleep(200);
                host.Stop();
            });
            BrokerEventStream.Run(_broker, host, e => e.Kind != MqttBrokerEventKind.MessageDropped, e => { threads.Add(Environment.CurrentManagedThreadId); events.Add(e); });
            Assert.Contains(events, e => e.Kind == MqttBrokerEventKind.ClientConnected && e.ClientId == "watched");
            Assert.Contains(events, e => e.Kind == MqttBrokerEventKind.MessagePublished && e.Topic == "w/1");
            Assert.Equal(new[] { thread }, threads);
        }

        [Fact]
        public void Users_table_refuses_a_wrong_password_with_an_authentication_error()
        {
            var settings = new MqttBrokerSettings { Port = 0, Name = "secure" };
            settings.Users.Add(new KeyValuePair<string, string>("alice", "s3cret"));
            var secure = _session.StartBroker(settings, _host);
            var e = Assert.Throws<MqttShellException>(() => _session.Connect(new MqttConnectionSettings { Broker = secure.Uri, Username = "alice", Password = "wrong" }, _host));
            Assert.Equal("ConnectFailed", e.ErrorId);
            Assert.Equal(ShellErrorCategory.AuthenticationError, e.Category);
            var anonymous = Assert.Throws<MqttShellException>(() => _session.Connect(new MqttConnectionSettings { Broker = secure.Uri }, _host));
            Assert.Equal(ShellErrorCategory.AuthenticationError, anonymous.Category);
            Assert.Contains("-Credential", anonymous.Message);
            var ok = _session.Connect(new MqttConnectionSettings { Broker = secure.Uri, Username = "alice", Password = "s3cret", ClientId = "alice-1" }, _host);
            Assert.True(ok.IsConnected);
            Assert.Equal("alice", secure.GetClients("alice-1").Single().Username);
        }

        [Fact]
        public void Acl_file_refusals_become_errors_naming_the_topic()
        {
            var acl = Path.Combine(Path.GetTempPath(), "mqttps-acl-" + Guid.NewGuid().ToString("N") + ".txt");
            File.WriteAllLines(acl, new[] { "topic read public/#", "pattern readwrite devices/%c/#" });
            try
            {
                var guarded = _session.StartBroker(new MqttBrokerSettings { Port = 0, Name = "guarded", AclPath = acl }, _host);
                var c = _session.Connect(new MqttConnectionSettings { Broker = guarded.Uri, ClientId = "dev1" }, _host);
                var done = PublishAll(c, new[]
                {
                    new MqttMessage("devices/dev1/temp", "1", MqttQualityOfService.AtLeastOnce),
                    new MqttMessage("public/news", "2", MqttQualityOfService.AtLeastOnce),
                }, _host);
                Assert.True(done[0].Succeeded, done[0].Error?.Message);
                Assert.Equal("PublishRejected", done[1].Error.ErrorId);
                Assert.Equal(ShellErrorCategory.PermissionDenied, done[1].Error.Category);
                Assert.Contains("'public/news'", done[1].Error.Message);
                var e = Assert.Throws<MqttShellException>(() =>
                    _session.Subscribe(c, new SubscriptionRequest { TopicFilters = new[] { "devices/dev2/#" } }, SubscriptionMode.Stream, PayloadFormat.Auto, null, _host, null));
                Assert.Equal("SubscribeRejected", e.ErrorId);
            }
            finally
            {
                File.Delete(acl);
            }
        }

        [Fact]
        public void Publishing_after_the_broker_went_away_is_one_connection_lost_error_naming_the_connection()
        {
            var other = _session.StartBroker(new MqttBrokerSettings { Port = 0, Name = "vanishing" }, _host);
            var c = _session.Connect(new MqttConnectionSettings { Broker = other.Uri, ClientId = "stranded" }, _host);
            _session.StopBroker(other, _host);
            var deadline = DateTime.UtcNow.AddSeconds(5);
            // IsConnected turns false a moment before the client reports the connection closed ("Lost: ...").
            while (!c.State.StartsWith("Lost", StringComparison.Ordinal) && DateTime.UtcNow < deadline) Thread.Sleep(20);
            Assert.StartsWith("Lost", c.State);
            var done = new List<PublishCompletion>();
            var window = new PublishWindow(c, 20, TimeSpan.FromSeconds(20));
            for (var i = 0; i < 5; i++) window.Submit(new MqttMessage("after/stop", "x", MqttQualityOfService.AtLeastOnce), i, _host, null, done);
            window.Flush(_host, null, done);
            Assert.Empty(done); // no error per message...
            Assert.Equal("ConnectionLost", window.StopError.ErrorId); // ...but one that ends the command
            Assert.Equal(ShellErrorCategory.ConnectionError, window.StopError.Category);
            Assert.Contains("'" + c.Name + "' was lost", window.StopError.Message);
            Assert.Contains("1 not sent", window.StopError.Message); // the first failed; the rest were never submitted
        }

        [Fact]
        public void Retained_messages_survive_a_restart_with_PersistencePath()
        {
            var directory = Path.Combine(Path.GetTempPath(), "mqttps-persist-" + Guid.NewGuid().ToString("N"));
            try
            {
                var first = _session.StartBroker(new MqttBrokerSettings { Port = 0, Name = "persist1", PersistencePath = directory }, _host);
                var c = _session.Connect(new MqttConnectionSettings { Broker = first.Uri, ClientId = "persist-pub" }, _host);
                var done = PublishAll(c, new[] { new MqttMessage("plant/state", "running", MqttQualityOfService.AtLeastOnce, retain: true) }, _host);
                Assert.True(done.Single().Succeeded);
                _session.Disconnect(c, _host);
                _session.StopBroker(first, _host);

                var second = _session.StartBroker(new MqttBrokerSettings { Port = 0, Name = "persist2", PersistencePath = directory }, _host);
                Assert.Equal(new[] { "plant/state=running" }, second.ListRetained(new[] { "#" }).Select(m => m.Topic + "=" + m.PayloadText));
                _session.StopBroker(second, _host);
            }
            finally
            {
                try { Directory.Delete(directory, true); } catch (IOException) { }
            }
        }

        [Fact]
        public void A_bad_acl_file_is_an_error_naming_the_file_and_line()
        {
            var acl = Path.Combine(Path.GetTempPath(), "mqttps-badacl-" + Guid.NewGuid().ToString("N") + ".txt");
            File.WriteAllLines(acl, new[] { "topic read ok/#", "permit everything" });
            try
            {
                var e = Assert.Throws<MqttShellException>(() => _session.StartBroker(new MqttBrokerSettings { Port = 0, Name = "badacl", AclPath = acl }, _host));
                Assert.Equal("InvalidAclFile", e.ErrorId);
                Assert.Contains("line 2", e.Message);
                Assert.Empty(_session.Brokers.Find("badacl"));
                var missing = Assert.Throws<MqttShellException>(() => _session.StartBroker(new MqttBrokerSettings { Port = 0, Name = "noacl", AclPath = acl + ".missing" }, _host));
                Assert.Equal("AclFileNotFound", missing.ErrorId);
            }
            finally
            {
                File.Delete(acl);
            }
        }

        [Fact]
        public void Stopping_the_broker_closes_streaming_subscriptions_of_its_clients()
        {
            var other = _session.StartBroker(new MqttBrokerSettings { Port = 0, Name = "short-lived" }, _host);
            var c = _session.Connect(new MqttConnectionSettings { Broker = other.Uri, ClientId = "orphan" }, _host);
            var s = _session.Subscribe(c, new SubscriptionRequest { TopicFilters = new[] { "x" } }, SubscriptionMode.Stream, PayloadFormat.Auto, null, _host, null);
            _ = Background.Run(() => { Thread.Sleep(200); _session.StopBroker(other, new RecordingHost()); });
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var reason = MessageStreamReader.Read(s, _host, null, null, TimeSpan.FromSeconds(20), _ => { });
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(15), "the stream did not notice the closed connection");
            Assert.False(other.IsRunning);
            Assert.Equal(StreamEndReason.ConnectionClosed, reason);
        }
    }
}
