using System.Net;

namespace MqttPS.Core.Transport
{
    /// <summary>The other end of an <see cref="InProcessStream"/>: a name instead of an address ("bridge hub").</summary>
    public sealed class InProcessEndPoint : EndPoint
    {
        public InProcessEndPoint(string name) { Name = name; }

        public string Name { get; }

        public override string ToString() => "in-process " + Name;
    }
}
