using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using MqttPS.Core.Broker;
using MqttPS.Core.Broker.Persistence;
using MqttPS.Core.Messages;

namespace MqttPS.Core.Shell
{
    /// <summary>
    /// A broker started by Start-MqttBroker, running in the background of the PowerShell session: what
    /// Get-MqttBroker lists. Statistics and clients are read live from the engine's broker.
    /// </summary>
    public sealed class MqttEmbeddedBroker : IDisposable
    {
        private readonly List<Action<MqttBrokerEvent>> _listeners = new List<Action<MqttBrokerEvent>>();
        private readonly IReadOnlyList<MqttListenerOptions> _listenerKinds;
        private MqttRecoveryReport _recovery;
        private PersistenceDirectoryLock _directoryLock;

        private MqttEmbeddedBroker(string name, MqttBroker broker, MqttBrokerSettings settings)
        {
            Name = name;
            Broker = broker;
            Settings = settings;
            _listenerKinds = broker.Options.ResolveListeners();
            // Not subscribed to the broker's events until somebody listens (Listen): the broker builds an event per
            // routed message only while a handler is attached, and that cost every message of a broker nobody watched.
        }

        public string Name { get; }
        /// <summary>The engine's broker (not public: Format-List * shows every public property of an output object).</summary>
        internal MqttBroker Broker { get; }
        /// <summary>Not public: it holds the user table's passwords and the certificate password, and PowerShell shows
        /// (Format-List, ConvertTo-Json, Export-Clixml) every public property of an output object.</summary>
        internal MqttBrokerSettings Settings { get; }
        public bool IsRunning => Broker.IsRunning;
        public string State => Broker.IsRunning ? "Running" : "Stopped";
        public int Port => Broker.Port;

        /// <summary>Every listener (plain TCP first, then TLS, WebSocket, secure WebSocket as configured) with a URI
        /// clients on this machine can use; empty once stopped.</summary>
        public IReadOnlyList<MqttBrokerEndpoint> Endpoints
        {
            get
            {
                var bound = Broker.Endpoints;
                var result = new List<MqttBrokerEndpoint>(bound.Count);
                // The broker binds its listeners in this order, so positions match.
                for (var i = 0; i < bound.Count && i < _listenerKinds.Count; i++)
                    result.Add(new MqttBrokerEndpoint(_listenerKinds[i].Kind, bound[i], _listenerKinds[i].Path));
                return result;
            }
        }

        /// <summary>An address clients on this machine can use for the plain TCP listener, e.g. "mqtt://127.0.0.1:1883".</summary>
        public string Uri => UriOf(MqttListenerKind.Tcp);

        /// <summary>The TLS listener's address ("mqtts://127.0.0.1:8883"), or null without a certificate.</summary>
        public string TlsUri => UriOf(MqttListenerKind.Tls);

        /// <summary>The WebSocket listener's address ("ws://127.0.0.1:8080/mqtt"), or null.</summary>
        public string WebSocketUri => UriOf(MqttListenerKind.WebSocket);

        /// <summary>The secure WebSocket listener's address ("wss://127.0.0.1:8443/mqtt"), or null.</summary>
        public string SecureWebSocketUri => UriOf(MqttListenerKind.SecureWebSocket);

        /// <summary>The broker events the configuration file's log_type and connection_messages ask for (what -Wait
        /// writes unless -EventKind says otherwise); null without a configuration file or without those directives.</summary>
        public IReadOnlyList<MqttBrokerEventKind> ConfiguredEventKinds { get; private set; }

        /// <summary>The mosquitto.conf file the broker was configured from, or null.</summary>
        public string ConfigPath => Settings.ConfigPath;

        /// <summary>The persistence directory, or null when the broker keeps its state in memory only.</summary>
        public string PersistencePath => Broker.Options.PersistencePath;

        /// <summary>What the broker found in <see cref="PersistencePath"/> when it started (null without persistence).</summary>
        public MqttRecoveryReport PersistenceRecovery => _recovery;

        /// <summary>The address a client on this machine uses where a command takes -Broker as text and is given this
        /// broker object: plain TCP when it listens there, otherwise its first other listener.</summary>
        /// <exception cref="MqttShellException">The broker is stopped: it has no address.</exception>
        internal string AddressForClients()
        {
            var endpoints = Endpoints;
            if (!IsRunning || endpoints.Count == 0)
                throw new MqttShellException("BrokerStopped", ShellErrorCategory.InvalidArgument,
                    "The broker '" + Name + "' is stopped, so it has no address; start one with Start-MqttBroker.", Name);
            return Uri ?? endpoints[0].Uri;
        }

        private string UriOf(MqttListenerKind kind)
        {
            foreach (var e in Endpoints) if (e.Kind == kind) return e.Uri;
            return null;
        }

        public DateTimeOffset StartedAt => Broker.StartedAt;
        public int ClientCount => Broker.GetClients().Count;
        /// <summary>The retained messages clients stored; the broker's own $SYS topics are not counted.</summary>
        public int RetainedCount => Broker.Retained.List("#").Count;
        public MqttBrokerStatistics Statistics => Broker.GetStatistics();
        public IReadOnlyList<MqttBrokerClientInfo> Clients => Broker.GetClients();

        /// <summary>Each bridge's state, address, messages in and out, drops and queue depth, read now.</summary>
        public IReadOnlyList<MqttPS.Core.Broker.Bridges.MqttBridgeStatistics> Bridges => Broker.Bridges.Select(b => b.GetStatistics()).ToList();

