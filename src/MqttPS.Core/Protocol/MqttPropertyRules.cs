using System;
using MqttPS.Core.Topics;

namespace MqttPS.Core.Protocol
{
    /// <summary>
    /// The property table of MQTT 5.0 section 2.2.2.2: each property's data type, the packets (or the will
    /// properties of CONNECT) where it may appear, whether it may appear more than once, and its valid values.
    /// </summary>
    internal static class MqttPropertyRules
    {
        /// <summary>
        /// Property context of the Will Properties in the CONNECT payload. Contexts are otherwise packet type
        /// numbers 1..15; type 0 is reserved, so its number is free for the will.
        /// </summary>
        public const int WillContext = 0;

        private const int Will = 1 << WillContext;
        private const int Connect = 1 << (int)MqttPacketType.Connect;
        private const int ConnAck = 1 << (int)MqttPacketType.ConnAck;
        private const int Publish = 1 << (int)MqttPacketType.Publish;
        private const int PubAck = 1 << (int)MqttPacketType.PubAck;
        private const int PubRec = 1 << (int)MqttPacketType.PubRec;
        private const int PubRel = 1 << (int)MqttPacketType.PubRel;
        private const int PubComp = 1 << (int)MqttPacketType.PubComp;
        private const int Subscribe = 1 << (int)MqttPacketType.Subscribe;
        private const int SubAck = 1 << (int)MqttPacketType.SubAck;
        private const int Unsubscribe = 1 << (int)MqttPacketType.Unsubscribe;
        private const int UnsubAck = 1 << (int)MqttPacketType.UnsubAck;
        private const int Disconnect = 1 << (int)MqttPacketType.Disconnect;
        private const int Auth = 1 << (int)MqttPacketType.Auth;

        private const int EveryPacketWithProperties = Will | Connect | ConnAck | Publish | PubAck | PubRec | PubRel
            | PubComp | Subscribe | SubAck | Unsubscribe | UnsubAck | Disconnect | Auth;

        public const int HighestId = 0x2A;

        private static readonly Rule[] Rules = BuildRules();

        private struct Rule
        {
            public bool Known;
            public MqttPropertyDataType Type;
            public int AllowedIn;
            public int RepeatableIn;
        }

        private static Rule[] BuildRules()
        {
            var rules = new Rule[HighestId + 1];
            void Add(MqttPropertyId id, MqttPropertyDataType type, int allowedIn, int repeatableIn = 0) =>
                rules[(int)id] = new Rule { Known = true, Type = type, AllowedIn = allowedIn, RepeatableIn = repeatableIn };

            Add(MqttPropertyId.PayloadFormatIndicator, MqttPropertyDataType.Byte, Publish | Will);
            Add(MqttPropertyId.MessageExpiryInterval, MqttPropertyDataType.FourByteInteger, Publish | Will);
            Add(MqttPropertyId.ContentType, MqttPropertyDataType.Utf8String, Publish | Will);
            Add(MqttPropertyId.ResponseTopic, MqttPropertyDataType.Utf8String, Publish | Will);
            Add(MqttPropertyId.CorrelationData, MqttPropertyDataType.BinaryData, Publish | Will);
            // A PUBLISH to a subscriber carries one identifier per matching subscription [MQTT-3.3.4-4];
            // SUBSCRIBE carries at most one (section 3.8.2.1.2).
            Add(MqttPropertyId.SubscriptionIdentifier, MqttPropertyDataType.VariableByteInteger, Publish | Subscribe, Publish);
            Add(MqttPropertyId.SessionExpiryInterval, MqttPropertyDataType.FourByteInteger, Connect | ConnAck | Disconnect);
            Add(MqttPropertyId.AssignedClientIdentifier, MqttPropertyDataType.Utf8String, ConnAck);
            Add(MqttPropertyId.ServerKeepAlive, MqttPropertyDataType.TwoByteInteger, ConnAck);
            Add(MqttPropertyId.AuthenticationMethod, MqttPropertyDataType.Utf8String, Connect | ConnAck | Auth);
            Add(MqttPropertyId.AuthenticationData, MqttPropertyDataType.BinaryData, Connect | ConnAck | Auth);
            Add(MqttPropertyId.RequestProblemInformation, MqttPropertyDataType.Byte, Connect);
            Add(MqttPropertyId.WillDelayInterval, MqttPropertyDataType.FourByteInteger, Will);
            Add(MqttPropertyId.RequestResponseInformation, MqttPropertyDataType.Byte, Connect);
            Add(MqttPropertyId.ResponseInformation, MqttPropertyDataType.Utf8String, ConnAck);
            Add(MqttPropertyId.ServerReference, MqttPropertyDataType.Utf8String, ConnAck | Disconnect);
            Add(MqttPropertyId.ReasonString, MqttPropertyDataType.Utf8String,
                ConnAck | PubAck | PubRec | PubRel | PubComp | SubAck | UnsubAck | Disconnect | Auth);
            Add(MqttPropertyId.ReceiveMaximum, MqttPropertyDataType.TwoByteInteger, Connect | ConnAck);
            Add(MqttPropertyId.TopicAliasMaximum, MqttPropertyDataType.TwoByteInteger, Connect | ConnAck);
            Add(MqttPropertyId.TopicAlias, MqttPropertyDataType.TwoByteInteger, Publish);
            Add(MqttPropertyId.MaximumQoS, MqttPropertyDataType.Byte, ConnAck);
            Add(MqttPropertyId.RetainAvailable, MqttPropertyDataType.Byte, ConnAck);
            Add(MqttPropertyId.UserProperty, MqttPropertyDataType.Utf8StringPair, EveryPacketWithProperties, EveryPacketWithProperties);
            Add(MqttPropertyId.MaximumPacketSize, MqttPropertyDataType.FourByteInteger, Connect | ConnAck);
            Add(MqttPropertyId.WildcardSubscriptionAvailable, MqttPropertyDataType.Byte, ConnAck);
            Add(MqttPropertyId.SubscriptionIdentifierAvailable, MqttPropertyDataType.Byte, ConnAck);
            Add(MqttPropertyId.SharedSubscriptionAvailable, MqttPropertyDataType.Byte, ConnAck);
            return rules;
        }

