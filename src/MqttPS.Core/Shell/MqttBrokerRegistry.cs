using System;
using System.Collections.Generic;
using System.Linq;

namespace MqttPS.Core.Shell
{
    /// <summary>The embedded brokers of one PowerShell session, by name.</summary>
    public sealed class MqttBrokerRegistry
    {
        private readonly object _gate = new object();
        private readonly List<MqttEmbeddedBroker> _brokers = new List<MqttEmbeddedBroker>();
        private int _counter;

        public string NextName()
        {
            lock (_gate)
            {
                while (true)
                {
                    var name = "broker" + (++_counter);
                    if (!_brokers.Any(b => string.Equals(b.Name, name, StringComparison.OrdinalIgnoreCase))) return name;
                }
            }
        }

        public void EnsureNameFree(string name)
        {
            lock (_gate)
            {
                if (_brokers.Any(b => string.Equals(b.Name, name, StringComparison.OrdinalIgnoreCase)))
                    throw new MqttShellException("BrokerNameInUse", ShellErrorCategory.ResourceExists,
                        "A broker named " + ShellText.Quote(name) + " is already running in this session; stop it with Stop-MqttBroker -Name " + name + " or pick another -Name.", name);
            }
        }

        public void Add(MqttEmbeddedBroker broker)
        {
            lock (_gate)
            {
                EnsureNameFree(broker.Name);
                _brokers.Add(broker);
            }
        }

        public bool Remove(MqttEmbeddedBroker broker)
        {
            lock (_gate) return _brokers.Remove(broker);
        }

        public IReadOnlyList<MqttEmbeddedBroker> All
        {
            get { lock (_gate) return _brokers.ToArray(); }
        }

        /// <summary>The session's broker when exactly one runs, for commands given no broker; otherwise an error that
        /// says what exists. <paramref name="naming"/> tells how to pick one, e.g. "Stop-MqttBroker &lt;name&gt; or -All".</summary>
        public MqttEmbeddedBroker TheOnlyOne(string naming)
        {
            var all = All;
            if (all.Count == 1) return all[0];
            if (all.Count == 0)
                throw new MqttShellException("BrokerNotFound", ShellErrorCategory.ObjectNotFound, "No broker runs in this session; start one with Start-MqttBroker.", null);
            throw new MqttShellException("AmbiguousBroker", ShellErrorCategory.InvalidArgument,
                "Several brokers run in this session (" + string.Join(", ", all.Select(b => b.Name)) + "); say which: " + naming + ".", all.Select(b => b.Name).ToArray());
        }

        public IReadOnlyList<MqttEmbeddedBroker> Find(string pattern)
        {
            lock (_gate) return _brokers.Where(b => WildcardName.IsMatch(pattern, b.Name)).ToArray();
        }
    }
}
