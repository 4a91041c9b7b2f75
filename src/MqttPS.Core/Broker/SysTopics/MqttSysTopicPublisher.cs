using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;
using MqttPS.Core.Messages;

namespace MqttPS.Core.Broker.SysTopics
{
    /// <summary>
    /// Publishes mosquitto's $SYS/broker/... tree as retained messages every <see cref="MqttSysTopicOptions.Interval"/>:
    /// version, uptime, client counts, message/byte/publish counters, retained and subscription counts, heap, and the
    /// 1/5/15-minute load averages. Like mosquitto, a topic is republished only when its value changed, so idle brokers
    /// stay quiet. Subscriptions starting with a wildcard never see these topics ([MQTT-4.7.2-1], the router's job).
    /// </summary>
    public sealed class MqttSysTopicPublisher : IDisposable
    {
        public const string Prefix = "$SYS/broker/";
        private static readonly string[] LoadSuffixes = { "/1min", "/5min", "/15min" };

        private readonly Func<MqttBrokerStatistics> _read;
        private readonly Func<MqttMessage, Task> _publish;
        private readonly MqttSysTopicOptions _options;
        private readonly Dictionary<string, string> _published = new Dictionary<string, string>(StringComparer.Ordinal);
        private readonly Dictionary<string, LoadAverage> _loads = new Dictionary<string, LoadAverage>(StringComparer.Ordinal);
        private readonly Stopwatch _clock = new Stopwatch();
        private readonly SemaphoreSlim _updating = new SemaphoreSlim(1, 1);
        private double _lastUpdateSeconds;
        private long _heapMaximum;
        private CancellationTokenSource _stop;
        private Task _loop;

        /// <param name="read">Reads the broker's current figures.</param>
        /// <param name="publish">Publishes one retained message into the broker (bypassing authorization: $SYS is the broker's own).</param>
        /// <param name="options">Interval, version text and heap figures; the defaults when null.</param>
        public MqttSysTopicPublisher(Func<MqttBrokerStatistics> read, Func<MqttMessage, Task> publish, MqttSysTopicOptions options = null)
        {
            _read = read ?? throw new ArgumentNullException(nameof(read));
            _publish = publish ?? throw new ArgumentNullException(nameof(publish));
            _options = options ?? new MqttSysTopicOptions();
        }

        /// <summary>Number of updates done.</summary>
        public long Updates { get; private set; }

        /// <summary>Starts the periodic updates (the first one immediately). Does nothing when the interval is zero.</summary>
        public void Start()
        {
            if (_options.Interval <= TimeSpan.Zero || _loop != null) return;
            _stop = new CancellationTokenSource();
            _clock.Start();
            _loop = LoopAsync(_stop.Token);
        }

        private async Task LoopAsync(CancellationToken ct)
        {
            while (!ct.IsCancellationRequested)
            {
                try { await UpdateAsync().ConfigureAwait(false); }
                catch (Exception) when (!ct.IsCancellationRequested)
                {
                    // A failed publish (e.g. during shutdown) must not end the loop: the next interval retries.
                }
                try { await Task.Delay(_options.Interval, ct).ConfigureAwait(false); }
                catch (OperationCanceledException) { return; }
            }
        }

        /// <summary>Computes the tree now and publishes the topics whose value changed. Returns how many were published.</summary>
        public async Task<int> UpdateAsync()
        {
            await _updating.WaitAsync().ConfigureAwait(false);
            try
            {
                if (!_clock.IsRunning) _clock.Start();
                var now = _clock.Elapsed.TotalSeconds;
                var values = Compute(_read(), now - _lastUpdateSeconds);
                _lastUpdateSeconds = now;
                var count = 0;
                foreach (var pair in values)
                {
                    string previous;
                    if (_published.TryGetValue(pair.Key, out previous) && previous == pair.Value) continue;
                    await _publish(new MqttMessage(pair.Key, pair.Value, Protocol.MqttQualityOfService.AtMostOnce, retain: true)).ConfigureAwait(false);
                    _published[pair.Key] = pair.Value;
                    count++;
                }
                Updates++;
                return count;
            }
            finally
            {
                _updating.Release();
            }
        }

