using System;
using System.Collections.Concurrent;
using System.IO;
using System.Net.Security;
using System.Security.Authentication;

namespace MqttPS.Core.Transport
{
    /// <summary>
    /// The TLS versions handed to SslStream, for the client and the broker's TLS listeners. <see cref="SslProtocols.None"/>
    /// (the default) lets the operating system choose, which is right wherever the runtime accepts it. .NET
    /// Framework (Windows PowerShell 5.1) refuses it, with ArgumentException or NotSupportedException before any
    /// byte is sent, where its system-default TLS versions are switched off: on older Windows, and in hosts whose
    /// configuration predates .NET Framework 4.7 or whose [Net.ServicePointManager]::SecurityProtocol is not
    /// SystemDefault. There TLS 1.2 is chosen, with TLS 1.3 where the operating system offers it. Protocols the user
    /// names explicitly are used as they are.
    /// </summary>
    public static class TlsProtocolSelection
    {
        /// <summary>SslProtocols.Tls12; named by value because netstandard2.0 lacks the later members.</summary>
        public const SslProtocols Tls12 = (SslProtocols)0x0C00;

        /// <summary>SslProtocols.Tls13, which .NET Framework knows only from 4.8 on.</summary>
        public const SslProtocols Tls13 = (SslProtocols)0x3000;

        private static readonly ConcurrentDictionary<SslProtocols, bool> Accepted = new ConcurrentDictionary<SslProtocols, bool>();

        /// <summary>What to pass to SslStream for <paramref name="requested"/>, as this runtime and system answer.</summary>
        public static SslProtocols Choose(SslProtocols requested) => Choose(requested, IsAccepted);

        /// <summary>The choice, with <paramref name="isAccepted"/> answering whether SslStream takes a value (tests
        /// inject the answers of a .NET Framework whose system default is switched off).</summary>
        public static SslProtocols Choose(SslProtocols requested, Func<SslProtocols, bool> isAccepted)
        {
            if (isAccepted == null) throw new ArgumentNullException(nameof(isAccepted));
            if (requested != SslProtocols.None) return requested;
            if (isAccepted(SslProtocols.None)) return SslProtocols.None;
            if (isAccepted(Tls12 | Tls13)) return Tls12 | Tls13;
            return Tls12;
        }

        /// <summary>"TLS 1.2, TLS 1.3" for messages; "the system default" for None.</summary>
        public static string Describe(SslProtocols protocols)
        {
            if (protocols == SslProtocols.None) return "the system default";
            var names = new System.Collections.Generic.List<string>();
            if ((protocols & (SslProtocols)0x00C0) != 0) names.Add("TLS 1.0");
            if ((protocols & (SslProtocols)0x0300) != 0) names.Add("TLS 1.1");
            if ((protocols & Tls12) != 0) names.Add("TLS 1.2");
            if ((protocols & Tls13) != 0) names.Add("TLS 1.3");
            var rest = protocols & ~((SslProtocols)0x00C0 | (SslProtocols)0x0300 | Tls12 | Tls13);
            if (rest != 0) names.Add(rest.ToString());
            return string.Join(", ", names);
        }

        /// <summary>
        /// Whether SslStream accepts <paramref name="protocols"/> here: a client handshake against a stream that
        /// fails the first write. Refusals (an unknown or disabled value, credentials the system will not create) come
        /// before that write; reaching it means the value is accepted. Nothing touches the network; the answer is cached.
        /// </summary>
        public static bool IsAccepted(SslProtocols protocols) => Accepted.GetOrAdd(protocols, p => Probe(p, ClientHandshake));

        private static void ClientHandshake(Stream transport, SslProtocols protocols)
        {
            using (var ssl = new SslStream(transport, false, (sender, certificate, chain, errors) => false))
            {
                ssl.AuthenticateAsClient("mqttps.invalid", null, protocols, false);
            }
        }

        /// <summary>Runs <paramref name="handshake"/> against a transport that fails the first read or write: true when
        /// it got that far. (.NET 10 on Linux reaches the transport with any value and leaves refusals to the
        /// handshake itself; .NET Framework refuses before, as does Schannel for versions Windows lacks.)</summary>
        internal static bool Probe(SslProtocols protocols, Action<Stream, SslProtocols> handshake)
        {
            try
            {
                handshake(new ProbeStream(), protocols);
                return true; // a handshake that needs no transport: nothing refused it
            }
            catch (Exception e)
            {
                for (var inner = e; inner != null; inner = inner.InnerException)
                {
                    if (inner is ProbeReachedException) return true;
                }
                return false;
            }
        }

        private sealed class ProbeReachedException : IOException
        {
            public ProbeReachedException() : base("TLS protocol probe: the handshake reached the transport.") { }
        }

        /// <summary>A transport that ends every handshake at its first read or write.</summary>
        private sealed class ProbeStream : Stream
        {
            public override bool CanRead => true;
            public override bool CanSeek => false;
            public override bool CanWrite => true;
            public override long Length => throw new NotSupportedException();
            public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
            public override void Flush() { }
            public override int Read(byte[] buffer, int offset, int count) => throw new ProbeReachedException();
            public override void Write(byte[] buffer, int offset, int count) => throw new ProbeReachedException();
            public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
            public override void SetLength(long value) => throw new NotSupportedException();
        }
    }
}
