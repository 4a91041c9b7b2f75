using System;
using System.Collections;
using System.Text;
using MqttPS.Core.Messages;
using MqttPS.Core.Protocol;
using MqttPS.Core.Shell;
using Xunit;

namespace MqttPS.Module.Tests.Shell
{
    public class PayloadTests
    {
        [Fact]
        public void Strings_are_sent_as_utf8_without_a_byte_order_mark()
        {
            Assert.Equal(new byte[] { 0x32, 0x31, 0xC2, 0xB0, 0x43 }, PayloadEncoder.ToBytes("21°C"));
        }

        [Fact]
        public void Byte_arrays_are_sent_as_they_are_and_null_is_the_empty_payload()
        {
            var raw = new byte[] { 0, 255, 1 };
            Assert.Same(raw, PayloadEncoder.ToBytes(raw));
            Assert.Empty(PayloadEncoder.ToBytes(null));
        }

        [Fact]
        public void Other_objects_are_sent_as_compact_json()
        {
            var bytes = PayloadEncoder.ToBytes(new Hashtable { ["temp"] = 21.5 });
            Assert.Equal("{\"temp\":21.5}", Encoding.UTF8.GetString(bytes));
            Assert.Equal("42", Encoding.UTF8.GetString(PayloadEncoder.ToBytes(42)));
            Assert.True(PayloadEncoder.IsStructured(42));
            Assert.False(PayloadEncoder.IsStructured("42"));
        }

        [Fact]
        public void Decoder_gives_text_bytes_or_parsed_json_as_asked()
        {
            var message = new MqttMessage("s/1", "{\"v\":1}");
            Assert.Equal("{\"v\":1}", PayloadDecoder.Decode(message, PayloadFormat.Auto));
            Assert.Equal("{\"v\":1}", PayloadDecoder.Decode(message, PayloadFormat.String));
            Assert.Equal(Encoding.UTF8.GetBytes("{\"v\":1}"), PayloadDecoder.Decode(message, PayloadFormat.Bytes));
            Assert.Equal(1L, ((JsonObject)PayloadDecoder.Decode(message, PayloadFormat.Json))["v"]);
        }

        [Fact]
        public void Binary_payloads_stay_bytes_in_auto_mode_and_become_replacement_text_with_AsString()
        {
            var message = new MqttMessage("bin", new byte[] { 0x41, 0xFF });
            Assert.Equal(new byte[] { 0x41, 0xFF }, PayloadDecoder.Decode(message, PayloadFormat.Auto));
            Assert.Equal("A\uFFFD", PayloadDecoder.Decode(message, PayloadFormat.String));
        }

        [Fact]
        public void A_payload_that_is_not_json_fails_with_the_topic_named()
        {
            var e = Assert.Throws<FormatException>(() => PayloadDecoder.Decode(new MqttMessage("sensors/7", "21.5 C"), PayloadFormat.Json));
            Assert.Contains("sensors/7", e.Message);
            Assert.Null(PayloadDecoder.Decode(new MqttMessage("empty", new byte[0]), PayloadFormat.Json));
        }

        [Fact]
        public void Preview_shortens_long_text_to_one_line_and_describes_binary()
        {
            Assert.Equal("line one line two", PayloadDecoder.Preview(new MqttMessage("t", "line one\nline two")));
            var preview = PayloadDecoder.Preview(new MqttMessage("t", new string('x', 100)), 20);
            Assert.Equal(20, preview.Length);
            Assert.EndsWith("...", preview);
            Assert.Equal("[3 bytes]", PayloadDecoder.Preview(new MqttMessage("t", new byte[] { 0xFF, 0xFE, 0 })));
        }

        [Fact]
        public void Publish_request_builds_the_message_with_mqtt5_properties()
        {
            var request = new PublishRequest
            {
                Topic = "a/b", Payload = new Hashtable { ["x"] = 1 }, QoS = MqttQualityOfService.AtLeastOnce, Retain = true,
                ResponseTopic = "reply/me", CorrelationData = "req-1", MessageExpirySeconds = 30,
                UserProperties = new System.Collections.Specialized.OrderedDictionary { ["site"] = "lab", ["tag"] = new[] { "a", "b" } },
            };
            var m = request.ToMessage(MqttProtocolVersion.V500);
            Assert.Equal("a/b", m.Topic);
            Assert.Equal("{\"x\":1}", m.PayloadText);
            Assert.Equal("application/json", m.ContentType);
            Assert.True(m.Retain);
            Assert.Equal(MqttQualityOfService.AtLeastOnce, m.QoS);
            Assert.Equal("reply/me", m.ResponseTopic);
            Assert.Equal(Encoding.UTF8.GetBytes("req-1"), m.CorrelationData);
            Assert.Equal(30u, m.MessageExpiryInterval);
            Assert.Equal(new[] { "site=lab", "tag=a", "tag=b" }, m.UserProperties.ConvertAll(p => p.ToString()));
        }

        [Theory]
        [InlineData("a/+/c", "InvalidTopicName")]
        [InlineData("a/#", "InvalidTopicName")]
        [InlineData("", "InvalidTopicName")]
        [InlineData(null, "TopicMissing")]
        public void Publish_request_rejects_topics_that_are_not_topic_names(string topic, string errorId)
        {
            var e = Assert.Throws<MqttShellException>(() => new PublishRequest { Topic = topic, Payload = "x" }.ToMessage(MqttProtocolVersion.V500));
            Assert.Equal(errorId, e.ErrorId);
            Assert.Equal(ShellErrorCategory.InvalidArgument, e.Category);
            if (topic != null) Assert.Contains("'" + topic + "'", e.Message);
        }

        [Fact]
        public void Mqtt5_properties_over_a_311_connection_are_refused_not_silently_dropped()
        {
            var e = Assert.Throws<MqttShellException>(() => new PublishRequest { Topic = "a", Payload = "x", ResponseTopic = "r" }.ToMessage(MqttProtocolVersion.V311));
            Assert.Equal("RequiresMqtt5", e.ErrorId);
            Assert.Contains("MQTT 3.1.1", e.Message);
            // A JSON payload is fine over 3.1.1; it just carries no content type.
            var m = new PublishRequest { Topic = "a", Payload = new Hashtable { ["k"] = 1 } }.ToMessage(MqttProtocolVersion.V311);
            Assert.Null(m.ContentType);
        }
    }
}
