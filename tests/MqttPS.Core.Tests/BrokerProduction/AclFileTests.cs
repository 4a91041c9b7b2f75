using System;
using System.IO;
using MqttPS.Core.Broker.Security;
using Xunit;

namespace MqttPS.Core.Tests.BrokerProduction
{
    public sealed class AclFileTests
    {
        private const string Sample = @"
# anonymous clients
topic read public/#

user alice
topic readwrite alice/#
topic deny alice/secret/#
topic read $SYS/#

user bob
topic write bob/out
topic bob/both

pattern read users/%u/inbox/#
pattern write devices/%c/status
";

        private static AclFile Acl(string text) => AclFile.Parse(new StringReader(text), "acl");

        [Fact]
        public void Anonymous_section_applies_only_to_clients_without_a_username()
        {
            var acl = Acl(Sample);
            Assert.True(acl.CanSubscribe("public/#", null, "c1"));
            Assert.True(acl.CanRead("public/news", null, "c1"));
            Assert.False(acl.CanPublish("public/news", null, "c1"));
            Assert.False(acl.CanSubscribe("public/#", "alice", "c1"));
        }

        [Fact]
        public void User_rules_grant_per_access_type()
        {
            var acl = Acl(Sample);
            Assert.True(acl.CanPublish("alice/x", "alice", "a"));
            Assert.True(acl.CanRead("alice/x/y", "alice", "a"));
            Assert.True(acl.CanPublish("alice", "alice", "a")); // '#' matches the parent level
            Assert.False(acl.CanPublish("bob/out", "alice", "a"));
            Assert.True(acl.CanPublish("bob/out", "bob", "b"));
            Assert.False(acl.CanRead("bob/out", "bob", "b"));
            Assert.True(acl.CanRead("bob/both", "bob", "b"));
            Assert.True(acl.CanPublish("bob/both", "bob", "b"));
            Assert.False(acl.CanPublish("anything", "mallory", "m"));
        }

        [Fact]
        public void Deny_wins_over_a_broader_grant()
        {
            var acl = Acl(Sample);
            Assert.False(acl.CanPublish("alice/secret/key", "alice", "a"));
            Assert.False(acl.CanRead("alice/secret", "alice", "a"));
            Assert.False(acl.CanSubscribe("alice/secret/#", "alice", "a"));
            // The subscription is allowed, but the denied part is withheld message by message.
            Assert.True(acl.CanSubscribe("alice/#", "alice", "a"));
            Assert.False(acl.CanRead("alice/secret/x", "alice", "a"));
        }

        [Fact]
        public void A_subscription_is_granted_when_a_read_rule_can_serve_part_of_it()
        {
            var acl = Acl(Sample);
            Assert.True(acl.CanSubscribe("alice/+/x", "alice", "a"));
            // Wide filters are granted; delivery then filters message by message, as mosquitto does.
            Assert.True(acl.CanSubscribe("#", "alice", "a"));
            Assert.True(acl.CanSubscribe("+/x", "alice", "a"));
            Assert.False(acl.CanRead("bob/x", "alice", "a"));
            // A filter no read rule can ever serve is refused.
            Assert.False(acl.CanSubscribe("bob/#", "alice", "a"));
            Assert.False(acl.CanSubscribe("+/x/y/z", "bob", "b"));
            Assert.True(acl.CanSubscribe("$SYS/broker/#", "alice", "a"));
            Assert.True(acl.CanSubscribe("$share/g/alice/x", "alice", "a"));
            Assert.False(acl.CanSubscribe("$share/g/bob/x", "alice", "a"));
        }

        [Fact]
        public void Patterns_substitute_username_and_client_id()
        {
            var acl = Acl(Sample);
            Assert.True(acl.CanSubscribe("users/carol/inbox/#", "carol", "c9"));
            Assert.False(acl.CanSubscribe("users/dave/inbox/#", "carol", "c9"));
            Assert.True(acl.CanPublish("devices/c9/status", "carol", "c9"));
            Assert.True(acl.CanPublish("devices/c9/status", null, "c9"));
            Assert.False(acl.CanPublish("devices/c8/status", null, "c9"));
            // %u never applies to a client without a username.
            Assert.False(acl.CanRead("users//inbox/x", null, "c9"));
            // A name with wildcard or separator characters is not substituted (it would widen the rule).
            Assert.False(acl.CanSubscribe("users/#", "#", "c9"));
            Assert.False(acl.CanPublish("devices/+/status", null, "+"));
            Assert.False(acl.CanPublish("devices/a/b/status", null, "a/b"));
        }

        [Fact]
        public void Wildcard_rules_do_not_reach_dollar_topics()
        {
            var acl = Acl("topic readwrite #\n");
            Assert.True(acl.CanPublish("a/b", null, "c"));
            Assert.False(acl.CanRead("$SYS/broker/uptime", null, "c"));
            Assert.False(acl.CanSubscribe("$SYS/#", null, "c"));
        }

        [Theory]
        [InlineData("topic read a/#\nfoo bar", "acl line 2: unknown keyword \"foo\"")]
        [InlineData("user", "acl line 1: \"user\" needs a username")]
        [InlineData("topic read", "acl line 1: \"topic read\" needs a topic filter")]
        [InlineData("\n\ntopic a/#/b", "acl line 3: invalid topic filter \"a/#/b\"")]
        [InlineData("pattern read a/b+", "acl line 1: invalid topic filter \"a/b+\"")]
        [InlineData("topic read a/%u", "acl line 1: %u and %c are substituted only in \"pattern\" lines")]
        public void Parse_errors_name_the_line(string text, string expected)
        {
            var e = Assert.Throws<FormatException>(() => Acl(text));
            Assert.StartsWith(expected, e.Message);
        }

        [Fact]
        public void Access_defaults_to_readwrite_and_topics_may_contain_spaces()
        {
            var acl = Acl("topic my topic/with space\n");
            Assert.True(acl.CanPublish("my topic/with space", null, "c"));
            Assert.True(acl.CanRead("my topic/with space", null, "c"));
            Assert.Equal(AclAccess.ReadWrite, acl.Rules[0].Access);
        }
    }
}
