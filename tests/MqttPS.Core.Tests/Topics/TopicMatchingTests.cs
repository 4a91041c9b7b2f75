using System.Collections.Generic;
using MqttPS.Core.Topics;
using Xunit;

namespace MqttPS.Core.Tests.Topics
{
    /// <summary>
    /// The matching table: every example of MQTT 5.0 section 4.7 plus edge cases. Each row is checked against both
    /// <see cref="MqttTopic.Matches"/> and <see cref="SubscriptionIndex{T}"/>, which the broker uses to route.
    /// </summary>
    public class TopicMatchingTests
    {
        public static IEnumerable<object[]> Table()
        {
            // 4.7.1.2 Multi-level wildcard
            yield return Row("sport/tennis/player1/#", "sport/tennis/player1", true);
            yield return Row("sport/tennis/player1/#", "sport/tennis/player1/ranking", true);
            yield return Row("sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon", true);
            yield return Row("sport/tennis/player1/#", "sport/tennis/player2", false);
            yield return Row("sport/tennis/player1/#", "sport/tennis", false);
            yield return Row("sport/#", "sport", true);
            yield return Row("sport/#", "sport/", true);
            yield return Row("sport/#", "sports", false);
            yield return Row("sport/tennis/#", "sport/tennis", true);
            yield return Row("sport/tennis/#", "sport/tennis/player1", true);
            yield return Row("#", "sport/tennis/player1", true);
            yield return Row("#", "sport", true);
            yield return Row("#", "/", true);
            yield return Row("#", "/finance", true);

            // 4.7.1.3 Single-level wildcard
            yield return Row("sport/tennis/+", "sport/tennis/player1", true);
            yield return Row("sport/tennis/+", "sport/tennis/player2", true);
            yield return Row("sport/tennis/+", "sport/tennis/player1/ranking", false);
            yield return Row("sport/+", "sport", false);
            yield return Row("sport/+", "sport/", true);
            yield return Row("+", "sport", true);
            yield return Row("+/tennis/#", "sport/tennis/player1/ranking", true);
            yield return Row("+/tennis/#", "sport/tennis", true);
            yield return Row("+/tennis/#", "sport/golf", false);
            yield return Row("sport/+/player1", "sport/tennis/player1", true);
            yield return Row("sport/+/player1", "sport/golf/player1", true);
            yield return Row("sport/+/player1", "sport/tennis/player2", false);
            yield return Row("sport/+/player1", "sport//player1", true);
            yield return Row("+/+", "/finance", true);
            yield return Row("/+", "/finance", true);
            yield return Row("+", "/finance", false);
            yield return Row("+/+", "finance", false);
            yield return Row("+/+", "/", true);
            yield return Row("+", "/", false);

            // 4.7.2 Topics beginning with $ [MQTT-4.7.2-1]
            yield return Row("#", "$SYS/broker/load", false);
            yield return Row("#", "$SYS", false);
            yield return Row("+/monitor/Clients", "$SYS/monitor/Clients", false);
            yield return Row("+", "$SYS", false);
            yield return Row("+/#", "$SYS/x", false);
            yield return Row("$SYS/#", "$SYS/monitor/Clients", true);
            yield return Row("$SYS/#", "$SYS", true);
            yield return Row("$SYS/monitor/+", "$SYS/monitor/Clients", true);
            yield return Row("$SYS/monitor/Clients", "$SYS/monitor/Clients", true);
            yield return Row("$SYS/+/Clients", "$SYS/monitor/Clients", true);
            yield return Row("#", "a/$SYS", true);                 // only the first character counts
            yield return Row("a/+", "a/$b", true);
            yield return Row("+/$b", "a/$b", true);

            // 4.7.3 Topic semantics: case sensitive, spaces allowed, leading '/' is a distinct (empty) level
            yield return Row("ACCOUNTS", "ACCOUNTS", true);
            yield return Row("ACCOUNTS", "Accounts", false);
            yield return Row("Accounts payable", "Accounts payable", true);
            yield return Row("/finance", "/finance", true);
            yield return Row("/finance", "finance", false);
            yield return Row("finance", "/finance", false);
            yield return Row("/", "/", true);
            yield return Row("/", "//", false);

            // Exact matching and prefixes
            yield return Row("a/b/c", "a/b/c", true);
            yield return Row("a/b/c", "a/b", false);
            yield return Row("a/b", "a/b/c", false);
            yield return Row("a/b", "a/bc", false);
            yield return Row("a/bc", "a/b", false);
            yield return Row("a/b/", "a/b/", true);
            yield return Row("a/b/", "a/b", false);
            yield return Row("a//b", "a//b", true);
            yield return Row("a//b", "a/b", false);

            // Empty levels with wildcards
            yield return Row("a/+/b", "a//b", true);
            yield return Row("a/+", "a/", true);
            yield return Row("a/+/+", "a/", false);
            yield return Row("+/+/+", "//", true);
            yield return Row("a/#", "a//", true);
            yield return Row("+/#", "/", true);
            yield return Row("+/#", "a", true);
            yield return Row("/#", "/", true);

            // Wildcard levels next to literals that contain the wildcard characters' neighbours
            yield return Row("a/+/c/#", "a/b/c", true);
            yield return Row("a/+/c/#", "a/b/c/d/e", true);
            yield return Row("a/+/c/#", "a/b/d/c", false);
            yield return Row("+/+/+", "a/b", false);
            yield return Row("+/+/+", "a/b/c/d", false);

            // Non-ASCII levels compare by code unit
            yield return Row("température/+", "température/salon", true);
            yield return Row("température/+", "temperature/salon", false);
            yield return Row("émoji/😀/#", "émoji/😀/x", true);
        }