        public static bool IsKnown(uint id) => id <= HighestId && Rules[id].Known;

        public static MqttPropertyDataType GetDataType(MqttPropertyId id) => Rules[(int)id].Type;

        public static bool IsAllowed(MqttPropertyId id, int context) => (Rules[(int)id].AllowedIn & (1 << context)) != 0;

        public static bool IsRepeatable(MqttPropertyId id, int context) => (Rules[(int)id].RepeatableIn & (1 << context)) != 0;

        public static string ContextName(int context) =>
            context == WillContext ? "the will properties of CONNECT" : PacketName((MqttPacketType)context);

        public static string PacketName(MqttPacketType type)
        {
            switch (type)
            {
                case MqttPacketType.ConnAck: return "CONNACK";
                case MqttPacketType.PubAck: return "PUBACK";
                case MqttPacketType.PubRec: return "PUBREC";
                case MqttPacketType.PubRel: return "PUBREL";
                case MqttPacketType.PubComp: return "PUBCOMP";
                case MqttPacketType.SubAck: return "SUBACK";
                case MqttPacketType.UnsubAck: return "UNSUBACK";
                case MqttPacketType.PingReq: return "PINGREQ";
                case MqttPacketType.PingResp: return "PINGRESP";
                default:
                    return Enum.IsDefined(typeof(MqttPacketType), type)
                        ? type.ToString().ToUpperInvariant()
                        : "packet type " + (int)type;
            }
        }

        private static readonly string[] Names = BuildNames();

        private static string[] BuildNames()
        {
            var names = new string[HighestId + 1];
            foreach (MqttPropertyId id in Enum.GetValues(typeof(MqttPropertyId))) names[(int)id] = SpacedName(id);
            return names;
        }

        /// <summary>The property's name as the standard writes it, e.g. "Payload Format Indicator".</summary>
        public static string PropertyName(MqttPropertyId id) =>
            (int)id <= HighestId && Names[(int)id] != null ? Names[(int)id] : "0x" + ((int)id).ToString("X2");

        private static string SpacedName(MqttPropertyId id)
        {
            var name = id.ToString();
            var text = new System.Text.StringBuilder(name.Length + 8);
            for (var i = 0; i < name.Length; i++)
            {
                if (i > 0 && char.IsUpper(name[i]) && !char.IsUpper(name[i - 1])) text.Append(' ');
                text.Append(name[i]);
            }
            return text.Replace("Qo S", "QoS").ToString();
        }

        /// <summary>The value ranges the property descriptions of section 3 prescribe; null when valid.</summary>
        public static MqttProtocolException CheckNumber(MqttPropertyId id, uint value)
        {
            switch (id)
            {
                case MqttPropertyId.PayloadFormatIndicator:
                case MqttPropertyId.RequestProblemInformation:
                case MqttPropertyId.RequestResponseInformation:
                case MqttPropertyId.MaximumQoS:
                case MqttPropertyId.RetainAvailable:
                case MqttPropertyId.WildcardSubscriptionAvailable:
                case MqttPropertyId.SubscriptionIdentifierAvailable:
                case MqttPropertyId.SharedSubscriptionAvailable:
                    return value > 1
                        ? MqttProtocolErrors.ProtocolError(null, "the " + PropertyName(id) + " property must be 0 or 1, not " + value)
                        : null;
                case MqttPropertyId.ReceiveMaximum:
                case MqttPropertyId.MaximumPacketSize:
                    return value == 0
                        ? MqttProtocolErrors.ProtocolError(null, "the " + PropertyName(id) + " property must not be 0")
                        : null;
                case MqttPropertyId.TopicAlias:
                    // Section 3.3.2.3.4: a Topic Alias of 0 is answered with 0x94 Topic Alias invalid.
                    return value == 0
                        ? MqttProtocolErrors.Create(MqttReasonCode.TopicAliasInvalid, "MQTT-3.3.2-8", "a Topic Alias of 0 is not permitted")
                        : null;
                case MqttPropertyId.SubscriptionIdentifier:
                    return value == 0 || value > VariableByteInteger.MaximumValue
                        ? MqttProtocolErrors.ProtocolError(null, "a Subscription Identifier must be 1 to 268,435,455, not " + value)
                        : null;
                default:
                    return null;
            }
        }

        public static MqttProtocolException CheckString(MqttPropertyId id, string value)
        {
            // The Response Topic is a topic name [MQTT-3.3.2-14]: empty or with wildcards it is a Protocol Error.
            if (id != MqttPropertyId.ResponseTopic || MqttTopic.Check(value, false, out var specReference, out var message)) return null;
            return MqttProtocolErrors.ProtocolError(specReference, "invalid Response Topic: " + message);
        }
    }
}
