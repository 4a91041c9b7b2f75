using System;
using System.Collections.Generic;
using MqttPS.Core.Protocol;
using MqttPS.Core.Topics;
using Xunit;

namespace MqttPS.Core.Tests.Topics
{
    public class TopicValidationTests
    {
        private static readonly string MaxLengthAscii = new string('a', 65535);
        private static readonly string TooLongAscii = new string('a', 65536);
        // 21,845 three-byte characters = 65,535 bytes; one more ASCII byte goes over.
        private static readonly string MaxLengthThreeByte = new string('€', 21845);

        public static IEnumerable<object[]> ValidNames()
        {
            foreach (var name in new[]
                     {
                         "a", "sport/tennis/player1", "/finance", "finance/", "/", "//", "Accounts payable", "$SYS/broker/load",
                         "a//b", "température", "😀/x", "a$b", " ", MaxLengthAscii, MaxLengthThreeByte,
                     })
            {
                yield return new object[] { name };
            }
        }

        public static IEnumerable<object[]> ValidFilters()
        {
            foreach (var filter in new[]
                     {
                         "#", "+", "sport/tennis/#", "sport/+/player1", "+/tennis/#", "+/+", "/+", "/#", "+/#", "sport/+",
                         "$SYS/#", "$share/group/a/b", "a//+//#", "/", "a", MaxLengthAscii,
                     })
            {
                yield return new object[] { filter };
            }
        }

        // (name, spec id)
        public static IEnumerable<object[]> InvalidNames()
        {
            yield return new object[] { "", "MQTT-4.7.3-1" };
            yield return new object[] { null, "MQTT-4.7.3-1" };
            yield return new object[] { "sport/+", "MQTT-4.7.1-1" };
            yield return new object[] { "sport/#", "MQTT-4.7.1-1" };
            yield return new object[] { "#", "MQTT-4.7.1-1" };
            yield return new object[] { "+", "MQTT-4.7.1-1" };
            yield return new object[] { "a+b", "MQTT-4.7.1-1" };
            yield return new object[] { "a#b", "MQTT-4.7.1-1" };
            yield return new object[] { "a\0b", "MQTT-4.7.3-2" };
            yield return new object[] { "\0", "MQTT-4.7.3-2" };
            yield return new object[] { TooLongAscii, "MQTT-4.7.3-3" };
            yield return new object[] { MaxLengthThreeByte + "a", "MQTT-4.7.3-3" };
        }

        public static IEnumerable<object[]> InvalidFilters()
        {
            yield return new object[] { "", "MQTT-4.7.3-1" };
            yield return new object[] { null, "MQTT-4.7.3-1" };
            yield return new object[] { "sport/tennis#", "MQTT-4.7.1-2" };
            yield return new object[] { "sport/tennis/#/ranking", "MQTT-4.7.1-2" };
            yield return new object[] { "#/", "MQTT-4.7.1-2" };
            yield return new object[] { "##", "MQTT-4.7.1-2" };
            yield return new object[] { "a/#b", "MQTT-4.7.1-2" };
            yield return new object[] { "sport+", "MQTT-4.7.1-3" };
            yield return new object[] { "sport/+tennis", "MQTT-4.7.1-3" };
            yield return new object[] { "sport/ten+nis/x", "MQTT-4.7.1-3" };
            yield return new object[] { "++", "MQTT-4.7.1-3" };
            yield return new object[] { "+#", "MQTT-4.7.1-3" };
            yield return new object[] { "a/\0/#", "MQTT-4.7.3-2" };
            yield return new object[] { TooLongAscii, "MQTT-4.7.3-3" };
        }

        [Theory]
        [MemberData(nameof(ValidNames))]
        public void Valid_topic_names_pass(string name)
        {
            MqttTopic.ValidateTopicName(name);
            Assert.True(MqttTopic.TryValidateTopicName(name, out var error));
            Assert.Null(error);
        }

        [Theory]
        [MemberData(nameof(ValidFilters))]
        public void Valid_topic_filters_pass(string filter)
        {
            MqttTopic.ValidateTopicFilter(filter);
            Assert.True(MqttTopic.TryValidateTopicFilter(filter, out var error));
            Assert.Null(error);
        }

