using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using MqttPS.Core.Broker.Persistence;
using MqttPS.Core.Client;
using MqttPS.Core.Messages;
using MqttPS.Core.Protocol;
using MqttPS.Core.Shell;
using MqttPS.Module.Tests.Fakes;
using Xunit;

namespace MqttPS.Module.Tests.Shell
{
    /// <summary>Start-MqttBroker -PersistencePath through the Shell layer: what was acknowledged survives Stop-MqttBroker and a new start.</summary>
    public sealed class BrokerPersistenceWiringTests : IDisposable
    {
        private readonly RecordingHost _host = new RecordingHost();
        private readonly MqttShellSession _session = new MqttShellSession(new MqttClientAdapterFactory());
        private readonly string _root = Directory.CreateTempSubdirectory("mqttps-wiring-store-").FullName;

        public void Dispose()
        {
            _session.CloseAll(_host);
            try { Directory.Delete(_root, true); } catch (IOException) { }
        }

        private MqttEmbeddedBroker Start(string directory, PersistenceDurability durability = PersistenceDurability.PerMessage) =>
            _session.StartBroker(new MqttBrokerSettings { Port = 0, Name = "durable", PersistencePath = directory, Durability = durability }, _host);

        private static MqttClient Keeper(MqttEmbeddedBroker broker) => new MqttClient(new MqttClientOptions(broker.Uri)
        {
            ClientId = "keeper",
            CleanStart = false,
            SessionExpiryInterval = 3600,
        });

        private void Publish(MqttEmbeddedBroker broker, params MqttMessage[] messages)
        {
            var c = _session.Connect(new MqttConnectionSettings { Broker = broker.Uri, ClientId = "publisher" }, _host);
            var done = new List<PublishCompletion>();
            var window = new PublishWindow(c.PublishAsync, 10, TimeSpan.FromSeconds(20));
            foreach (var m in messages) window.Submit(m, m.Topic, _host, null, done);
            window.Flush(_host, null, done);
            Assert.All(done, d => Assert.True(d.Succeeded, d.Error?.Message));
            _session.Disconnect(c, _host);
        }

        [Fact]
        public async Task Retained_messages_and_a_persistent_session_survive_a_stop_and_a_new_start_on_the_same_directory()
        {
            var directory = Path.Combine(_root, "store");   // missing: Start-MqttBroker creates it
            var first = Start(directory);
            Assert.Equal(directory, first.PersistencePath);
            Assert.True(Directory.Exists(directory));

            using (var keeper = Keeper(first))
            {
                Assert.False((await keeper.ConnectAsync()).SessionPresent);
                await keeper.SubscribeAsync("jobs/#", MqttQualityOfService.AtLeastOnce);
                await keeper.DisconnectAsync();
            }
            // Acknowledged while the subscriber is offline: queued in its session, so stored.
            Publish(first,
                new MqttMessage("state/door", "open", MqttQualityOfService.AtLeastOnce, retain: true),
                new MqttMessage("jobs/1", "print", MqttQualityOfService.AtLeastOnce));
            _session.StopBroker(first, _host);
            Assert.False(first.IsRunning);

            var second = Start(directory);
            Assert.NotSame(first, second);
            Assert.Equal(1, second.PersistenceRecovery.RetainedMessages);
            Assert.True(second.PersistenceRecovery.IsClean, second.PersistenceRecovery.ToString());
            Assert.Contains(_host.Verbose, v => v.Contains("'durable'") && v.Contains("1 retained"));
            Assert.Empty(_host.Warnings);

            // The retained message, from the store (Get-MqttRetainedMessage -EmbeddedBroker) and over the protocol.
            Assert.Equal(new[] { "state/door=open" }, second.ListRetained(new[] { "#" }).Select(m => m.Topic + "=" + m.PayloadText));
            var reader = _session.Connect(new MqttConnectionSettings { Broker = second.Uri, ClientId = "reader" }, _host);
            var collected = RetainedMessageCollector.Collect(reader, new SubscriptionRequest { TopicFilters = new[] { "state/#" } }, _host, null,
                TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10));
            Assert.Equal(new[] { "state/door=open" }, collected.Select(m => m.Topic + "=" + m.PayloadText));

