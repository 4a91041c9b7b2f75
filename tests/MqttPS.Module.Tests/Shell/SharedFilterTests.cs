using System;
using System.Collections.Generic;
using System.Linq;
using MqttPS.Core.Messages;
using MqttPS.Core.Protocol;
using MqttPS.Core.Shell;
using MqttPS.Module.Tests.Fakes;
using Xunit;

namespace MqttPS.Module.Tests.Shell
{
    /// <summary>Users of one topic filter on one connection share one broker subscription at the highest QoS any of
    /// them asked for, and a newcomer (or Get-MqttRetainedMessage) never disturbs the others.</summary>
    public class SharedFilterTests
    {
        private static (MqttShellSession, ScriptedShellClient, MqttConnection, RecordingHost) Connected(MqttProtocolVersion version = MqttProtocolVersion.V500, bool identifiers = false)
        {
            var factory = new ScriptedClientFactory(s => new ScriptedShellClient(s.ProtocolVersion) { SupportsSubscriptionIdentifiers = identifiers });
            var session = new MqttShellSession(factory);
            var host = new RecordingHost();
            var connection = session.Connect(new MqttConnectionSettings { ProtocolVersion = version }, host);
            return (session, factory.Created[0], connection, host);
        }

        private static MqttSubscription Subscribe(MqttShellSession session, MqttConnection connection, RecordingHost host, string filter, MqttQualityOfService qos,
            RetainHandling retainHandling = RetainHandling.SendAtSubscribe) =>
            session.Subscribe(connection, new SubscriptionRequest { TopicFilters = new[] { filter }, QoS = qos, RetainHandling = retainHandling },
                SubscriptionMode.Stream, PayloadFormat.Auto, null, host, null);

        private static List<string> Sent(ScriptedShellClient client) =>
            client.SubscribePackets.SelectMany(p => p.Subscriptions.Select(s => s.TopicFilter + "@" + (int)s.QoS + "/" + s.RetainHandling)).ToList();

        [Fact]
        public void A_newcomer_with_a_lower_QoS_does_not_lower_the_broker_subscription()
        {
            var (session, client, connection, host) = Connected();
            var first = Subscribe(session, connection, host, "q/#", MqttQualityOfService.AtLeastOnce);
            var look = Subscribe(session, connection, host, "q/#", MqttQualityOfService.AtMostOnce);
            // The second SUBSCRIBE asks only for the newcomer's retained messages, at the QoS the filter has.
            Assert.Equal(new[] { "q/#@1/SendAtSubscribe", "q/#@1/SendAtSubscribe" }, Sent(client));
            session.Unsubscribe(look, host, null);
            Assert.Equal(2, client.SubscribePackets.Count); // nothing to restore
            Assert.Empty(client.Unsubscribed);
            Assert.Equal("Active", first.State);
        }

        [Fact]
        public void A_newcomer_with_a_higher_QoS_raises_it_and_its_leaving_restores_it_without_retained_messages()
        {
            var (session, client, connection, host) = Connected();
            Subscribe(session, connection, host, "q/#", MqttQualityOfService.AtLeastOnce);
            var high = Subscribe(session, connection, host, "q/#", MqttQualityOfService.ExactlyOnce, RetainHandling.DoNotSend);
            session.Unsubscribe(high, host, null);
            Assert.Equal(new[] { "q/#@1/SendAtSubscribe", "q/#@2/DoNotSend", "q/#@1/DoNotSend" }, Sent(client));
        }

        [Fact]
        public void Re_sent_retained_messages_reach_the_newcomer_only_and_live_messages_everyone()
        {
            var (session, client, connection, host) = Connected();
            var first = Subscribe(session, connection, host, "q/#", MqttQualityOfService.AtLeastOnce);
            client.Deliver(new MqttMessage("q/a", "retained", MqttQualityOfService.AtLeastOnce, retain: true)); // sent for the first SUBSCRIBE
            var second = Subscribe(session, connection, host, "q/#", MqttQualityOfService.AtMostOnce);
            client.Deliver(new MqttMessage("q/a", "retained", MqttQualityOfService.AtLeastOnce, retain: true)); // sent again for the second
            client.Deliver(new MqttMessage("q/a", "live", MqttQualityOfService.AtLeastOnce));
            Assert.Equal(new[] { "retained", "live" }, Drain(first));
            Assert.Equal(new[] { "retained", "live" }, Drain(second));
        }

