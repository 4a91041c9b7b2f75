using MqttPS.Core.Protocol;
using MqttPS.Core.Topics;
using Xunit;

namespace MqttPS.Core.Tests.Topics
{
    public class SharedSubscriptionTests
    {
        [Theory]
        [InlineData("$share/consumer1/sport/tennis/+", "consumer1", "sport/tennis/+")]
        [InlineData("$share/consumer2/sport/tennis/+", "consumer2", "sport/tennis/+")]
        [InlineData("$share/group/#", "group", "#")]
        [InlineData("$share/g/+", "g", "+")]
        [InlineData("$share/g//a", "g", "/a")]
        [InlineData("$share/g/$SYS/#", "g", "$SYS/#")]
        [InlineData("$share/grüppe 1/a", "grüppe 1", "a")]
        [InlineData("$share/$share/a", "$share", "a")]
        public void Valid_shared_subscriptions_split_into_share_name_and_filter(string full, string shareName, string filter)
        {
            Assert.True(SharedSubscription.IsShared(full));
            Assert.True(SharedSubscription.TryParse(full, out string parsedName, out string parsedFilter));
            Assert.Equal(shareName, parsedName);
            Assert.Equal(filter, parsedFilter);

            var subscription = SharedSubscription.Parse(full);
            Assert.Equal(shareName, subscription.ShareName);
            Assert.Equal(filter, subscription.TopicFilter);
            Assert.Equal(full, subscription.FullFilter);
            Assert.Equal(full, subscription.ToString());

            Assert.True(SharedSubscription.TryParse(full, out SharedSubscription viaTry, out string error));
            Assert.Null(error);
            Assert.Equal(filter, viaTry.TopicFilter);
        }

        [Theory]
        [InlineData("sport/tennis")]
        [InlineData("$share")]            // no '/': an ordinary filter for the topic "$share"
        [InlineData("$shared/g/a")]
        [InlineData("$SHARE/g/a")]        // case sensitive
        [InlineData("share/g/a")]
        [InlineData(null)]
        public void Ordinary_filters_are_not_shared(string filter)
        {
            Assert.False(SharedSubscription.IsShared(filter));
            Assert.False(SharedSubscription.TryParse(filter, out string shareName, out string topicFilter));
            Assert.Null(shareName);
            Assert.Null(topicFilter);
            var exception = Assert.Throws<MqttProtocolException>(() => SharedSubscription.Parse(filter));
            Assert.Equal(MqttReasonCode.ProtocolError, exception.ReasonCode);
        }

        [Theory]
        [InlineData("$share//a", MqttReasonCode.ProtocolError, "MQTT-4.8.2-1")]          // empty ShareName
        [InlineData("$share/", MqttReasonCode.ProtocolError, "MQTT-4.8.2-1")]
        [InlineData("$share/g+/a", MqttReasonCode.ProtocolError, "MQTT-4.8.2-2")]        // wildcard in ShareName
        [InlineData("$share/+/a", MqttReasonCode.ProtocolError, "MQTT-4.8.2-2")]
        [InlineData("$share/#", MqttReasonCode.ProtocolError, "MQTT-4.8.2-2")]
        [InlineData("$share/g#/a", MqttReasonCode.ProtocolError, "MQTT-4.8.2-2")]
        [InlineData("$share/group", MqttReasonCode.ProtocolError, "MQTT-4.8.2-2")]       // no filter
        [InlineData("$share/group/", MqttReasonCode.ProtocolError, "MQTT-4.8.2-2")]      // empty filter
        [InlineData("$share/group/a#", MqttReasonCode.TopicFilterInvalid, "MQTT-4.7.1-2")]
        [InlineData("$share/group/a/#/b", MqttReasonCode.TopicFilterInvalid, "MQTT-4.7.1-2")]
        [InlineData("$share/group/a+", MqttReasonCode.TopicFilterInvalid, "MQTT-4.7.1-3")]
        [InlineData("$share/gr\0up/a", MqttReasonCode.TopicFilterInvalid, "MQTT-4.7.3-2")]
        public void Invalid_shared_subscriptions_report_the_rule(string full, MqttReasonCode reasonCode, string specId)
        {
            Assert.True(SharedSubscription.IsShared(full));
            Assert.False(SharedSubscription.TryParse(full, out string shareName, out string topicFilter));
            Assert.Null(shareName);
            Assert.Null(topicFilter);

            var exception = Assert.Throws<MqttProtocolException>(() => SharedSubscription.Parse(full));
            Assert.Equal(reasonCode, exception.ReasonCode);
            Assert.Equal(specId, exception.SpecReference);
            Assert.Contains("Shared subscription", exception.Message);

            Assert.False(SharedSubscription.TryParse(full, out SharedSubscription subscription, out string error));
            Assert.Null(subscription);
            Assert.StartsWith("[" + specId + "]", error);
        }

        [Fact]
        public void Too_long_shared_subscription_is_rejected_as_a_whole()
        {
            string full = "$share/g/" + new string('a', 65535 - 8);   // 65,536 bytes in total
            var exception = Assert.Throws<MqttProtocolException>(() => SharedSubscription.Parse(full));
            Assert.Equal("MQTT-4.7.3-3", exception.SpecReference);
        }
    }
}
