using System;
using System.IO;
using System.Net.Sockets;
using System.Text;
using MqttPS.Core.Client;
using MqttPS.Core.Protocol;
using MqttPS.Core.Shell;
using MqttPS.Core.Transport;
using Xunit;

namespace MqttPS.Module.Tests.Shell
{
    /// <summary>Error messages say once what happened and what to do, in the cmdlets' terms: parameters as users
    /// type them, no engine API names, no .NET parameter suffixes, long input shortened.</summary>
    public class ErrorTextTests
    {
        private static readonly MqttBrokerAddress Plain = MqttBrokerAddress.Parse("mqtt://broker.lab:1884");
        private static readonly MqttBrokerAddress Secure = MqttBrokerAddress.Parse("mqtts://broker.lab:8884");

        private static MqttConnectionSettings Settings(string user = null, MqttProtocolVersion version = MqttProtocolVersion.V500) =>
            new MqttConnectionSettings { Broker = "broker.lab", Username = user, ProtocolVersion = version };

        private static MqttShellException Describe(Exception e, MqttConnectionSettings settings = null, MqttBrokerAddress address = null, bool? speaksTls = null) =>
            ConnectFailure.Describe(e, settings ?? Settings(), (address ?? Plain).ToString(), speaksTls == null ? (Func<MqttBrokerAddress, bool>)null : a => speaksTls.Value);

        private static void AssertSaidOnce(string message, string text)
        {
            var first = message.IndexOf(text, StringComparison.Ordinal);
            Assert.True(first >= 0, "'" + text + "' missing from: " + message);
            Assert.True(message.IndexOf(text, first + text.Length, StringComparison.Ordinal) < 0, "'" + text + "' said twice in: " + message);
        }

        [Fact]
        public void A_refused_socket_names_the_address_once_and_the_parameters_to_check()
        {
            var inner = new SocketException((int)SocketError.ConnectionRefused);
            var e = Describe(new MqttConnectException(Plain, null, null, "Could not connect to " + Plain + ": Connection refused.", inner));
            Assert.Equal("ConnectFailed", e.ErrorId);
            Assert.Equal(ShellErrorCategory.ConnectionError, e.Category);
            AssertSaidOnce(e.Message, "broker.lab:1884");
            Assert.Contains("-Port", e.Message);
            Assert.DoesNotContain("Could not connect to mqtt://broker.lab:1884: Could not connect", e.Message);
            Assert.Equal("broker.lab", e.TargetObject);
        }

        [Theory]
        [InlineData(0x86, null)]
        [InlineData(0x87, "alice")]
        [InlineData(0x87, null)]
        public void A_refused_login_is_an_AuthenticationError_that_points_at_Credential(int code, string user)
        {
            // mosquitto answers a wrong password with 0x87 (5.0) or return code 5 (3.1.1, mapped to 0x87).
            var e = Describe(new MqttConnectException(Plain, (ConnectReasonCode)code, null, "engine text"), Settings(user));
            Assert.Equal(ShellErrorCategory.AuthenticationError, e.Category);
            Assert.Contains("-Credential", e.Message);
            Assert.Contains("(0x" + code.ToString("X2") + ").", e.Message);
            Assert.DoesNotContain("engine text", e.Message);
            if (user != null) Assert.Contains("'" + user + "'", e.Message);
        }

        [Fact]
        public void Not_authorized_at_connect_is_authentication_but_on_publish_it_is_permission()
        {
            Assert.Equal(ShellErrorCategory.AuthenticationError, ShellErrorClassifier.CategoryOf(new MqttConnectException(Plain, ConnectReasonCode.NotAuthorized, null, "x")));
            Assert.Equal(ShellErrorCategory.PermissionDenied, ShellErrorClassifier.CategoryOf(MqttReasonCode.NotAuthorized));
        }

        [Fact]
        public void An_unsupported_version_says_which_ProtocolVersion_to_use()
        {
            var e = Describe(new MqttConnectException(Plain, ConnectReasonCode.UnsupportedProtocolVersion, null, "x"));
            Assert.Contains("-ProtocolVersion 3.1.1", e.Message);
            Assert.Contains("MQTT 5.0", e.Message);
        }

