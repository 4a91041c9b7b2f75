using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;

namespace MqttPS.Core.Shell
{
    /// <summary>
    /// The MQTT state of one PowerShell session (runspace): its connections, subscriptions and embedded brokers.
    /// The cmdlets find it through <see cref="For"/> with the runspace as key, so two runspaces in one process
    /// (jobs, ForEach-Object -Parallel) never share a default connection.
    /// </summary>
    public sealed class MqttShellSession
    {
        private static readonly ConditionalWeakTable<object, MqttShellSession> Sessions = new ConditionalWeakTable<object, MqttShellSession>();

        public MqttShellSession(IMqttShellClientFactory clientFactory)
        {
            ClientFactory = clientFactory ?? throw new ArgumentNullException(nameof(clientFactory));
        }

        public static readonly TimeSpan DefaultOperationTimeout = TimeSpan.FromSeconds(10);

        /// <summary>Notices kept for the next cmdlet at most; older ones give way.</summary>
        public const int MaxNotices = 100;
        private readonly Queue<string> _notices = new Queue<string>();

        public IMqttShellClientFactory ClientFactory { get; set; }
        public MqttConnectionRegistry Connections { get; } = new MqttConnectionRegistry();
        public MqttSubscriptionRegistry Subscriptions { get; } = new MqttSubscriptionRegistry();
        public MqttBrokerRegistry Brokers { get; } = new MqttBrokerRegistry();

        /// <summary>How long subscribe/unsubscribe/disconnect exchanges may take before they fail.</summary>
        public TimeSpan OperationTimeout { get; set; } = DefaultOperationTimeout;

        public static MqttShellSession For(object runspaceKey, Func<MqttShellSession> create)
        {
            lock (Sessions)
            {
                if (Sessions.TryGetValue(runspaceKey, out var existing)) return existing;
                var session = create();
                Sessions.Add(runspaceKey, session);
                return session;
            }
        }

        /// <summary>The session of <paramref name="runspaceKey"/> if it has one (tab completion looks, and creates nothing).</summary>
        public static MqttShellSession TryGet(object runspaceKey)
        {
            if (runspaceKey == null) return null;
            lock (Sessions) return Sessions.TryGetValue(runspaceKey, out var existing) ? existing : null;
        }

        /// <summary>Drops the session of <paramref name="runspaceKey"/> (the module is being removed): the next
        /// <see cref="For"/> creates a new one. Returns the dropped session, or null.</summary>
        public static MqttShellSession Forget(object runspaceKey)
        {
            lock (Sessions)
            {
                if (!Sessions.TryGetValue(runspaceKey, out var existing)) return null;
                Sessions.Remove(runspaceKey);
                return existing;
            }
        }

        /// <summary>Connect-Mqtt: opens a connection, names it and makes it the default. A client id that another
        /// connection of the session uses at the same broker takes that connection's session over [MQTT-3.1.4-3]:
        /// a warning says so, and the other connection does not reconnect automatically to take it back.</summary>
        public MqttConnection Connect(MqttConnectionSettings settings, IShellHost host)
        {
            var name = settings.Name ?? Connections.NextName();
            Connections.EnsureNameFree(name);
            // Looked at before connecting: the broker may end the other connection before Open returns.
            var live = string.IsNullOrEmpty(settings.ClientId) ? new MqttConnection[0] : Connections.All.Where(c =>
                c.TakenOverBy == null && (c.IsConnected || c.Client.IsReconnecting) && string.Equals(c.ClientId, settings.ClientId, StringComparison.Ordinal)).ToArray();
            var connection = MqttConnection.Open(name, settings, ClientFactory, host);
            try
            {
                Connections.Add(connection);
            }
            catch
            {
                connection.Close(host, OperationTimeout);
                throw;
            }
            foreach (var other in live.Where(c => string.Equals(c.Broker, connection.Broker, StringComparison.OrdinalIgnoreCase)))
            {
                other.MarkTakenOver(connection.Name);
                host?.WriteWarning("The client id '" + connection.ClientId + "' was in use by the connection '" + other.Name + "' to " + other.Broker +
                    ": the broker has ended that connection's session (session takeover), and '" + other.Name + "' will not reconnect automatically. " +
                    "Give each connection its own -ClientId, or none for a generated one.");
            }
            return connection;
        }

        /// <summary>Something the session has to tell the user that happened in the background (a background
        /// subscription ended with its connection, dropped messages, queued publishes that failed). The next cmdlet
        /// writes it as a warning (<see cref="TakeNotices"/>).</summary>
        public void AddNotice(string text)
        {
            lock (_notices)
            {
                if (_notices.Count >= MaxNotices) _notices.Dequeue();
                _notices.Enqueue(text);
            }
        }

