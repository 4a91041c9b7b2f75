using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using MqttPS.Core.Messages;

namespace MqttPS.Core.Shell
{
    /// <summary>
    /// Reads the retained messages under a filter from any broker: subscribes, collects what arrives flagged as
    /// retained [MQTT-3.3.1-8] until nothing has arrived for a quiet period (brokers send retained messages right
    /// after the SUBACK, so a pause means they are done), then unsubscribes. The latest message per topic wins.
    /// </summary>
    public sealed class RetainedMessageCollector : IMessageSink
    {
        public static readonly TimeSpan DefaultQuietPeriod = TimeSpan.FromMilliseconds(500);
        private readonly object _gate = new object();
        private readonly Dictionary<string, MqttMessage> _messages = new Dictionary<string, MqttMessage>(StringComparer.Ordinal);
        private readonly Stopwatch _sinceLast = Stopwatch.StartNew();
        private bool _closed;

        public RetainedMessageCollector(IReadOnlyList<string> topicFilters)
        {
            TopicFilters = topicFilters;
        }

        public IReadOnlyList<string> TopicFilters { get; }

        /// <summary>Only the retained messages its SUBSCRIBE brings: the connection routes nothing else here.</summary>
        public bool RetainedOnly => true;

        public Task Offer(MqttMessage message)
        {
            if (!message.Retain) return Task.CompletedTask; // a live publish that happened to arrive meanwhile
            lock (_gate)
            {
                _messages[message.Topic] = message;
                _sinceLast.Restart();
                Monitor.PulseAll(_gate);
            }
            return Task.CompletedTask;
        }

        public void OnConnectionClosed(string reason, bool lost)
        {
            lock (_gate)
            {
                _closed = true;
                Monitor.PulseAll(_gate);
            }
        }

        /// <summary>
        /// Subscribes on <paramref name="connection"/>, waits for the quiet period (at most <paramref name="maximumWait"/>),
        /// unsubscribes and returns the retained messages sorted by topic.
        /// </summary>
        public static IReadOnlyList<MqttMessage> Collect(MqttConnection connection, SubscriptionRequest request, IShellHost host, VerboseQueue verbose,
            TimeSpan quietPeriod, TimeSpan maximumWait, TimeSpan operationTimeout)
        {
            var subscriptions = request.Build(connection.ProtocolVersion);
            var collector = new RetainedMessageCollector(subscriptions.Select(s => s.TopicFilter).ToArray());
            connection.Subscribe(collector, subscriptions, host, verbose, operationTimeout);
            try
            {
                collector.WaitForQuiet(host, verbose, quietPeriod, maximumWait);
            }
            finally
            {
                connection.Release(collector, host, verbose, operationTimeout);
            }
            return collector.Snapshot();
        }

        public IReadOnlyList<MqttMessage> Snapshot()
        {
            lock (_gate) return _messages.Values.OrderBy(m => m.Topic, StringComparer.Ordinal).ToArray();
        }

        /// <summary>Returns when no retained message has arrived for <paramref name="quietPeriod"/> (counted from the
        /// SUBACK or the last message), when <paramref name="maximumWait"/> passes, or when the connection closes.</summary>
        public void WaitForQuiet(IShellHost host, VerboseQueue verbose, TimeSpan quietPeriod, TimeSpan maximumWait)
        {
            var total = Stopwatch.StartNew();
            lock (_gate) _sinceLast.Restart();
            while (true)
            {
                host.Stopping.ThrowIfCancellationRequested();
                TimeSpan wait;
                lock (_gate)
                {
                    if (_closed) return;
                    var quietLeft = quietPeriod - _sinceLast.Elapsed;
                    var totalLeft = maximumWait - total.Elapsed;
                    if (quietLeft <= TimeSpan.Zero || totalLeft <= TimeSpan.Zero) return;
                    wait = quietLeft < totalLeft ? quietLeft : totalLeft;
                    if (wait > PipelineWait.Slice) wait = PipelineWait.Slice;
                    Monitor.Wait(_gate, wait);
                }
                verbose?.Flush(host);
            }
        }
    }
}
