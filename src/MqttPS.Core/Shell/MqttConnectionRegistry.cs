using System;
using System.Collections.Generic;
using System.Linq;

namespace MqttPS.Core.Shell
{
    /// <summary>
    /// The connections of one PowerShell session by name, and which one is the default that cmdlets use when no
    /// -Connection is given: the most recently opened, until it is closed, when the previous one takes over.
    /// </summary>
    public sealed class MqttConnectionRegistry
    {
        private readonly object _gate = new object();
        private readonly List<MqttConnection> _connections = new List<MqttConnection>();
        private int _counter;

        public MqttConnection Default
        {
            get { lock (_gate) return _connections.FirstOrDefault(c => c.IsDefault); }
        }

        /// <summary>A name for a connection opened without -Name: mqtt1, mqtt2, ...</summary>
        public string NextName()
        {
            lock (_gate)
            {
                while (true)
                {
                    var name = "mqtt" + (++_counter);
                    if (!_connections.Any(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase))) return name;
                }
            }
        }

        /// <summary>Throws when an open connection has <paramref name="name"/>. A lost or closed one does not keep its
        /// name: it is forgotten, so that Connect-Mqtt -Name can open its replacement.</summary>
        public void EnsureNameFree(string name)
        {
            lock (_gate)
            {
                foreach (var ended in _connections.Where(c => c.IsEnded && string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase)).ToList())
                {
                    Remove(ended);
                    ended.Dispose();
                }
                if (_connections.Any(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase)))
                    throw new MqttShellException("ConnectionNameInUse", ShellErrorCategory.ResourceExists,
                        "A connection named " + ShellText.Quote(name) + " is already open; close it with Disconnect-Mqtt -Name " + name + " or pick another -Name.", name);
            }
        }

        /// <summary>Adds <paramref name="connection"/> and makes it the default.</summary>
        public void Add(MqttConnection connection)
        {
            lock (_gate)
            {
                EnsureNameFree(connection.Name);
                foreach (var c in _connections) c.IsDefault = false;
                connection.IsDefault = true;
                _connections.Add(connection);
            }
        }

        public bool Remove(MqttConnection connection)
        {
            lock (_gate)
            {
                if (!_connections.Remove(connection)) return false;
                if (connection.IsDefault)
                {
                    connection.IsDefault = false;
                    if (_connections.Count > 0) _connections[_connections.Count - 1].IsDefault = true;
                }
                return true;
            }
        }

        public IReadOnlyList<MqttConnection> All
        {
            get { lock (_gate) return _connections.ToArray(); }
        }

        /// <summary>Connections whose name matches <paramref name="pattern"/> (wildcards * and ?, case-insensitive).</summary>
        public IReadOnlyList<MqttConnection> Find(string pattern)
        {
            lock (_gate) return _connections.Where(c => WildcardName.IsMatch(pattern, c.Name)).ToArray();
        }

        /// <summary>The connection a cmdlet works with: the one given, or the default; a clear error if there is none.</summary>
        public MqttConnection Resolve(MqttConnection given)
        {
            if (given != null)
            {
                if (!given.IsConnected && given.State == "Closed")
                    throw new MqttShellException("ConnectionClosed", ShellErrorCategory.ConnectionError,
                        "The connection '" + given.Name + "' is closed; open a new one with Connect-Mqtt.", given);
                return given;
            }
            var current = Default;
            if (current == null)
                throw new MqttShellException("NoConnection", ShellErrorCategory.ConnectionError,
                    "There is no MQTT connection in this session. Run Connect-Mqtt first, or pass -Connection (or -Broker for a one-off connection).", null);
            return current;
        }
    }
}