        [Theory]
        [MemberData(nameof(InvalidNames))]
        public void Invalid_topic_names_throw_topic_name_invalid_with_the_rule(string name, string specId)
        {
            var exception = Assert.Throws<MqttProtocolException>(() => MqttTopic.ValidateTopicName(name));
            Assert.Equal(MqttReasonCode.TopicNameInvalid, exception.ReasonCode);
            Assert.Equal(specId, exception.SpecReference);
            Assert.StartsWith("[" + specId + "]", exception.Message);
            Assert.Contains("Topic Name", exception.Message);

            Assert.False(MqttTopic.TryValidateTopicName(name, out var error));
            Assert.StartsWith("[" + specId + "]", error);
        }

        [Theory]
        [MemberData(nameof(InvalidFilters))]
        public void Invalid_topic_filters_throw_topic_filter_invalid_with_the_rule(string filter, string specId)
        {
            var exception = Assert.Throws<MqttProtocolException>(() => MqttTopic.ValidateTopicFilter(filter));
            Assert.Equal(MqttReasonCode.TopicFilterInvalid, exception.ReasonCode);
            Assert.Equal(specId, exception.SpecReference);
            Assert.StartsWith("[" + specId + "]", exception.Message);
            Assert.Contains("Topic Filter", exception.Message);

            Assert.False(MqttTopic.TryValidateTopicFilter(filter, out var error));
            Assert.StartsWith("[" + specId + "]", error);
        }

        // Not theory data: xunit serialises theory arguments and would replace lone surrogates with U+FFFD.
        [Fact]
        public void Unpaired_surrogates_are_rejected_because_they_have_no_UTF8_encoding()
        {
            foreach (var value in new[] { "a\uD800b", "a\uDC00", "\uDBFF/#", "x/\uDC00\uD800" })
            {
                var nameError = Assert.Throws<MqttProtocolException>(() => MqttTopic.ValidateTopicName(value));
                Assert.Equal(MqttReasonCode.TopicNameInvalid, nameError.ReasonCode);
                Assert.Equal("MQTT-1.5.4-1", nameError.SpecReference);
                var filterError = Assert.Throws<MqttProtocolException>(() => MqttTopic.ValidateTopicFilter(value));
                Assert.Equal(MqttReasonCode.TopicFilterInvalid, filterError.ReasonCode);
                Assert.Equal("MQTT-1.5.4-1", filterError.SpecReference);
            }
            // A proper pair counts as one 4-byte character.
            MqttTopic.ValidateTopicName("\uD83D\uDE00");
            MqttTopic.ValidateTopicName(new string('a', 65531) + "\uD83D\uDE00");
            Assert.False(MqttTopic.TryValidateTopicName(new string('a', 65532) + "\uD83D\uDE00", out var error));
            Assert.StartsWith("[MQTT-4.7.3-3]", error);
        }

        [Fact]
        public void Error_messages_name_the_offending_position()
        {
            var exception = Assert.Throws<MqttProtocolException>(() => MqttTopic.ValidateTopicFilter("sport/tennis#"));
            Assert.Contains("'sport/tennis#'", exception.Message);
            Assert.Contains("index 12", exception.Message);
            Assert.Contains("0x8F", exception.Message);
        }

        [Fact]
        public void Error_messages_shorten_huge_values_and_escape_control_characters()
        {
            Assert.False(MqttTopic.TryValidateTopicName(new string('x', 1000) + "#", out var error));
            Assert.True(error.Length < 300, error);
            Assert.False(MqttTopic.TryValidateTopicName("a\u0001\0", out error));
            Assert.Contains("a\\u0001\\u0000", error);
        }

        [Fact]
        public void Matches_rejects_null_arguments()
        {
            Assert.Throws<ArgumentNullException>(() => MqttTopic.Matches(null, "a"));
            Assert.Throws<ArgumentNullException>(() => MqttTopic.Matches("a", null));
        }
    }
}
