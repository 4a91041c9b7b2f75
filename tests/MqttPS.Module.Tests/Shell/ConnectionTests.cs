using System;
using System.Linq;
using MqttPS.Core.Messages;
using MqttPS.Core.Protocol;
using MqttPS.Core.Shell;
using MqttPS.Module.Tests.Fakes;
using Xunit;

namespace MqttPS.Module.Tests.Shell
{
    public class ConnectionTests
    {
        private static (MqttShellSession Session, ScriptedClientFactory Factory, RecordingHost Host) NewSession()
        {
            var factory = new ScriptedClientFactory();
            return (new MqttShellSession(factory), factory, new RecordingHost());
        }

        [Fact]
        public void The_newest_connection_is_the_default_and_the_previous_one_takes_over_when_it_closes()
        {
            var (session, _, host) = NewSession();
            var first = session.Connect(new MqttConnectionSettings { ClientId = "a" }, host);
            var second = session.Connect(new MqttConnectionSettings { ClientId = "b", Name = "lab" }, host);
            Assert.Equal("mqtt1", first.Name);
            Assert.Equal("lab", second.Name);
            Assert.Same(second, session.Connections.Default);
            Assert.False(first.IsDefault);
            session.Disconnect(second, host);
            Assert.Same(first, session.Connections.Default);
            Assert.True(first.IsDefault);
            Assert.Equal("Closed", second.State);
        }

        [Fact]
        public void Connection_names_are_unique_in_a_session()
        {
            var (session, factory, host) = NewSession();
            session.Connect(new MqttConnectionSettings { Name = "plant" }, host);
            var e = Assert.Throws<MqttShellException>(() => session.Connect(new MqttConnectionSettings { Name = "PLANT" }, host));
            Assert.Equal("ConnectionNameInUse", e.ErrorId);
            Assert.Equal(ShellErrorCategory.ResourceExists, e.Category);
            Assert.Single(factory.Created); // refused before any network traffic
        }

        [Fact]
        public void Resolve_without_any_connection_says_what_to_do()
        {
            var (session, _, _) = NewSession();
            var e = Assert.Throws<MqttShellException>(() => session.Connections.Resolve(null));
            Assert.Equal("NoConnection", e.ErrorId);
            Assert.Contains("Connect-Mqtt", e.Message);
        }

        [Fact]
        public void A_failed_connect_is_a_connection_error_naming_the_broker_and_leaves_nothing_registered()
        {
            var factory = new ScriptedClientFactory(s => new ScriptedShellClient { ConnectFailure = new System.Net.Sockets.SocketException(111) });
            var session = new MqttShellSession(factory);
            var e = Assert.Throws<MqttShellException>(() => session.Connect(new MqttConnectionSettings { Broker = "nowhere" }, new RecordingHost()));
            Assert.Equal("ConnectFailed", e.ErrorId);
            Assert.Equal(ShellErrorCategory.ConnectionError, e.Category);
            Assert.Contains("mqtt://scripted:1883", e.Message);
            Assert.Empty(session.Connections.All);
            Assert.True(factory.Created[0].Disposed);
        }

        [Fact]
        public void Connect_writes_the_protocol_conversation_to_verbose()
        {
            var (session, _, host) = NewSession();
            session.Connect(new MqttConnectionSettings { ClientId = "v" }, host);
            Assert.Contains("-> CONNECT client_id=v", host.Verbose);
            Assert.Contains("<- CONNACK reason=Success", host.Verbose);
        }

        [Fact]
        public void Connection_names_find_by_wildcard()
        {
            var (session, _, host) = NewSession();
            session.Connect(new MqttConnectionSettings { Name = "plant-a" }, host);
            session.Connect(new MqttConnectionSettings { Name = "plant-b" }, host);
            session.Connect(new MqttConnectionSettings { Name = "office" }, host);
            Assert.Equal(new[] { "plant-a", "plant-b" }, session.Connections.Find("plant*").Select(c => c.Name));
        }

