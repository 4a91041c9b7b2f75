using System;
using System.Linq;
using MqttPS.Core.Shell;
using MqttPS.Module.Tests.Fakes;
using Xunit;

namespace MqttPS.Module.Tests.Shell
{
    /// <summary>Names of the session's objects: tab completion, the only broker, a lost connection's name; and the
    /// shortening of topics for tables.</summary>
    public class NamesAndViewsTests
    {
        private static (MqttShellSession Session, ScriptedClientFactory Factory, RecordingHost Host) NewSession()
        {
            var factory = new ScriptedClientFactory();
            return (new MqttShellSession(factory), factory, new RecordingHost());
        }

        [Fact]
        public void QoS_completes_to_the_three_levels_with_what_they_mean()
        {
            Assert.Equal(new[] { "0", "1", "2" }, NameCompletion.QoS("").Select(c => c.Text));
            Assert.Equal(new[] { "1" }, NameCompletion.QoS("1").Select(c => c.Text));
            Assert.Contains("exactly once", NameCompletion.QoS("2").Single().ToolTip);
        }

        [Fact]
        public void Connection_names_complete_from_what_is_typed_quoted_where_PowerShell_needs_it()
        {
            var (session, _, host) = NewSession();
            session.Connect(new MqttConnectionSettings { Name = "plant-a" }, host);
            session.Connect(new MqttConnectionSettings { Name = "plant b" }, host);
            session.Connect(new MqttConnectionSettings { Name = "office" }, host);
            Assert.Equal(new[] { "'plant b'", "plant-a" }, NameCompletion.Connections(session, "PL").Select(c => c.Text));
            Assert.Equal(new[] { "'plant b'" }, NameCompletion.Connections(session, "'plant b").Select(c => c.Text));
            Assert.Equal(3, NameCompletion.Connections(session, "").Count);
            Assert.Contains("(default)", NameCompletion.Connections(session, "off").Single().ToolTip);
            Assert.Empty(NameCompletion.Connections(null, ""));
        }

        [Fact]
        public void A_lost_connection_gives_its_name_to_the_next_one_and_says_why_it_was_lost()
        {
            var (session, factory, host) = NewSession();
            var first = session.Connect(new MqttConnectionSettings { Name = "m5" }, host);
            Assert.Equal("ConnectionNameInUse", Assert.Throws<MqttShellException>(() => session.Connect(new MqttConnectionSettings { Name = "m5" }, host)).ErrorId);
            factory.Created[0].Lose("broker went away");
            Assert.Equal("Lost", first.State);
            Assert.Equal("broker went away", first.LostReason);
            var second = session.Connect(new MqttConnectionSettings { Name = "m5" }, host);
            Assert.Equal("Connected", second.State);
            Assert.Null(second.LostReason);
            Assert.Same(second, session.Connections.Find("m5").Single());
            Assert.True(factory.Created[0].Disposed);
        }

        [Fact]
        public void A_reconnecting_connection_shows_its_state_in_one_word()
        {
            var (session, factory, host) = NewSession();
            var c = session.Connect(new MqttConnectionSettings { Name = "r" }, host);
            factory.Created[0].IsConnected = false;
            factory.Created[0].RaiseState("Reconnecting (connection reset by peer)");
            Assert.Equal("Reconnecting", c.State);
        }

        [Fact]
        public void A_command_without_a_broker_takes_the_only_one_and_otherwise_says_which_exist()
        {
            var session = new MqttShellSession(new ScriptedClientFactory());
            var none = Assert.Throws<MqttShellException>(() => session.Brokers.TheOnlyOne("Stop-MqttBroker <name>"));
            Assert.Equal("BrokerNotFound", none.ErrorId);
            Assert.Equal(ShellErrorCategory.ObjectNotFound, none.Category);
            Assert.Contains("Start-MqttBroker", none.Message);
            var host = new RecordingHost();
            var a = session.StartBroker(new MqttBrokerSettings { Port = 0, Name = "a", SysIntervalSeconds = 0 }, host);
            try
            {
                Assert.Same(a, session.Brokers.TheOnlyOne("x"));
                var b = session.StartBroker(new MqttBrokerSettings { Port = 0, Name = "b", SysIntervalSeconds = 0 }, host);
                try
                {
                    var several = Assert.Throws<MqttShellException>(() => session.Brokers.TheOnlyOne("Stop-MqttBroker <name>, or -All"));
                    Assert.Equal("AmbiguousBroker", several.ErrorId);
                    Assert.Contains("(a, b)", several.Message);
                    Assert.Contains("Stop-MqttBroker <name>, or -All", several.Message);
                    Assert.Equal(new[] { "a", "b" }, (string[])several.TargetObject);
                    Assert.Equal(new[] { "a", "b" }, NameCompletion.Brokers(session, "").Select(c => c.Text));
                }
                finally { session.StopBroker(b, host); }
            }
            finally { session.StopBroker(a, host); }
        }

        [Fact]
        public void A_broker_given_where_an_address_is_expected_stands_for_the_address_its_clients_use()
        {
            var session = new MqttShellSession(new ScriptedClientFactory());
            var host = new RecordingHost();
            var broker = session.StartBroker(new MqttBrokerSettings { Port = 0, Name = "given", SysIntervalSeconds = 0 }, host);
            Assert.Equal(broker.Uri, broker.AddressForClients());
            Assert.StartsWith("mqtt://127.0.0.1:", broker.AddressForClients());
            session.StopBroker(broker, host);
            var stopped = Assert.Throws<MqttShellException>(() => broker.AddressForClients());
            Assert.Equal("BrokerStopped", stopped.ErrorId);
            Assert.Equal("The broker 'given' is stopped, so it has no address; start one with Start-MqttBroker.", stopped.Message);
        }

        [Theory]
        [InlineData("plant/building-7/floor-3/sensor-42", 26, "plant/bu...oor-3/sensor-42")]
        [InlineData("short/topic", 26, "short/topic")]
        [InlineData("abcdefghij", 10, "abcdefghij")]
        [InlineData("abcdefghijk", 10, "abc...hijk")]
        public void Long_topics_are_shortened_in_the_middle_keeping_more_of_their_end(string topic, int width, string expected)
        {
            var shown = DisplayText.Middle(topic, width);
            Assert.Equal(expected, shown);
            Assert.True(shown.Length <= width);
        }

        [Fact]
        public void The_broker_publishes_SYS_topics_every_10_seconds_unless_told_otherwise()
        {
            Assert.Equal(10, new MqttBrokerSettings().SysIntervalSeconds);
            Assert.Equal(TimeSpan.FromSeconds(10), BrokerOptionsFactory.Create("b", new MqttBrokerSettings()).SysInterval);
            Assert.Equal(TimeSpan.Zero, BrokerOptionsFactory.Create("b", new MqttBrokerSettings { SysIntervalSeconds = 0 }).SysInterval);
        }
    }
}