            // The session with its subscription and the queued QoS 1 message.
            using (var keeper = Keeper(second))
            {
                Assert.True((await keeper.ConnectAsync()).SessionPresent);
                using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
                {
                    var queued = await keeper.ReceiveAsync(timeout.Token);
                    Assert.Equal("jobs/1", queued.Topic);
                    Assert.Equal("print", queued.PayloadText);
                }
                await keeper.DisconnectAsync();
            }
        }

        [Fact]
        public void A_damaged_store_is_recovered_up_to_its_last_good_record_with_a_warning()
        {
            var directory = Path.Combine(_root, "damaged");
            var first = Start(directory, PersistenceDurability.None);
            Publish(first, new MqttMessage("cfg/a", "1", MqttQualityOfService.AtLeastOnce, retain: true));
            _session.StopBroker(first, _host);

            // A torn write: half a record at the end of the newest log.
            var log = Directory.GetFiles(directory, "log-*.dat").OrderBy(f => new FileInfo(f).LastWriteTimeUtc).Last();
            using (var f = new FileStream(log, FileMode.Append)) f.Write(new byte[] { 0x2A, 0, 0, 0, 9, 1, 2 }, 0, 7);

            var second = Start(directory);
            Assert.False(second.PersistenceRecovery.IsClean);
            Assert.Contains(_host.Warnings, w => w.Contains("'durable'") && w.Contains(directory) && w.Contains("last good record"));
            Assert.Equal(new[] { "cfg/a=1" }, second.ListRetained(new[] { "cfg/#" }).Select(m => m.Topic + "=" + m.PayloadText));
        }

        [Fact]
        public void A_directory_in_use_by_a_running_broker_is_refused_and_free_again_after_stop()
        {
            var directory = Path.Combine(_root, "shared");
            var first = Start(directory);
            var e = Assert.Throws<MqttShellException>(() =>
                _session.StartBroker(new MqttBrokerSettings { Port = 0, Name = "second", PersistencePath = directory }, _host));
            Assert.Equal("PersistencePathInUse", e.ErrorId);
            Assert.Equal(ShellErrorCategory.ResourceUnavailable, e.Category);
            Assert.Contains(directory, e.Message);
            Assert.Empty(_session.Brokers.Find("second"));
            Assert.True(first.IsRunning);

            _session.StopBroker(first, _host);
            var second = _session.StartBroker(new MqttBrokerSettings { Port = 0, Name = "second", PersistencePath = directory }, _host);
            Assert.True(second.IsRunning);
        }

        [Fact]
        public void A_start_that_fails_to_listen_releases_the_store_for_the_next_start()
        {
            var directory = Path.Combine(_root, "retry");
            // 192.0.2.1 (TEST-NET-1) is on no interface here: the listener cannot bind after the store was opened.
            var e = Assert.Throws<MqttShellException>(() =>
                _session.StartBroker(new MqttBrokerSettings { Port = 0, Name = "durable", BindAddress = "192.0.2.1", PersistencePath = directory }, _host));
            Assert.Equal("BrokerStartFailed", e.ErrorId);
            var first = Start(directory);
            Publish(first, new MqttMessage("after/retry", "1", MqttQualityOfService.AtLeastOnce, retain: true));
            _session.StopBroker(first, _host);
            var second = Start(directory);
            Assert.Equal(new[] { "after/retry" }, second.ListRetained(new[] { "#" }).Select(m => m.Topic));
        }

        [Fact]
        public void A_persistence_path_that_is_a_file_is_refused_before_anything_listens()
        {
            var file = Path.Combine(_root, "not-a-directory");
            File.WriteAllText(file, "x");
            var e = Assert.Throws<MqttShellException>(() => Start(file));
            Assert.Equal("InvalidPersistencePath", e.ErrorId);
            Assert.Contains(file, e.Message);
            Assert.Empty(_session.Brokers.Find("durable"));
        }
    }
}