        [Theory]
        [InlineData("WillPayload", "WillTopicMissing")]
        [InlineData("Port", "InvalidPort")]
        [InlineData("Expiry311", "SessionExpiryNeedsMqtt5")]
        [InlineData("EmptyIdNoClean", "InvalidClientId")]
        [InlineData("BadWill", "InvalidTopicName")]
        [InlineData("CertMissing", "CertificateNotFound")]
        public void Settings_validation_names_the_bad_parameter(string what, string errorId)
        {
            var s = new MqttConnectionSettings();
            switch (what)
            {
                case "WillPayload": s.WillPayload = new byte[] { 1 }; break;
                case "Port": s.Port = 70000; break;
                case "Expiry311": s.ProtocolVersion = MqttProtocolVersion.V311; s.SessionExpirySeconds = 60; break;
                case "EmptyIdNoClean": s.ClientId = ""; s.CleanStart = false; break;
                case "BadWill": s.WillTopic = "a/#"; break;
                case "CertMissing": s.CertificatePath = "/nonexistent/client.pfx"; break;
            }
            var e = Assert.Throws<MqttShellException>(() => s.Validate());
            Assert.Equal(errorId, e.ErrorId);
        }

        [Fact]
        public void Messages_are_routed_to_every_subscription_whose_filter_matches()
        {
            var (session, factory, host) = NewSession();
            var connection = session.Connect(new MqttConnectionSettings(), host);
            var client = factory.Created[0];
            var a = session.Subscribe(connection, new SubscriptionRequest { TopicFilters = new[] { "home/+/temp" } }, SubscriptionMode.Stream, PayloadFormat.Auto, null, host, null);
            var b = session.Subscribe(connection, new SubscriptionRequest { TopicFilters = new[] { "home/#" } }, SubscriptionMode.Stream, PayloadFormat.Auto, null, host, null);
            var c = session.Subscribe(connection, new SubscriptionRequest { TopicFilters = new[] { "$share/g/home/kitchen/temp" } }, SubscriptionMode.Stream, PayloadFormat.Auto, null, host, null);
            client.Deliver(new MqttMessage("home/kitchen/temp", "21"));
            client.Deliver(new MqttMessage("home/door", "open"));
            Assert.Equal(1, a.Queue.Count);
            Assert.Equal(2, b.Queue.Count);
            Assert.Equal(1, c.Queue.Count);
            Assert.Equal(2, connection.MessagesReceived);
        }

        [Fact]
        public void A_filter_is_unsubscribed_at_the_broker_only_when_its_last_user_goes()
        {
            var (session, factory, host) = NewSession();
            var connection = session.Connect(new MqttConnectionSettings(), host);
            var client = factory.Created[0];
            var a = session.Subscribe(connection, new SubscriptionRequest { TopicFilters = new[] { "x/#", "y" } }, SubscriptionMode.Stream, PayloadFormat.Auto, null, host, null);
            var b = session.Subscribe(connection, new SubscriptionRequest { TopicFilters = new[] { "x/#" } }, SubscriptionMode.Event, PayloadFormat.Auto, "watch", host, null);
            Assert.Equal(new[] { "x/#", "y" }, connection.Subscriptions);
            session.Unsubscribe(a, host, null);
            Assert.Equal(new[] { "y" }, client.Unsubscribed.ToArray());
            Assert.Equal(new[] { b }, session.Subscriptions.All);
            session.Unsubscribe(b, host, null);
            Assert.Equal(new[] { "y", "x/#" }, client.Unsubscribed.ToArray());
            Assert.Empty(connection.Subscriptions);
            Assert.Equal("Stopped", a.State);
        }

        [Fact]
        public void A_refused_subscription_is_an_error_with_the_reason_and_is_not_left_registered()
        {
            var (session, factory, host) = NewSession();
            var connection = session.Connect(new MqttConnectionSettings(), host);
            factory.Created[0].SubAck = s => s.TopicFilter == "secret/#" ? SubAckReasonCode.NotAuthorized : SubAckReasonCode.GrantedQoS0;
            var e = Assert.Throws<MqttShellException>(() =>
                session.Subscribe(connection, new SubscriptionRequest { TopicFilters = new[] { "ok", "secret/#" } }, SubscriptionMode.Stream, PayloadFormat.Auto, null, host, null));
            Assert.Equal("SubscribeRejected", e.ErrorId);
            Assert.Equal(ShellErrorCategory.PermissionDenied, e.Category);
            Assert.Contains("'secret/#'", e.Message);
            Assert.Contains("Not authorized (0x87)", e.Message);
            Assert.Empty(session.Subscriptions.All);
            Assert.Contains("ok", factory.Created[0].Unsubscribed); // the granted half is undone
        }