        [Fact]
        public void The_brokers_reason_string_is_quoted_once()
        {
            var e = Describe(new MqttConnectException(Plain, ConnectReasonCode.ServerBusy, "try later", "x"));
            Assert.EndsWith("The broker says: try later.", e.Message);
            AssertSaidOnce(e.Message, "try later");
        }

        [Fact]
        public void A_plain_connect_closed_unanswered_on_a_TLS_port_is_diagnosed_by_a_TLS_probe()
        {
            var closed = new MqttConnectException(Plain, null, null, "closed without CONNACK") { ClosedBeforeConnAck = true };
            var tls = Describe(closed, speaksTls: true);
            Assert.Contains("speaks TLS", tls.Message);
            Assert.Contains("mqtts://broker.lab:1884", tls.Message);
            Assert.DoesNotContain("3.1.1", tls.Message);
            var old = Describe(closed, speaksTls: false);
            Assert.Contains("-ProtocolVersion 3.1.1", old.Message);
            // mosquitto resets the connection instead of closing it.
            var reset = new MqttConnectException(Plain, null, null, "reset", new IOException("Connection reset by peer"));
            Assert.Contains("speaks TLS", Describe(reset, speaksTls: true).Message);
            Assert.Contains("Connection reset by peer", Describe(reset, speaksTls: false).Message);
        }

        [Fact]
        public void A_TLS_alert_or_an_HTTP_reply_instead_of_a_CONNACK_is_named_as_such()
        {
            var alert = new MqttConnectException(Plain, null, null, "x", new MqttProtocolException(MqttReasonCode.MalformedPacket, "MQTT-2.1.3-1", "fixed header flags"))
            { ReceivedBeforeConnAck = new byte[] { 0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x32 } };
            Assert.Contains("speaks TLS", Describe(alert).Message);

            var http = new MqttConnectException(Plain, null, null, "x", new MqttProtocolException(MqttReasonCode.MalformedPacket, "MQTT-2.1.3-1", "fixed header flags of PUBACK"))
            { ReceivedBeforeConnAck = Encoding.ASCII.GetBytes("HTTP/1.1 400 Bad Request\r\n") };
            var e = Describe(http);
            Assert.Contains("HTTP server", e.Message);
            Assert.Contains("HTTP/1.1 400 Bad Request", e.Message);
            Assert.DoesNotContain("PUBACK", e.Message);
            Assert.Equal(ShellErrorCategory.ProtocolError, e.Category);
        }

        [Fact]
        public void A_TLS_client_on_a_plain_port_is_told_to_use_mqtt_not_about_client_certificates()
        {
            var handshake = new MqttTlsHandshakeException("TLS handshake failed", new IOException("EOF"), MqttTlsFailure.ClosedBeforeCertificate, null, false);
            var e = Describe(new MqttConnectException(Secure, null, null, handshake.Message, handshake), address: Secure);
            Assert.Contains("does not speak TLS", e.Message);
            Assert.Contains("mqtt://broker.lab:8884", e.Message);
            Assert.DoesNotContain("client certificate", e.Message);
            Assert.Equal(ShellErrorCategory.ConnectionError, e.Category);
        }

        [Fact]
        public void An_untrusted_certificate_names_the_parameters_that_fix_it()
        {
            var handshake = new MqttTlsHandshakeException("x", null, MqttTlsFailure.Untrusted, "CN=broker.lab", false);
            var e = Describe(new MqttConnectException(Secure, null, null, handshake.Message, handshake), address: Secure);
            Assert.Contains("-CaCertificatePath", e.Message);
            Assert.Contains("-SkipCertificateCheck", e.Message);
            Assert.Contains("'CN=broker.lab'", e.Message);
            Assert.Equal(ShellErrorCategory.AuthenticationError, e.Category);
            var mismatch = Describe(new MqttTlsHandshakeException("x", null, MqttTlsFailure.NameMismatch, "CN=other", false), address: Secure);
            Assert.Contains("-Broker", mismatch.Message);
            var clientCertificate = Describe(new MqttTlsHandshakeException("x", null, MqttTlsFailure.FailedAfterCertificate, "CN=broker.lab", false), address: Secure);
            Assert.Contains("-CertificatePath", clientCertificate.Message);
        }

