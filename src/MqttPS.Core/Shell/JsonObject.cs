using System;
using System.Collections.Generic;

namespace MqttPS.Core.Shell
{
    /// <summary>
    /// A parsed JSON object that keeps its members in document order, so that the PSCustomObject built from it
    /// lists properties as the publisher wrote them. Later duplicates of a name replace the earlier value, as
    /// JSON.parse does.
    /// </summary>
    public sealed class JsonObject
    {
        private readonly List<string> _keys = new List<string>();
        private readonly Dictionary<string, object> _values = new Dictionary<string, object>(StringComparer.Ordinal);

        public IReadOnlyList<string> Keys => _keys;
        public int Count => _keys.Count;

        public object this[string key]
        {
            get => _values[key];
            set
            {
                if (!_values.ContainsKey(key)) _keys.Add(key);
                _values[key] = value;
            }
        }

        /// <summary>Adds the member unless one of that name exists (the first one wins).</summary>
        public bool TryAdd(string key, object value)
        {
            if (_values.ContainsKey(key)) return false;
            _keys.Add(key);
            _values[key] = value;
            return true;
        }

        public bool TryGetValue(string key, out object value) => _values.TryGetValue(key, out value);
        public bool ContainsKey(string key) => _values.ContainsKey(key);
    }
}