        /// <summary>The whole tree for these figures (topic to payload text). Public for tests and diagnostics.</summary>
        internal List<KeyValuePair<string, string>> Compute(MqttBrokerStatistics c, double elapsedSeconds)
        {
            var v = new List<KeyValuePair<string, string>>(64);
            void Add(string topic, string value) => v.Add(new KeyValuePair<string, string>(Prefix + topic, value));
            void AddNumber(string topic, long value) => Add(topic, value.ToString(CultureInfo.InvariantCulture));

            Add("version", _options.Version);
            Add("uptime", ((long)c.Uptime.TotalSeconds).ToString(CultureInfo.InvariantCulture) + " seconds");
            var disconnected = Math.Max(0, c.SessionsTotal - c.ClientsConnected);
            AddNumber("clients/connected", c.ClientsConnected);
            AddNumber("clients/active", c.ClientsConnected);          // mosquitto's deprecated alias, still published by 2.0
            AddNumber("clients/disconnected", disconnected);
            AddNumber("clients/inactive", disconnected);             // likewise
            AddNumber("clients/total", c.SessionsTotal);
            AddNumber("clients/maximum", c.ClientsMaximum);
            AddNumber("clients/expired", c.SessionsExpired);
            AddNumber("messages/received", c.MessagesReceived);
            AddNumber("messages/sent", c.MessagesSent);
            AddNumber("messages/stored", c.StoredMessages);
            AddNumber("bytes/received", c.BytesReceived);
            AddNumber("bytes/sent", c.BytesSent);
            AddNumber("publish/messages/received", c.PublishReceived);
            AddNumber("publish/messages/sent", c.PublishSent);
            AddNumber("publish/messages/dropped", c.PublishDropped);
            AddNumber("retained messages/count", c.RetainedMessages);
            AddNumber("subscriptions/count", c.Subscriptions);
            AddNumber("shared_subscriptions/count", c.SharedSubscriptions);
            AddNumber("store/messages/count", c.StoredMessages);
            AddNumber("store/messages/bytes", c.StoredMessageBytes);
            if (_options.IncludeHeap)
            {
                var heap = GC.GetTotalMemory(false);
                if (heap > _heapMaximum) _heapMaximum = heap;
                AddNumber("heap/current", heap);
                AddNumber("heap/maximum", _heapMaximum);
            }

            Load(v, "load/messages/received", c.MessagesReceived, elapsedSeconds);
            Load(v, "load/messages/sent", c.MessagesSent, elapsedSeconds);
            Load(v, "load/publish/received", c.PublishReceived, elapsedSeconds);
            Load(v, "load/publish/sent", c.PublishSent, elapsedSeconds);
            Load(v, "load/publish/dropped", c.PublishDropped, elapsedSeconds);
            Load(v, "load/bytes/received", c.BytesReceived, elapsedSeconds);
            Load(v, "load/bytes/sent", c.BytesSent, elapsedSeconds);
            Load(v, "load/connections", c.ClientsTotal, elapsedSeconds);
            Load(v, "load/sockets", c.SocketsOpened, elapsedSeconds);
            return v;
        }

        private void Load(List<KeyValuePair<string, string>> values, string topic, long total, double elapsedSeconds)
        {
            LoadAverage load;
            if (!_loads.TryGetValue(topic, out load)) _loads.Add(topic, load = new LoadAverage());
            load.Update(total, elapsedSeconds);
            for (var i = 0; i < 3; i++)
                values.Add(new KeyValuePair<string, string>(Prefix + topic + LoadSuffixes[i], load.Values[i].ToString("F2", CultureInfo.InvariantCulture)));
        }

        public async Task StopAsync()
        {
            if (_loop == null) return;
            _stop.Cancel();
            try { await _loop.ConfigureAwait(false); } catch (OperationCanceledException) { }
            _loop = null;
        }

        public void Dispose()
        {
            _stop?.Cancel();
            _stop?.Dispose();
        }
    }
}
