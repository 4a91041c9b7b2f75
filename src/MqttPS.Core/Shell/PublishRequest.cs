using System;
using System.Collections;
using System.Globalization;
using System.Text;
using MqttPS.Core.Messages;
using MqttPS.Core.Protocol;

namespace MqttPS.Core.Shell
{
    /// <summary>One message as Publish-MqttMessage received it, before it becomes an <see cref="MqttMessage"/>.</summary>
    public sealed class PublishRequest
    {
        public string Topic { get; set; }
        public object Payload { get; set; }

        /// <summary>Whether a payload was given at all (-Payload, pipeline input); with none, Payload is null.</summary>
        public bool PayloadGiven { get; set; } = true;
        public MqttQualityOfService QoS { get; set; }
        public bool Retain { get; set; }
        public string ContentType { get; set; }
        public string ResponseTopic { get; set; }

        /// <summary>Bytes as they are, or a string sent as UTF-8.</summary>
        public object CorrelationData { get; set; }

        /// <summary>Name/value pairs; a value that is a list adds the name once per item (MQTT allows repeats).</summary>
        public IDictionary UserProperties { get; set; }

        public uint? MessageExpirySeconds { get; set; }

        /// <summary>How an object payload becomes JSON (-Depth, the shell's object model, Ctrl+C); null: defaults.</summary>
        public JsonConversion Json { get; set; }

        /// <summary>Builds the message, checking the topic and that 5.0-only properties are not sent over 3.1.1.</summary>
        public MqttMessage ToMessage(MqttProtocolVersion version)
        {
            TopicValidation.RequireTopicName(Topic, "Topic");
            if ((int)QoS < 0 || (int)QoS > 2)
                throw new MqttShellException("InvalidQoS", ShellErrorCategory.InvalidArgument, "-QoS " + (int)QoS + " is not 0, 1 or 2.", QoS);
            if (Retain && Payload == null)
            {
                // An empty retained message clears the topic's retained message [MQTT-3.3.1-10]: from an unset variable
                // that is data loss, so clearing must be asked for explicitly (mosquitto_pub has -n for it).
                throw new MqttShellException(PayloadGiven ? "RetainedPayloadNull" : "RetainedPayloadMissing", ShellErrorCategory.InvalidArgument,
                    (PayloadGiven ? "The payload is $null" : "No payload was given") + " for the retained message to '" + Topic +
                    "': publishing it would clear the topic's retained message. To clear it on purpose, pass an empty payload (-Payload '') or use Clear-MqttRetainedMessage.",
                    Topic);
            }
            var message = new MqttMessage(Topic, PayloadEncoder.ToBytes(Payload, Json), QoS, Retain);
            var needsV5 = false;
            if (ContentType != null) { message.ContentType = ContentType; needsV5 = true; }
            if (ResponseTopic != null)
            {
                TopicValidation.RequireTopicName(ResponseTopic, "ResponseTopic");
                message.ResponseTopic = ResponseTopic;
                needsV5 = true;
            }
            if (CorrelationData != null)
            {
                message.CorrelationData = CorrelationData as byte[] ?? Encoding.UTF8.GetBytes(Convert.ToString(CorrelationData, CultureInfo.InvariantCulture));
                needsV5 = true;
            }
            if (MessageExpirySeconds.HasValue) { message.MessageExpiryInterval = MessageExpirySeconds; needsV5 = true; }
            if (UserProperties != null && UserProperties.Count > 0)
            {
                foreach (DictionaryEntry entry in UserProperties)
                {
                    var name = Convert.ToString(entry.Key, CultureInfo.InvariantCulture);
                    if (entry.Value is IEnumerable values && !(entry.Value is string))
                    {
                        foreach (var v in values) message.UserProperties.Add(new MqttUserProperty(name, Convert.ToString(v, CultureInfo.InvariantCulture)));
                    }
                    else
                    {
                        message.UserProperties.Add(new MqttUserProperty(name, Convert.ToString(entry.Value, CultureInfo.InvariantCulture) ?? string.Empty));
                    }
                }
                needsV5 = true;
            }
            if (PayloadEncoder.IsStructured(Payload) && ContentType == null && version == MqttProtocolVersion.V500)
            {
                // Say what the bytes are, so 5.0 subscribers can tell JSON from text without guessing.
                message.ContentType = "application/json";
            }
            if (needsV5 && version != MqttProtocolVersion.V500)
                throw new MqttShellException("RequiresMqtt5", ShellErrorCategory.InvalidArgument,
                    "-ContentType, -ResponseTopic, -CorrelationData, -UserProperty and -MessageExpirySeconds are MQTT 5.0 properties; this connection speaks " + VersionText(version) + ".", Topic);
            return message;
        }

        public static string VersionText(MqttProtocolVersion version)
        {
            switch (version)
            {
                case MqttProtocolVersion.V310: return "MQTT 3.1";
                case MqttProtocolVersion.V311: return "MQTT 3.1.1";
                default: return "MQTT 5.0";
            }
        }
    }
}
