using System;

namespace MqttPS.Core.Broker.SysTopics
{
    /// <summary>Settings of the $SYS publisher (mosquitto's sys_interval).</summary>
    public sealed class MqttSysTopicOptions
    {
        /// <summary>How often the tree is updated; <see cref="TimeSpan.Zero"/> disables it. mosquitto's default is 10 s.</summary>
        public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(10);

        /// <summary>The text of $SYS/broker/version.</summary>
        public string Version { get; set; } = "mqttps version " + typeof(MqttSysTopicOptions).Assembly.GetName().Version.ToString(3);

        /// <summary>Publish heap/current and heap/maximum from the managed heap size.</summary>
        public bool IncludeHeap { get; set; } = true;
    }
}