        private static object[] Row(string filter, string topic, bool expected) => new object[] { filter, topic, expected };

        [Theory]
        [MemberData(nameof(Table))]
        public void Matches_follows_the_spec(string filter, string topic, bool expected)
        {
            Assert.Equal(expected, MqttTopic.Matches(filter, topic));
        }

        [Theory]
        [MemberData(nameof(Table))]
        public void SubscriptionIndex_agrees_with_the_table(string filter, string topic, bool expected)
        {
            if (topic.Length == 0) return; // an empty Topic Name is invalid [MQTT-4.7.3-1]; the index is not defined for it
            var index = new SubscriptionIndex<string>();
            Assert.True(index.Add(filter, "subscriber"));
            var results = new List<string>();
            index.Match(topic, results);
            Assert.Equal(expected ? new[] { "subscriber" } : new string[0], results.ToArray());
        }

        [Fact]
        public void Subscribing_to_both_hash_and_SYS_hash_receives_everything()
        {
            // 4.7.2: "#" plus "$SYS/#" is how a client receives both kinds of topics.
            var index = new SubscriptionIndex<string>();
            index.Add("#", "all");
            index.Add("$SYS/#", "sys");
            var results = new List<string>();
            index.Match("$SYS/broker/uptime", results);
            Assert.Equal(new[] { "sys" }, results);
            results.Clear();
            index.Match("sport/tennis", results);
            Assert.Equal(new[] { "all" }, results);
        }

        [Fact]
        public void Matches_does_not_allocate()
        {
            string filter = "devices/+/sensors/#";
            string topic = "devices/42/sensors/temp/celsius";
            MqttTopic.Matches(filter, topic);
            long before = System.GC.GetAllocatedBytesForCurrentThread();
            bool all = true;
            for (int i = 0; i < 1000; i++)
            {
                all &= MqttTopic.Matches(filter, topic);
            }
            long allocated = System.GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(all);
            Assert.Equal(0, allocated);
        }

        [Theory]
        [InlineData("a/b", false)]
        [InlineData("", false)]
        [InlineData(null, false)]
        [InlineData("a/+", true)]
        [InlineData("#", true)]
        [InlineData("a+b", true)]
        public void HasWildcards_detects_plus_and_hash(string value, bool expected)
        {
            Assert.Equal(expected, MqttTopic.HasWildcards(value));
        }
    }
}
