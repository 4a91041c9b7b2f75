using System;
using System.IO;
using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Threading;
using System.Threading.Tasks;
using MqttPS.Core.Tests.Broker;
using MqttPS.Core.Tests.Infrastructure;
using MqttPS.Core.Transport;
using Xunit;

namespace MqttPS.Core.Tests.Transport
{
    /// <summary>
    /// TLS version selection: the system default where the runtime takes it, else TLS 1.2 (+1.3 where offered), as
    /// .NET Framework needs where its system default is switched off; and explicit versions for client and listener.
    /// </summary>
    public class TlsProtocolSelectionTests
    {
        private const SslProtocols Tls12 = TlsProtocolSelection.Tls12;
        private const SslProtocols Tls13 = TlsProtocolSelection.Tls13;

        [Theory]
        // A .NET whose system default works: left to the operating system.
        [InlineData(SslProtocols.None, "None,Tls12,Tls12|Tls13", SslProtocols.None)]
        // .NET Framework with system default TLS versions switched off, on a Windows that offers TLS 1.3 (11, Server 2022).
        [InlineData(SslProtocols.None, "Tls12,Tls12|Tls13", Tls12 | Tls13)]
        // ... on a Windows without TLS 1.3, or a .NET Framework before 4.8 that does not know it.
        [InlineData(SslProtocols.None, "Tls12", Tls12)]
        // Explicit versions are the user's: used as they are (the handshake says if the system lacks them).
        [InlineData(Tls13, "Tls12", Tls13)]
        [InlineData(Tls12, "None,Tls12,Tls12|Tls13", Tls12)]
        public void Choose_falls_back_from_a_refused_system_default_to_TLS_1_2_and_1_3_where_offered(SslProtocols requested, string accepted, SslProtocols expected)
        {
            var acceptedValues = Array.ConvertAll(accepted.Split(','), a => a == "None" ? SslProtocols.None : a == "Tls12" ? Tls12 : Tls12 | Tls13);
            var asked = new System.Collections.Generic.List<SslProtocols>();
            var chosen = TlsProtocolSelection.Choose(requested, p => { asked.Add(p); return Array.IndexOf(acceptedValues, p) >= 0; });
            Assert.Equal(expected, chosen);
            if (requested != SslProtocols.None) Assert.Empty(asked); // nothing to probe for an explicit choice
        }

        [Fact]
        public void The_probe_counts_a_refusal_before_the_transport_as_not_accepted_and_reaching_it_as_accepted()
        {
            // .NET Framework refuses a disabled system default like this, before any byte is written.
            Assert.False(TlsProtocolSelection.Probe(SslProtocols.None, (stream, p) => throw new NotSupportedException("The requested security protocol is not supported.")));
            Assert.False(TlsProtocolSelection.Probe(Tls13, (stream, p) => throw new ArgumentException("The specified value is not valid in the 'SslProtocolType' enumeration.")));
            // Reaching the transport (directly or wrapped by SslStream) means the value was taken.
            Assert.True(TlsProtocolSelection.Probe(Tls12, (stream, p) => stream.Write(new byte[1], 0, 1)));
            Assert.True(TlsProtocolSelection.Probe(Tls12, (stream, p) =>
            {
                try { stream.ReadByte(); }
                catch (IOException e) { throw new AuthenticationException("Authentication failed, see inner exception.", e); }
            }));
            // And this runtime takes the system default and TLS 1.2/1.3, so nothing falls back here.
            Assert.True(TlsProtocolSelection.IsAccepted(SslProtocols.None));
            Assert.True(TlsProtocolSelection.IsAccepted(Tls12 | Tls13));
            Assert.Equal(SslProtocols.None, TlsProtocolSelection.Choose(SslProtocols.None));
        }

        [Theory]
        [InlineData(Tls12, Tls12 | Tls13, SslProtocols.Tls12)]
        [InlineData(SslProtocols.None, Tls13, SslProtocols.Tls13)]
        [InlineData(Tls12 | Tls13, SslProtocols.None, SslProtocols.Tls13)]
        public async Task Client_and_listener_negotiate_within_the_versions_each_allows(SslProtocols listenerProtocols, SslProtocols clientProtocols, SslProtocols negotiated)
        {
            var pki = await TestCertificates.GetAsync();
            await using (var host = await BrokerTestHost.StartWithTlsAsync(pki, listenerProtocols))
            using (var stream = await MqttTransportConnector.ConnectAsync(MqttBrokerAddress.Parse("mqtts://localhost:" + host.TlsPort),
                new MqttTlsOptions { CaFile = pki.CaCert, Protocols = clientProtocols }, CancellationToken.None))
            {
                Assert.Equal(negotiated, ((SslStream)stream).SslProtocol);
            }
        }

        [Fact]
        public async Task Versions_that_do_not_overlap_fail_the_handshake_and_the_message_names_the_offered_ones()
        {
            var pki = await TestCertificates.GetAsync();
            await using (var host = await BrokerTestHost.StartWithTlsAsync(pki, Tls13))
            {
                var e = await Assert.ThrowsAnyAsync<AuthenticationException>(() => MqttTransportConnector.ConnectAsync(MqttBrokerAddress.Parse("mqtts://localhost:" + host.TlsPort),
                    new MqttTlsOptions { CaFile = pki.CaCert, Protocols = Tls12 }, CancellationToken.None));
                Assert.Contains("TLS handshake with mqtts://localhost:" + host.TlsPort + " failed", e.Message);
                Assert.Contains("The client offered TLS 1.2.", e.Message);
            }
        }
    }
}