        [Fact]
        public void A_timeout_names_TimeoutSeconds()
        {
            var settings = Settings();
            settings.ConnectTimeout = TimeSpan.FromSeconds(7);
            var e = Describe(new TimeoutException("Connecting to x timed out after 7 s while waiting for the CONNACK."), settings);
            Assert.Equal("ConnectTimeout", e.ErrorId);
            Assert.Equal(ShellErrorCategory.OperationTimeout, e.Category);
            Assert.Contains("7 s", e.Message);
            Assert.Contains("-TimeoutSeconds", e.Message);
        }

        [Fact]
        public void Argument_exceptions_lose_their_dotnet_parameter_suffix()
        {
            var e = new ArgumentException("The broker address 'a b' is bad.", "brokerHostOrUri");
            Assert.Equal("The broker address 'a b' is bad.", ShellText.MessageOf(e));
            var classified = ShellErrorClassifier.Classify(e, "Failed");
            Assert.DoesNotContain("Parameter", classified.Message);
            var invalid = Assert.Throws<MqttShellException>(() => MqttClientAdapterFactory.ToOptions(new MqttConnectionSettings { Broker = "mqtt://a/b" }));
            Assert.Equal("InvalidBroker", invalid.ErrorId);
            Assert.DoesNotContain("(Parameter", invalid.Message);
            Assert.DoesNotContain("brokerHostOrUri", invalid.Message);
        }

        [Fact]
        public void Long_input_is_shortened_keeping_both_ends_and_its_length()
        {
            var topic = new string('t', 70000) + "/device-42/+";
            var e = Assert.Throws<MqttShellException>(() => TopicValidation.RequireTopicName(topic, "Topic"));
            Assert.True(e.Message.Length < 400, "message of " + e.Message.Length + " characters");
            Assert.Contains("+'", e.Message);
            Assert.Contains("70,012 characters", e.Message);
            Assert.Contains("[MQTT-4.7.1-1]", e.Message);
            Assert.Same(topic, e.TargetObject);
            Assert.Equal("'abc'", ShellText.Quote("abc"));
            Assert.Equal("'a\\nb'", ShellText.Quote("a\nb"));
        }

        [Theory]
        [InlineData("a/+", "Topic", "-Topic 'a/+' is not a valid topic name [MQTT-4.7.1-1]: it contains the wildcard character '+'")]
        [InlineData("", "Topic", "-Topic '' is not a valid topic name [MQTT-4.7.3-1]: it must be at least one character long.")]
        public void Topic_errors_quote_the_value_once_with_the_rule(string topic, string parameter, string expected)
        {
            var e = Assert.Throws<MqttShellException>(() => TopicValidation.RequireTopicName(topic, parameter));
            Assert.StartsWith(expected, e.Message);
        }

        [Fact]
        public void Using_a_connection_that_is_not_connected_says_what_to_do_without_engine_API_names()
        {
            using (var adapter = new MqttClientAdapter(new MqttClient(MqttClientAdapterFactory.ToOptions(new MqttConnectionSettings { Broker = "127.0.0.1", Port = 1 }))))
            {
                var publish = Assert.Throws<MqttShellException>(() => adapter.PublishAsync(new Core.Messages.MqttMessage("a/b", "x"), 0, default).GetAwaiter().GetResult());
                var subscribe = Assert.Throws<MqttShellException>(() => adapter.SubscribeAsync(new[] { new MqttTopicSubscription("a/#", MqttQualityOfService.AtMostOnce) }, null, default).GetAwaiter().GetResult());
                foreach (var e in new[] { publish, subscribe })
                {
                    Assert.Equal("NotConnected", e.ErrorId);
                    Assert.Equal(ShellErrorCategory.ConnectionError, e.Category);
                    Assert.DoesNotContain("ConnectAsync", e.Message);
                    Assert.Contains("Connect-Mqtt", e.Message);
                }
            }
        }
    }
}