        /// <summary>The notices since the last call, including QoS 0 drops of background subscriptions (one line per
        /// subscription, however many were dropped).</summary>
        public IReadOnlyList<string> TakeNotices()
        {
            var result = new List<string>();
            lock (_notices)
            {
                while (_notices.Count > 0) result.Add(_notices.Dequeue());
            }
            foreach (var s in Subscriptions.All)
            {
                if (s.Mode != SubscriptionMode.Event) continue;
                var dropped = s.MessagesDropped;
                var reported = Interlocked.Exchange(ref s.DropsReported, dropped);
                if (dropped > reported)
                    result.Add("The background subscription #" + s.Id + " to " + s.Topic + " (" + s.SourceIdentifier + ") dropped " + DropReport.Count(dropped - reported) +
                               " QoS 0 messages" + (reported > 0 ? " (" + DropReport.Count(dropped) + " in all)" : "") + " because its events were not handled fast enough (-OverflowPolicy " +
                               s.OverflowPolicy + ", -QueueSize " + s.QueueSize + "; -OverflowPolicy Backpressure keeps them waiting at the broker instead).");
            }
            return result;
        }

        /// <summary>A connection for one cmdlet call (-Broker without Connect-Mqtt); not registered, the caller closes it.</summary>
        public MqttConnection OpenTransient(MqttConnectionSettings settings, IShellHost host)
        {
            return MqttConnection.Open("(transient)", settings, ClientFactory, host);
        }

        /// <summary>Disconnect-Mqtt: stops the connection's subscriptions, disconnects, and forgets it.
        /// Returns the subscriptions that ended, so the cmdlet layer can unregister their events.</summary>
        public IReadOnlyList<MqttSubscription> Disconnect(MqttConnection connection, IShellHost host)
        {
            var ended = Subscriptions.Find(connection: connection);
            foreach (var s in ended)
            {
                s.MarkStopped();
                Subscriptions.Remove(s);
            }
            Connections.Remove(connection);
            connection.Close(host, OperationTimeout);
            return ended;
        }

        /// <summary>Register-MqttSubscription: subscribes and registers the subscription in the session.</summary>
        public MqttSubscription Subscribe(MqttConnection connection, SubscriptionRequest request, SubscriptionMode mode, PayloadFormat format,
            string sourceIdentifier, IShellHost host, VerboseQueue verbose, Action<MqttSubscription> configure = null)
        {
            var subscriptions = request.Build(connection.ProtocolVersion);
            request.ValidateDelivery();
            var id = Subscriptions.NextId();
            if (mode == SubscriptionMode.Event && sourceIdentifier == null) sourceIdentifier = "MqttPS.Subscription." + id;
            var subscription = new MqttSubscription(id, connection, subscriptions, mode, format, sourceIdentifier, request.QueueSize, request.OverflowPolicy);
            if (mode == SubscriptionMode.Event)
            {
                subscription.Ended += s => AddNotice("The background subscription #" + s.Id + " to " + s.Topic + " (" + s.SourceIdentifier + ") has ended: " + s.EndReason +
                                                     ". Unregister-MqttSubscription removes it.");
            }
            Subscriptions.Add(subscription);
            try
            {
                configure?.Invoke(subscription);
                connection.Subscribe(subscription, subscriptions, host, verbose, OperationTimeout);
                return subscription;
            }
            catch
            {
                subscription.MarkStopped();
                Subscriptions.Remove(subscription);
                throw;
            }
        }

        /// <summary>Unregister-MqttSubscription, or the end of a streaming one: unsubscribes filters no one else uses.</summary>
        public void Unsubscribe(MqttSubscription subscription, IShellHost host, VerboseQueue verbose)
        {
            subscription.MarkStopped();
            Subscriptions.Remove(subscription);
            subscription.Connection.Release(subscription, host, verbose, OperationTimeout);
        }

        /// <summary>Start-MqttBroker: starts an embedded broker and registers it by name.</summary>
        public MqttEmbeddedBroker StartBroker(MqttBrokerSettings settings, IShellHost host)
        {
            var name = settings.Name ?? Brokers.NextName();
            Brokers.EnsureNameFree(name);
            var broker = MqttEmbeddedBroker.Start(name, settings, host);
            Brokers.Add(broker);
            return broker;
        }

        /// <summary>Stop-MqttBroker.</summary>
        public void StopBroker(MqttEmbeddedBroker broker, IShellHost host)
        {
            Brokers.Remove(broker);
            broker.Stop(host, TimeSpan.FromSeconds(10));
        }

        /// <summary>Closes everything, e.g. when the runspace closes.</summary>
        public void CloseAll(IShellHost host)
        {
            foreach (var s in Subscriptions.All) { s.MarkStopped(); Subscriptions.Remove(s); }
            foreach (var c in Connections.All)
            {
                Connections.Remove(c);
                try { c.Close(host, TimeSpan.FromSeconds(2)); } catch (Exception) { /* best effort on shutdown */ }
            }
            foreach (var b in Brokers.All)
            {
                Brokers.Remove(b);
                try { b.Stop(host, TimeSpan.FromSeconds(5)); } catch (Exception) { /* best effort on shutdown */ }
            }
        }
    }
}