        [Theory]
        [InlineData("a/#/b", "InvalidTopicFilter")]
        [InlineData("a+", "InvalidTopicFilter")]
        [InlineData("$share/g", "InvalidTopicFilter")]
        public void Invalid_filters_are_refused_before_anything_is_sent(string filter, string errorId)
        {
            var (session, factory, host) = NewSession();
            var connection = session.Connect(new MqttConnectionSettings(), host);
            var e = Assert.Throws<MqttShellException>(() =>
                session.Subscribe(connection, new SubscriptionRequest { TopicFilters = new[] { filter } }, SubscriptionMode.Stream, PayloadFormat.Auto, null, host, null));
            Assert.Equal(errorId, e.ErrorId);
            Assert.Contains("'" + filter + "'", e.Message);
            Assert.Empty(factory.Created[0].Subscribed);
        }

        [Fact]
        public void Mqtt5_subscription_options_over_311_are_refused()
        {
            var e = Assert.Throws<MqttShellException>(() => new SubscriptionRequest { TopicFilters = new[] { "a" }, NoLocal = true }.Build(MqttProtocolVersion.V311));
            Assert.Equal("RequiresMqtt5", e.ErrorId);
            var e2 = Assert.Throws<MqttShellException>(() => new SubscriptionRequest { TopicFilters = new[] { "$share/g/a" }, NoLocal = true }.Build(MqttProtocolVersion.V500));
            Assert.Contains("MQTT-3.8.3-4", e2.Message);
        }

        [Fact]
        public void Source_identifiers_are_unique()
        {
            var (session, _, host) = NewSession();
            var connection = session.Connect(new MqttConnectionSettings(), host);
            session.Subscribe(connection, new SubscriptionRequest { TopicFilters = new[] { "a" } }, SubscriptionMode.Event, PayloadFormat.Auto, "alerts", host, null);
            var e = Assert.Throws<MqttShellException>(() =>
                session.Subscribe(connection, new SubscriptionRequest { TopicFilters = new[] { "b" } }, SubscriptionMode.Event, PayloadFormat.Auto, "Alerts", host, null));
            Assert.Equal("SourceIdentifierInUse", e.ErrorId);
        }

        [Fact]
        public void Disconnect_ends_the_connections_subscriptions_and_sends_disconnect()
        {
            var (session, factory, host) = NewSession();
            var connection = session.Connect(new MqttConnectionSettings(), host);
            var s = session.Subscribe(connection, new SubscriptionRequest { TopicFilters = new[] { "a" } }, SubscriptionMode.Event, PayloadFormat.Auto, "x", host, null);
            var ended = session.Disconnect(connection, host);
            Assert.Equal(new[] { s }, ended);
            Assert.True(factory.Created[0].Disconnected);
            Assert.True(factory.Created[0].Disposed);
            Assert.Empty(session.Subscriptions.All);
            Assert.Empty(session.Connections.All);
        }

        [Fact]
        public void Event_mode_raises_messages_off_the_network_thread_in_order_and_counts_failures()
        {
            var (session, factory, host) = NewSession();
            var connection = session.Connect(new MqttConnectionSettings(), host);
            var raisedOn = new System.Collections.Concurrent.ConcurrentBag<int>();
            var deliveringThread = 0;
            var target = new RecordingEventTarget(m => { raisedOn.Add(Environment.CurrentManagedThreadId); if (m.Topic == "alerts/bad") throw new InvalidOperationException(); });
            var s = session.Subscribe(connection, new SubscriptionRequest { TopicFilters = new[] { "alerts/#" } }, SubscriptionMode.Event, PayloadFormat.Auto, "ops", host, null,
                sub => sub.AttachEvents(target, 4));
            Background.Run(() =>
            {
                deliveringThread = Environment.CurrentManagedThreadId;
                for (var i = 0; i < 20; i++) factory.Created[0].Deliver(new MqttMessage("alerts/" + (i == 7 ? "bad" : i.ToString()), "x"));
            }).Wait(5000);
            WaitFor(() => target.Raised.Count == 20);
            Assert.Equal(Enumerable.Range(0, 20).Select(i => i == 7 ? "alerts/bad" : "alerts/" + i), target.Raised.Select(m => m.Topic));
            Assert.DoesNotContain(deliveringThread, raisedOn);
            Assert.Equal(20, s.MessagesReceived);
            Assert.Equal(1, s.MessagesDropped);
        }

        private static void WaitFor(Func<bool> condition, int milliseconds = 5000)
        {
            var deadline = DateTime.UtcNow.AddMilliseconds(milliseconds);
            while (!condition())
            {
                if (DateTime.UtcNow > deadline) throw new TimeoutException("The condition did not become true within " + milliseconds + " ms.");
                System.Threading.Thread.Sleep(10);
            }
        }
    }
}
