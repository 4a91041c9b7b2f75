using System;

namespace MqttPS.Core.Protocol
{
    /// <summary>An MQTT 5.0 user property: a UTF-8 string pair. Names may repeat; order is kept [MQTT-3.3.2-18].</summary>
    public sealed class MqttUserProperty : IEquatable<MqttUserProperty>
    {
        public MqttUserProperty(string name, string value)
        {
            Name = name ?? throw new ArgumentNullException(nameof(name));
            Value = value ?? throw new ArgumentNullException(nameof(value));
        }

        public string Name { get; }
        public string Value { get; }

        public bool Equals(MqttUserProperty other) => other != null && Name == other.Name && Value == other.Value;
        public override bool Equals(object obj) => Equals(obj as MqttUserProperty);
        public override int GetHashCode() => (Name.GetHashCode() * 397) ^ Value.GetHashCode();
        public override string ToString() => Name + "=" + Value;
    }
}