        /// <summary>Builds and starts the broker, waiting on the pipeline thread.</summary>
        public static MqttEmbeddedBroker Start(string name, MqttBrokerSettings settings, IShellHost host)
        {
            var options = BrokerOptionsFactory.Create(name, settings, text => host.WriteWarning(text), out var eventKinds);
            var directoryLock = options.PersistencePath == null ? null : PersistenceDirectoryLock.Acquire(options.PersistencePath, name);
            MqttBroker broker;
            try { broker = new MqttBroker(options); }
            catch { directoryLock?.Dispose(); throw; }
            var embedded = new MqttEmbeddedBroker(name, broker, settings) { _directoryLock = directoryLock, ConfiguredEventKinds = eventKinds };
            try
            {
                PipelineWait.Wait(broker.StartAsync(host.Stopping), host, null, TimeSpan.FromSeconds(30), "the broker '" + name + "' to start");
            }
            catch (Exception e)
            {
                embedded.Dispose();
                if (e is OperationCanceledException || e is MqttShellException) throw;
                var category = e is System.Net.Sockets.SocketException se && se.SocketErrorCode == System.Net.Sockets.SocketError.AddressAlreadyInUse
                    ? ShellErrorCategory.ResourceUnavailable : ShellErrorClassifier.CategoryOf(e);
                var where = settings.ConfigPath != null
                    ? string.Join(", ", options.Listeners.Select(l => l.BindAddress + ":" + l.Port + " (" + l.Kind + ")")) + " from '" + settings.ConfigPath + "'"
                    : settings.BindAddress + " (" + string.Join(", ", settings.RequestedPorts().Select(p => p.Key + " " + p.Value)) + ")";
                throw new MqttShellException("BrokerStartFailed", category,
                    "Could not start the broker '" + name + "' on " + where + ": " + e.Message, name, e);
            }
            embedded._recovery = broker.PersistenceRecovery;
            host.WriteVerbose("Broker '" + name + "' listening on " + string.Join(", ", embedded.Endpoints) + ".");
            ReportRecovery(embedded, host);
            return embedded;
        }

        private static void ReportRecovery(MqttEmbeddedBroker broker, IShellHost host)
        {
            var report = broker._recovery;
            if (report == null) return;
            host.WriteVerbose("Broker '" + broker.Name + "' " + report + " (" + report.Directory + ").");
            // A damaged store was repaired up to its last good record: the user should know something was lost.
            foreach (var problem in report.Problems)
                host.WriteWarning("Broker '" + broker.Name + "': the persistence store in '" + broker.PersistencePath + "' was damaged and recovered up to its last good record: " + problem);
        }

        public void Stop(IShellHost host, TimeSpan timeout)
        {
            if (!Broker.IsRunning) { Dispose(); return; }
            try
            {
                var task = Broker.StopAsync(CancellationToken.None);
                if (host != null) PipelineWait.TryWait(task, new StopIgnoringHost(host), null, timeout);
                else task.Wait(timeout);
            }
            finally
            {
                Dispose();
            }
        }

        public IReadOnlyList<MqttMessage> ListRetained(IEnumerable<string> filters)
        {
            var byTopic = new SortedDictionary<string, MqttMessage>(StringComparer.Ordinal);
            foreach (var filter in filters)
            {
                TopicValidation.RequireTopicFilter(filter, "Topic");
                // Copies: what the user changes on a returned object (e.g. its Topic, to re-publish it) must not
                // change the broker's store.
                foreach (var m in Broker.Retained.List(filter)) byTopic[m.Topic] = MessageCopy.Clone(m);
            }
            return byTopic.Values.ToList();
        }

        public bool DeleteRetained(string topic)
        {
            TopicValidation.RequireTopicName(topic, "Topic");
            return Broker.Retained.Delete(topic);
        }

        public IReadOnlyList<MqttBrokerClientInfo> GetClients(string clientIdPattern)
        {
            return Broker.GetClients().Where(c => WildcardName.IsMatch(clientIdPattern, c.ClientId)).OrderBy(c => c.ClientId, StringComparer.Ordinal).ToList();
        }

        /// <summary>Adds a listener for broker events (called on the broker's network threads, where it must not block);
        /// dispose the result to remove it.</summary>
        public IDisposable Listen(Action<MqttBrokerEvent> listener)
        {
            lock (_listeners)
            {
                _listeners.Add(listener);
                if (_listeners.Count == 1) Broker.EventRaised += OnEvent;
            }
            return new Unlisten(() =>
            {
                lock (_listeners)
                {
                    if (_listeners.Remove(listener) && _listeners.Count == 0) Broker.EventRaised -= OnEvent;
                }
            });
        }

        private void OnEvent(object sender, MqttBrokerEvent e)
        {
            Action<MqttBrokerEvent>[] listeners;
            lock (_listeners) listeners = _listeners.ToArray();
            foreach (var l in listeners) l(e);
        }

        public void Dispose()
        {
            Broker.EventRaised -= OnEvent;
            Broker.Dispose();
            // After the broker: its store is closed (Stop) or abandoned (Dispose) before another may open it.
            _directoryLock?.Dispose();
        }

        public override string ToString() => Name + " (" + (IsRunning ? string.Join(", ", Endpoints) : State) + ")";

        private sealed class Unlisten : IDisposable
        {
            private Action _action;
            public Unlisten(Action action) { _action = action; }
            public void Dispose() => Interlocked.Exchange(ref _action, null)?.Invoke();
        }

        private sealed class StopIgnoringHost : IShellHost
        {
            private readonly IShellHost _inner;
            public StopIgnoringHost(IShellHost inner) { _inner = inner; }
            public CancellationToken Stopping => CancellationToken.None;
            public void WriteVerbose(string text) => _inner.WriteVerbose(text);
            public void WriteWarning(string text) => _inner.WriteWarning(text);
            public void WriteProgress(string activity, string status, int percentComplete) { }
            public void CompleteProgress(string activity) { }
        }
    }
}