        [Fact]
        public void Reading_retained_messages_disturbs_no_subscription_on_the_filter()
        {
            var (session, client, connection, host) = Connected(MqttProtocolVersion.V311);
            var running = Subscribe(session, connection, host, "q/#", MqttQualityOfService.ExactlyOnce);
            var feeder = Background.Run(() =>
            {
                System.Threading.Thread.Sleep(50);
                client.Deliver(new MqttMessage("q/a", "kept", MqttQualityOfService.AtLeastOnce, retain: true));
                client.Deliver(new MqttMessage("q/b", "live", MqttQualityOfService.ExactlyOnce));
            });
            var retained = RetainedMessageCollector.Collect(connection, new SubscriptionRequest { TopicFilters = new[] { "q/#" }, QoS = MqttQualityOfService.AtLeastOnce },
                host, null, TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5));
            feeder.Wait(5000);
            Assert.Equal(new[] { "q/a=kept" }, retained.Select(m => m.Topic + "=" + m.PayloadText));
            Assert.Equal(new[] { "live" }, Drain(running)); // not the re-sent retained message
            // The look took the filter at its QoS 2; nothing was lowered, nothing unsubscribed.
            Assert.Equal(new[] { "q/#@2/SendAtSubscribe", "q/#@2/SendAtSubscribe" }, Sent(client));
            Assert.Empty(client.Unsubscribed);
        }

        [Fact]
        public void In_3_1_1_lowering_the_QoS_again_re_sends_retained_messages_to_nobody()
        {
            var (session, client, connection, host) = Connected(MqttProtocolVersion.V311);
            var first = Subscribe(session, connection, host, "q/#", MqttQualityOfService.AtMostOnce);
            var high = Subscribe(session, connection, host, "q/#", MqttQualityOfService.AtLeastOnce);
            session.Unsubscribe(high, host, null);
            client.Deliver(new MqttMessage("q/a", "re-sent", MqttQualityOfService.AtMostOnce, retain: true));
            Assert.Empty(Drain(first));
            Assert.Equal(new[] { "q/#@0/SendAtSubscribe", "q/#@1/SendAtSubscribe", "q/#@0/SendAtSubscribe" }, Sent(client));
        }

        [Fact]
        public void Different_NoLocal_or_RetainAsPublished_on_one_filter_is_a_clear_error()
        {
            var (session, client, connection, host) = Connected();
            session.Subscribe(connection, new SubscriptionRequest { TopicFilters = new[] { "q/#" }, NoLocal = true }, SubscriptionMode.Stream, PayloadFormat.Auto, null, host, null);
            var e = Assert.Throws<MqttShellException>(() => Subscribe(session, connection, host, "q/#", MqttQualityOfService.AtMostOnce));
            Assert.Equal("SubscriptionOptionsConflict", e.ErrorId);
            Assert.Contains("-NoLocal", e.Message);
            Assert.Single(session.Subscriptions.All);
            Assert.Single(client.SubscribePackets);
        }

        [Fact]
        public void With_subscription_identifiers_overlapping_filters_get_one_copy_each()
        {
            var (session, client, connection, host) = Connected(identifiers: true);
            var all = Subscribe(session, connection, host, "a/#", MqttQualityOfService.AtMostOnce);
            var one = Subscribe(session, connection, host, "a/b", MqttQualityOfService.AtMostOnce);
            var ids = client.SubscribePackets.Select(p => p.Identifier.Value).ToArray();
            Assert.Equal(2, ids.Distinct().Count());
            // A 5.0 broker (mosquitto 2.0) sends one copy per matching subscription, each with its identifier.
            var copy1 = new MqttMessage("a/b", "x"); copy1.SubscriptionIdentifiers.Add(ids[0]);
            var copy2 = new MqttMessage("a/b", "x"); copy2.SubscriptionIdentifiers.Add(ids[1]);
            client.Deliver(copy1);
            client.Deliver(copy2);
            Assert.Single(Drain(all));
            Assert.Single(Drain(one));
        }

        private static List<string> Drain(MqttSubscription s)
        {
            var got = new List<string>();
            while (s.Queue.TryTake(TimeSpan.Zero, out var m)) got.Add(m.PayloadText);
            return got;
        }
    }
}
