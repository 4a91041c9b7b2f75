using System;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using MqttPS.Core.Client;
using MqttPS.Core.Messages;
using MqttPS.Core.Protocol;
using MqttPS.Core.Tests.Infrastructure;
using Xunit;

namespace MqttPS.Core.Tests.Client
{
    /// <summary>Our client against an independent one: mosquitto_sub receives what we publish, we receive what mosquitto_pub publishes.</summary>
    public class InteropTests
    {
        [Theory]
        [InlineData(MqttProtocolVersion.V311, "mqttv311")]
        [InlineData(MqttProtocolVersion.V500, "mqttv5")]
        public async Task Messages_published_by_our_client_reach_mosquitto_sub_intact(MqttProtocolVersion version, string subVersion)
        {
            using (var broker = await Mosquitto.StartAsync())
            using (var client = await TestClients.ConnectAsync(broker.Port, version))
            {
                // %t topic, %q QoS, %r retain, %x payload in hex: binary payloads compare byte for byte.
                using (var sub = ExternalProcess.Start("mosquitto_sub", new[] { "-h", "127.0.0.1", "-p", broker.Port.ToString(), "-V", subVersion, "-q", "2", "-t", "interop/#", "-F", "%t %q %x" }))
                {
                    // Wait until mosquitto_sub's subscription is in place: probe until it prints one.
                    var deadline = DateTime.UtcNow.AddSeconds(10);
                    while (sub.StandardOutput.Length == 0)
                    {
                        Assert.True(DateTime.UtcNow < deadline, "mosquitto_sub did not start: " + sub.StandardError);
                        await client.PublishAsync(new MqttMessage("interop/probe", "p"));
                        await Task.Delay(50);
                    }
                    await Task.Delay(100); // probes still in flight print before the count is taken
                    var probes = sub.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;

                    var binary = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
                    var text = "grüße, ✓";
                    await client.PublishAsync(new MqttMessage("interop/binary", binary, MqttQualityOfService.AtLeastOnce));
                    await client.PublishAsync(new MqttMessage("interop/text", text, MqttQualityOfService.ExactlyOnce));
                    await client.PublishAsync(new MqttMessage("interop/empty", new byte[0], MqttQualityOfService.AtMostOnce));

                    // libmosquitto hands a QoS 2 message over at PUBREL, so the order across QoS levels may differ: compare sorted.
                    var lines = (await sub.WaitForLinesAsync(probes + 3, TimeSpan.FromSeconds(10))).Skip(probes).OrderBy(l => l, StringComparer.Ordinal).ToArray();
                    Assert.Equal(3, lines.Length);
                    Assert.Equal("interop/binary 1 " + Convert.ToHexString(binary).ToLowerInvariant(), lines[0]);
                    Assert.Equal("interop/empty 0 ", lines[1]);
                    Assert.Equal("interop/text 2 " + Convert.ToHexString(Encoding.UTF8.GetBytes(text)).ToLowerInvariant(), lines[2]);
                }
            }
        }

        [Theory]
        [InlineData(MqttProtocolVersion.V311, "mqttv311")]
        [InlineData(MqttProtocolVersion.V500, "mqttv5")]
        public async Task Messages_from_mosquitto_pub_reach_our_client(MqttProtocolVersion version, string pubVersion)
        {
            using (var broker = await Mosquitto.StartAsync())
            using (var client = await TestClients.ConnectAsync(broker.Port, version))
            {
                await client.SubscribeAsync(new[] { new MqttTopicSubscription("from-pub/#", MqttQualityOfService.ExactlyOnce) });
                var file = Path.GetTempFileName();
                var binary = Enumerable.Range(0, 1000).Select(i => (byte)(i * 7)).ToArray();
                File.WriteAllBytes(file, binary);
                try
                {
                    var port = broker.Port.ToString();
                    var args = new[] { "-h", "127.0.0.1", "-p", port, "-V", pubVersion };
                    using (var p = await ExternalProcess.RunAsync("mosquitto_pub", args.Concat(new[] { "-q", "1", "-t", "from-pub/text", "-m", "hello from mosquitto_pub" }), TimeSpan.FromSeconds(10)))
                        Assert.Equal(0, p.ExitCode);
                    using (var p = await ExternalProcess.RunAsync("mosquitto_pub", args.Concat(new[] { "-q", "2", "-t", "from-pub/file", "-f", file }), TimeSpan.FromSeconds(10)))
                        Assert.Equal(0, p.ExitCode);
                    if (version == MqttProtocolVersion.V500)
                    {
                        using (var p = await ExternalProcess.RunAsync("mosquitto_pub", args.Concat(new[] { "-q", "1", "-t", "from-pub/props", "-m", "{}",
                            "-D", "publish", "content-type", "application/json", "-D", "publish", "user-property", "k", "v" }), TimeSpan.FromSeconds(10)))
                            Assert.Equal(0, p.ExitCode);
                    }

                    var text = await client.ReceiveAsync();
                    Assert.Equal("from-pub/text", text.Topic);
                    Assert.Equal("hello from mosquitto_pub", text.PayloadText);
                    Assert.Equal(MqttQualityOfService.AtLeastOnce, text.QoS);
                    var fileMessage = await client.ReceiveAsync();
                    Assert.Equal(binary, fileMessage.PayloadBytes);
                    Assert.Equal(MqttQualityOfService.ExactlyOnce, fileMessage.QoS);
                    if (version == MqttProtocolVersion.V500)
                    {
                        var props = await client.ReceiveAsync();
                        Assert.Equal("application/json", props.ContentType);
                        Assert.Equal("k=v", props.UserProperties.Single().ToString());
                    }
                }
                finally { File.Delete(file); }
            }
        }
    }
}
