using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net.Sockets;
using System.Text;
using MqttPS.Core.Broker;
using MqttPS.Core.Protocol;
using MqttPS.Core.Shell;
using MqttPS.Core.Transport;
using MqttPS.Module.Tests.Fakes;
using Xunit;

namespace MqttPS.Module.Tests.Shell
{
    public class ValidationAndMappingTests
    {
        [Theory]
        [InlineData("home/kitchen/temp", "home/+/temp", true)]
        [InlineData("home", "home/#", true)]
        [InlineData("home/kitchen/temp", "home/+", false)]
        [InlineData("$SYS/uptime", "#", false)]
        [InlineData("$SYS/uptime", "$SYS/#", true)]
        [InlineData("a/b", "$share/group/a/+", true)]
        [InlineData("a/b/c", "$share/group/a/+", false)]
        public void Test_MqttTopic_matches_as_MQTT_does(string topic, string filter, bool expected)
        {
            TopicValidation.RequireTopicFilter(filter, "Filter");
            TopicValidation.RequireTopicName(topic, "Topic");
            Assert.Equal(expected, TopicValidation.Matches(filter, topic));
        }

        [Theory]
        [InlineData("sport+", "MQTT-4.7.1")]
        [InlineData("a/#/b", "MQTT-4.7.1")]
        [InlineData("", "")]
        public void Invalid_filters_name_the_parameter_the_value_and_the_rule(string filter, string rule)
        {
            var e = Assert.Throws<MqttShellException>(() => TopicValidation.RequireTopicFilter(filter, "Filter"));
            Assert.Equal("InvalidTopicFilter", e.ErrorId);
            Assert.StartsWith("-Filter '" + filter + "'", e.Message);
            Assert.Contains(rule, e.Message);
            Assert.Equal(filter, e.TargetObject);
        }

        [Fact]
        public void Wildcard_names_match_like_PowerShell()
        {
            Assert.True(WildcardName.IsMatch("plant-*", "PLANT-a"));
            Assert.True(WildcardName.IsMatch("b?oker", "broker"));
            Assert.False(WildcardName.IsMatch("plant-*", "office"));
            Assert.True(WildcardName.IsMatch("a.b", "a.b"));
            Assert.False(WildcardName.IsMatch("a.b", "axb")); // '.' is literal
            Assert.True(WildcardName.HasWildcards("x*"));
            Assert.False(WildcardName.HasWildcards("x"));
        }

        [Fact]
        public void Subscriptions_are_found_by_id_source_identifier_topic_and_connection()
        {
            var factory = new ScriptedClientFactory();
            var session = new MqttShellSession(factory);
            var host = new RecordingHost();
            var c1 = session.Connect(new MqttConnectionSettings { Name = "one" }, host);
            var c2 = session.Connect(new MqttConnectionSettings { Name = "two" }, host);
            var a = session.Subscribe(c1, new SubscriptionRequest { TopicFilters = new[] { "ops/alerts/#" } }, SubscriptionMode.Event, PayloadFormat.Auto, "ops.alerts", host, null);
            var b = session.Subscribe(c2, new SubscriptionRequest { TopicFilters = new[] { "ops/metrics/+" } }, SubscriptionMode.Event, PayloadFormat.Auto, "ops.metrics", host, null);
            var c = session.Subscribe(c2, new SubscriptionRequest { TopicFilters = new[] { "home/#" } }, SubscriptionMode.Event, PayloadFormat.Auto, null, host, null);
            Assert.Equal(new[] { b }, session.Subscriptions.Find(ids: new[] { b.Id }));
            Assert.Equal(new[] { a, b }, session.Subscriptions.Find(sourceIdentifier: "ops.*"));
            Assert.Equal(new[] { a }, session.Subscriptions.Find(topicPattern: "ops/alerts/#"));
            Assert.Equal(new[] { a, b }, session.Subscriptions.Find(topicPattern: "ops/*"));
            Assert.Equal(new[] { b, c }, session.Subscriptions.Find(connection: c2));
            Assert.Equal("MqttPS.Subscription." + c.Id, c.SourceIdentifier);
            Assert.Equal(new[] { 1, 2, 3 }, new[] { a.Id, b.Id, c.Id });
        }

        [Theory]
        [InlineData("localhost", "127.0.0.1")]
        [InlineData("*", "0.0.0.0")]
        [InlineData("::", "::")]
        [InlineData("10.1.2.3", "10.1.2.3")]
        public void Bind_addresses_parse(string text, string expected)
        {
            Assert.Equal(expected, new MqttBrokerSettings { BindAddress = text }.ParseBindAddress().ToString());
        }

        [Fact]
        public void Broker_settings_refuse_what_cannot_work()
        {
            Assert.Equal("InvalidBindAddress", Assert.Throws<MqttShellException>(() => new MqttBrokerSettings { BindAddress = "my-host" }.Validate()).ErrorId);
            Assert.Equal("InvalidPort", Assert.Throws<MqttShellException>(() => new MqttBrokerSettings { Port = -1 }.Validate()).ErrorId);
            Assert.Equal("NoWayIn", Assert.Throws<MqttShellException>(() => new MqttBrokerSettings { AllowAnonymous = false }.Validate()).ErrorId);
            Assert.Equal("CertificateNotFound", Assert.Throws<MqttShellException>(() => new MqttBrokerSettings { CertificatePath = "/nonexistent.pfx" }.Validate()).ErrorId);
        }

