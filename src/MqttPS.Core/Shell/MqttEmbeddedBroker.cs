using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using MqttPS.Core.Broker;
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

        private MqttEmbeddedBroker(string name, MqttBroker broker, MqttBrokerSettings settings)
        {
            Name = name;
            Broker = broker;
            Settings = settings;
            broker.EventRaised += OnEvent;
        }

        public string Name { get; }
        public MqttBroker Broker { get; }
        /// <summary>Not public: it holds the user table's passwords and the certificate password, and PowerShell shows
        /// (Format-List, ConvertTo-Json, Export-Clixml) every public property of an output object.</summary>
        internal MqttBrokerSettings Settings { get; }
        public bool IsRunning => Broker.IsRunning;
        public string State => Broker.IsRunning ? "Running" : "Stopped";
        public int Port => Broker.Port;
        public IReadOnlyList<IPEndPoint> Endpoints => Broker.Endpoints;

        /// <summary>An address clients on this machine can use, e.g. "mqtt://127.0.0.1:1883".</summary>
        public string Uri
        {
            get
            {
                var e = Broker.Endpoints.FirstOrDefault();
                if (e == null) return null;
                var host = e.Address.Equals(IPAddress.Any) ? "127.0.0.1" : e.Address.Equals(IPAddress.IPv6Any) ? "[::1]" :
                    e.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "[" + e.Address + "]" : e.Address.ToString();
                return "mqtt://" + host + ":" + e.Port;
            }
        }

        public DateTimeOffset StartedAt => Broker.StartedAt;
        public int ClientCount => Broker.GetClients().Count;
        public int RetainedCount => Broker.Retained.Count;
        public MqttBrokerStatistics Statistics => Broker.GetStatistics();
        public IReadOnlyList<MqttBrokerClientInfo> Clients => Broker.GetClients();

        /// <summary>Builds and starts the broker, waiting on the pipeline thread.</summary>
        public static MqttEmbeddedBroker Start(string name, MqttBrokerSettings settings, IShellHost host)
        {
            settings.Validate();
            var options = new MqttBrokerOptions
            {
                Name = name,
                BindAddress = settings.ParseBindAddress(),
                Port = settings.Port,
                PersistencePath = settings.PersistencePath,
                MaxConnections = settings.MaxConnections,
                AllowAnonymous = settings.AllowAnonymous ?? settings.Users.Count == 0,
            };
            if (settings.Users.Count > 0) options.Authenticator = new UserTableAuthenticator(settings.Users, options.AllowAnonymous);
            if (settings.AclPath != null) options.Authorizer = AclFileAuthorizer.Load(settings.AclPath);
            if (settings.CertificatePath != null)
            {
                options.AdditionalListeners.Add(new MqttListenerOptions
                {
                    Kind = MqttListenerKind.Tls,
                    BindAddress = options.BindAddress,
                    Port = settings.TlsPort,
                    CertificatePath = settings.CertificatePath,
                    CertificateKeyPath = settings.CertificateKeyPath,
                    CertificatePassword = settings.CertificatePassword,
                });
            }
            if (options.Port != 0) EnsurePortFree(options.BindAddress, options.Port, name);
            var broker = new MqttBroker(options);
            var embedded = new MqttEmbeddedBroker(name, broker, settings);
            try
            {
                PipelineWait.Wait(broker.StartAsync(host.Stopping), host, null, TimeSpan.FromSeconds(30), "the broker '" + name + "' to start");
                return embedded;
            }
            catch (Exception e)
            {
                embedded.Dispose();
                if (e is OperationCanceledException || e is MqttShellException) throw;
                var category = e is System.Net.Sockets.SocketException se && se.SocketErrorCode == System.Net.Sockets.SocketError.AddressAlreadyInUse
                    ? ShellErrorCategory.ResourceUnavailable : ShellErrorClassifier.CategoryOf(e);
                throw new MqttShellException("BrokerStartFailed", category,
                    "Could not start the broker '" + name + "' on " + settings.BindAddress + ":" + settings.Port + ": " + e.Message, name, e);
            }
        }

        /// <summary>
        /// Fails when something already listens on the port. The broker's listener sets SO_REUSEADDR, which .NET on
        /// Linux turns into SO_REUSEPORT as well: a second listener would bind without error and take half of the
        /// clients. So ask the port itself: if a connection to it succeeds, it is taken.
        /// </summary>
        private static void EnsurePortFree(IPAddress address, int port, string name)
        {
            var target = address.Equals(IPAddress.Any) ? IPAddress.Loopback : address.Equals(IPAddress.IPv6Any) ? IPAddress.IPv6Loopback : address;
            using (var probe = new System.Net.Sockets.Socket(target.AddressFamily, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp))
            {
                var connect = probe.BeginConnect(new IPEndPoint(target, port), null, null);
                var answered = connect.AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(1));
                var taken = false;
                if (answered)
                {
                    try { probe.EndConnect(connect); taken = true; }
                    catch (System.Net.Sockets.SocketException) { /* refused: nobody listens */ }
                }
                if (taken)
                    throw new MqttShellException("BrokerStartFailed", ShellErrorCategory.ResourceUnavailable,
                        "Could not start the broker '" + name + "': port " + port + " on " + address + " is already in use by another listener.", port);
            }
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

        /// <summary>Adds a listener for broker events (called on network threads); dispose the result to remove it.</summary>
        public IDisposable Listen(Action<MqttBrokerEvent> listener)
        {
            lock (_listeners) _listeners.Add(listener);
            return new Unlisten(() => { lock (_listeners) _listeners.Remove(listener); });
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
        }

        public override string ToString() => Name + " (" + (Uri ?? State) + ")";

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
