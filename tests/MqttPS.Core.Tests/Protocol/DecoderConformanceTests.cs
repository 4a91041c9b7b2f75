using System.Collections.Generic;
using System.Linq;
using MqttPS.Core.Protocol;
using MqttPS.Core.Tests.Conformance;
using Xunit;

namespace MqttPS.Core.Tests.Protocol
{
    /// <summary>
    /// Runs every byte a client sends in mosquitto's 1,826 broker conversations through a server-side decoder
    /// and checks the verdict against mosquitto's answer: where mosquitto answers a DISCONNECT or refusing
    /// CONNACK right after a send, the decoder's exception carries that reason code and does not suppress the
    /// reply; where mosquitto just closes, the exception suppresses the reply; where mosquitto carries on, the
    /// decoder accepts. (Where the decoder accepts and mosquitto still objects, the objection is session state —
    /// flows, aliases, authentication — and belongs to the broker.)
    /// </summary>
    public class DecoderConformanceTests
    {
        [Theory]
        [MemberData(nameof(ConformanceData.FileNames), MemberType = typeof(ConformanceData))]
        public void Decoder_verdicts_agree_with_mosquitto(string file)
        {
            var directory = ConformanceData.RequireDirectory();
            var failures = new List<string>();
            var checkedSends = 0;
            foreach (var sequence in ConformanceData.Load(directory, file))
            {
                var version = (MqttProtocolVersion)sequence.Version;
                var decoder = new MqttPacketDecoder(sequence.Connect ? (MqttProtocolVersion?)version : null) { IsServer = true };
                for (var i = 0; i < sequence.Steps.Count; i++)
                {
                    if (sequence.Steps[i].Type != "send") continue;
                    checkedSends++;
                    var bytes = ByteNotation.Parse(sequence.Steps[i].Payload);
                    decoder.Append(bytes, 0, bytes.Length);
                    MqttProtocolException error = null;
                    try
                    {
                        while (decoder.TryDecode(out _)) { }
                    }
                    catch (MqttProtocolException e)
                    {
                        error = e;
                    }

                    var reply = sequence.Steps.Skip(i + 1).TakeWhile(s => s.Type != "send").FirstOrDefault(s => s.Type == "recv");
                    var replyBytes = reply == null ? null : ByteNotation.Parse(reply.Payload);
                    var verdict = Judge(error, replyBytes, decoder.ProtocolVersion, sequence.ExpectDisconnect
                                        || sequence.Steps.Skip(i + 1).Any(s => s.Type == "send"));
                    if (verdict != null) failures.Add(sequence.Key + ": " + verdict);
                    if (error != null) break;
                }
            }
            Assert.True(failures.Count == 0, failures.Count + " disagreement(s) in " + checkedSends + " sends:\n" + string.Join("\n", failures));
        }

        /// <summary>Null when the decoder's verdict fits mosquitto's reply, else what is wrong.</summary>
        private static string Judge(MqttProtocolException error, byte[] reply, MqttProtocolVersion? version, bool closeExpected)
        {
            if (error == null) return null; // accepted: either fine, or the broker's business
            var repliesInV5 = !error.SuppressReply && (version == MqttProtocolVersion.V500 || error.ReasonCode == MqttReasonCode.UnsupportedProtocolVersion);
            if (reply == null)
            {
                if (!closeExpected) return "decoder refused (" + error.Message + ") where mosquitto carries on";
                return repliesInV5 ? "mosquitto closes silently but SuppressReply is false (" + error.Message + ")" : null;
            }
            int expected;
            if (reply[0] == 0xE0 && reply.Length >= 3) expected = reply[2];
            else if (reply[0] == 0x20 && reply.Length >= 4 && reply[3] != 0)
                expected = reply[3] < 6 ? new[] { 0, 0x84, 0x85, 0x88, 0x86, 0x87 }[reply[3]] : reply[3];
            else return "decoder refused (" + error.Message + ") where mosquitto answers " + ByteNotation.ToHex(reply);
            if (expected != (int)error.ReasonCode) return "mosquitto answers 0x" + expected.ToString("X2") + ", decoder says " + error.Message;
            return repliesInV5 ? null : "mosquitto answers 0x" + expected.ToString("X2") + " but SuppressReply is true";
        }
    }
}