        [Fact]
        public void Connection_settings_become_client_options()
        {
            var o = MqttClientAdapterFactory.ToOptions(new MqttConnectionSettings
            {
                Broker = "mqtts://broker.example.com", ClientId = "c1", Username = "u", Password = "p", ProtocolVersion = MqttProtocolVersion.V311,
                CleanStart = false, KeepAliveSeconds = 30, WillTopic = "status/c1", WillPayload = Encoding.UTF8.GetBytes("offline"), WillRetain = true,
                WillQoS = MqttQualityOfService.AtLeastOnce, AutoReconnect = true,
            });
            Assert.Equal(MqttTransportKind.Tls, o.Address.Kind);
            Assert.Equal(8883, o.Address.Port);
            Assert.Equal("c1", o.ClientId);
            Assert.Equal(Encoding.UTF8.GetBytes("p"), o.Password);
            Assert.Equal(MqttProtocolVersion.V311, o.ProtocolVersion);
            Assert.False(o.CleanStart);
            Assert.Equal((ushort)30, o.KeepAliveSeconds);
            Assert.Equal("status/c1", o.Will.Topic);
            Assert.True(o.Will.Retain);
            Assert.True(o.AutoReconnect);
            Assert.NotNull(o.Tls);

            var plain = MqttClientAdapterFactory.ToOptions(new MqttConnectionSettings { Broker = "localhost", Port = 1884 });
            Assert.Equal(MqttTransportKind.Tcp, plain.Address.Kind);
            Assert.Equal(1884, plain.Address.Port);
            Assert.Null(plain.Tls);

            // A certificate check switch means TLS even for a bare host name.
            var implied = MqttClientAdapterFactory.ToOptions(new MqttConnectionSettings { Broker = "localhost", SkipCertificateCheck = true });
            Assert.Equal(MqttTransportKind.Tls, implied.Address.Kind);
            Assert.True(implied.Tls.SkipCertificateValidation);

            var ws = MqttClientAdapterFactory.ToOptions(new MqttConnectionSettings { Broker = "ws://localhost:8080/mqtt" });
            Assert.Equal(MqttTransportKind.WebSocket, ws.Address.Kind);
        }

        [Fact]
        public void A_broker_value_that_is_not_an_address_is_an_invalid_argument()
        {
            var e = Assert.Throws<MqttShellException>(() => MqttClientAdapterFactory.ToOptions(new MqttConnectionSettings { Broker = "ftp://example.com" }));
            Assert.Equal("InvalidBroker", e.ErrorId);
            Assert.Equal(ShellErrorCategory.InvalidArgument, e.Category);
        }

        [Fact]
        public void Exceptions_map_to_the_categories_scripts_test_for()
        {
            Assert.Equal(ShellErrorCategory.ConnectionError, ShellErrorClassifier.CategoryOf(new SocketException(111)));
            Assert.Equal(ShellErrorCategory.ConnectionError, ShellErrorClassifier.CategoryOf(new IOException("reset")));
            Assert.Equal(ShellErrorCategory.OperationTimeout, ShellErrorClassifier.CategoryOf(new TimeoutException()));
            Assert.Equal(ShellErrorCategory.OperationStopped, ShellErrorClassifier.CategoryOf(new OperationCanceledException()));
            Assert.Equal(ShellErrorCategory.InvalidArgument, ShellErrorClassifier.CategoryOf(new MqttProtocolException(MqttReasonCode.TopicNameInvalid, "MQTT-4.7.3-1", "bad")));
            Assert.Equal(ShellErrorCategory.ProtocolError, ShellErrorClassifier.CategoryOf(new MqttProtocolException(MqttReasonCode.MalformedPacket, null, "bad")));
            Assert.Equal(ShellErrorCategory.AuthenticationError, ShellErrorClassifier.CategoryOf(MqttReasonCode.BadUserNameOrPassword));
            Assert.Equal(ShellErrorCategory.PermissionDenied, ShellErrorClassifier.CategoryOf(MqttReasonCode.NotAuthorized));
            Assert.Equal(ShellErrorCategory.ResourceUnavailable, ShellErrorClassifier.CategoryOf(MqttReasonCode.ServerUnavailable));
            Assert.Equal(ShellErrorCategory.LimitsExceeded, ShellErrorClassifier.CategoryOf(MqttReasonCode.QuotaExceeded));
            var wrapped = ShellErrorClassifier.Classify(new AggregateException(new TimeoutException("slow")), "PublishFailed", "t");
            Assert.Equal("PublishFailed", wrapped.ErrorId);
            Assert.Equal(ShellErrorCategory.OperationTimeout, wrapped.Category);
            Assert.Equal("slow.", wrapped.Message);
        }

        [Fact]
        public void Client_connect_refusals_are_classified_by_their_reason_code()
        {
            var refused = new MqttPS.Core.Client.MqttConnectException(MqttBrokerAddress.Parse("localhost"), ConnectReasonCode.BadUserNameOrPassword, null, "refused");
            Assert.Equal(ShellErrorCategory.AuthenticationError, ShellErrorClassifier.CategoryOf(refused));
            var unreachable = new MqttPS.Core.Client.MqttConnectException(MqttBrokerAddress.Parse("localhost"), null, null, "unreachable", new SocketException(111));
            Assert.Equal(ShellErrorCategory.ConnectionError, ShellErrorClassifier.CategoryOf(unreachable));
        }

        [Fact]
        public void Reason_codes_read_as_the_standard_names_them()
        {
            Assert.Equal("Not authorized (0x87)", ReasonText.Describe(0x87));
            Assert.Equal("No matching subscribers (0x10)", ReasonText.Describe(0x10));
            Assert.Equal("Quota exceeded (0x97)", ReasonText.Describe(0x97));
        }
    }
}
