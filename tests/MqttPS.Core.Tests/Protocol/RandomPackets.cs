using System;
using System.Collections.Generic;
using System.Text;
using MqttPS.Core.Protocol;

namespace MqttPS.Core.Tests.Protocol
{
    /// <summary>
    /// Generates valid packets of every type with random fields and random valid property sets (in random
    /// order), from a seeded <see cref="Random"/> so that failures reproduce.
    /// </summary>
    internal sealed class RandomPackets
    {
        private static readonly string[] Words = { "a", "sensor", "temp", "ü", "€uro", "😀", "x y", "$SYS", "home", "l1", "" };
        private readonly Random _random;

        public RandomPackets(int seed) => _random = new Random(seed);

        public Random Random => _random;

        public MqttPacket Next(MqttProtocolVersion version)
        {
            var types = version == MqttProtocolVersion.V500 ? 15 : 14;
            switch (_random.Next(1, types + 1))
            {
                case 1: return Connect(version);
                case 2: return ConnAck(version);
                case 3: return Publish(version);
                case 4: return Response(new PubAckPacket(), version, typeof(PubAckReasonCode));
                case 5: return Response(new PubRecPacket(), version, typeof(PubAckReasonCode));
                case 6: return Response(new PubRelPacket(), version, typeof(PubRelReasonCode));
                case 7: return Response(new PubCompPacket(), version, typeof(PubRelReasonCode));
                case 8: return Subscribe(version);
                case 9: return SubAck(version);
                case 10: return Unsubscribe(version);
                case 11: return UnsubAck(version);
                case 12: return PingReqPacket.Instance;
                case 13: return PingRespPacket.Instance;
                case 14: return Disconnect(version);
                default: return Auth();
            }
        }

        public string Text(int maxWords = 3)
        {
            var builder = new StringBuilder();
            var count = _random.Next(0, maxWords + 1);
            for (var i = 0; i < count; i++) builder.Append(Words[_random.Next(Words.Length)]);
            return builder.ToString();
        }

        public string TopicName()
        {
            var levels = _random.Next(1, 5);
            var builder = new StringBuilder();
            for (var i = 0; i < levels; i++)
            {
                if (i > 0) builder.Append('/');
                builder.Append(Words[_random.Next(Words.Length)]);
            }
            return builder.Length == 0 ? "t" : builder.ToString();
        }

        public string TopicFilter()
        {
            var levels = _random.Next(1, 5);
            var builder = new StringBuilder();
            for (var i = 0; i < levels; i++)
            {
                if (i > 0) builder.Append('/');
                var roll = _random.Next(10);
                if (roll == 0 && i == levels - 1) { builder.Append('#'); break; }
                builder.Append(roll == 1 ? "+" : Words[_random.Next(Words.Length)]);
            }
            return builder.Length == 0 ? "#" : builder.ToString();
        }

        private byte[] Bytes(int max)
        {
            var bytes = new byte[_random.Next(0, max + 1)];
            _random.NextBytes(bytes);
            return bytes;
        }

        private bool Chance(int percent) => _random.Next(100) < percent;

        private ushort PacketId() => (ushort)_random.Next(1, 65536);

        private uint UInt32() => (uint)_random.Next() ^ ((uint)_random.Next(2) << 31);

        /// <summary>Random valid properties allowed in <paramref name="context"/> (a packet type, 0 for the will).</summary>
        public MqttProperties Properties(int context)
        {
            var properties = new MqttProperties();
            var ids = (MqttPropertyId[])Enum.GetValues(typeof(MqttPropertyId));
            // Shuffle so that the wire order differs from the identifier order.
            for (var i = ids.Length - 1; i > 0; i--)
            {
                var j = _random.Next(i + 1);
                var swap = ids[i]; ids[i] = ids[j]; ids[j] = swap;
            }
            foreach (var id in ids)
            {
                if (!MqttPropertyRules.IsAllowed(id, context) || !Chance(30)) continue;
                // Authentication Data needs a method; only a PUBLISH may carry several Subscription Identifiers.
                switch (id)
                {
                    case MqttPropertyId.PayloadFormatIndicator: properties.PayloadFormatIndicator = (byte)_random.Next(2); break;
                    case MqttPropertyId.MessageExpiryInterval: properties.MessageExpiryInterval = UInt32(); break;
                    case MqttPropertyId.ContentType: properties.ContentType = Text(); break;
                    case MqttPropertyId.ResponseTopic: properties.ResponseTopic = TopicName(); break;
                    case MqttPropertyId.CorrelationData: properties.CorrelationData = Bytes(20); break;
                    case MqttPropertyId.SubscriptionIdentifier:
                        var count = context == (int)MqttPacketType.Publish ? _random.Next(1, 4) : 1;
                        for (var k = 0; k < count; k++) properties.SubscriptionIdentifiers.Add((uint)_random.Next(1, 268435456));
                        break;
                    case MqttPropertyId.SessionExpiryInterval: properties.SessionExpiryInterval = UInt32(); break;
                    case MqttPropertyId.AssignedClientIdentifier: properties.AssignedClientIdentifier = Text(); break;
                    case MqttPropertyId.ServerKeepAlive: properties.ServerKeepAlive = (ushort)_random.Next(65536); break;
                    case MqttPropertyId.AuthenticationMethod: properties.AuthenticationMethod = "SCRAM-" + Text(1); break;
                    case MqttPropertyId.AuthenticationData:
                        if (properties.AuthenticationMethod == null) properties.AuthenticationMethod = "M";
                        properties.AuthenticationData = Bytes(16);
                        break;
                    case MqttPropertyId.RequestProblemInformation: properties.RequestProblemInformation = (byte)_random.Next(2); break;
                    case MqttPropertyId.WillDelayInterval: properties.WillDelayInterval = UInt32(); break;
                    case MqttPropertyId.RequestResponseInformation: properties.RequestResponseInformation = (byte)_random.Next(2); break;
                    case MqttPropertyId.ResponseInformation: properties.ResponseInformation = Text(); break;
                    case MqttPropertyId.ServerReference: properties.ServerReference = Text(); break;
                    case MqttPropertyId.ReasonString: properties.ReasonString = Text(); break;
                    case MqttPropertyId.ReceiveMaximum: properties.ReceiveMaximum = (ushort)_random.Next(1, 65536); break;
                    case MqttPropertyId.TopicAliasMaximum: properties.TopicAliasMaximum = (ushort)_random.Next(65536); break;
                    case MqttPropertyId.TopicAlias: properties.TopicAlias = (ushort)_random.Next(1, 65536); break;
                    case MqttPropertyId.MaximumQoS: properties.MaximumQoS = (byte)_random.Next(2); break;
                    case MqttPropertyId.RetainAvailable: properties.RetainAvailable = (byte)_random.Next(2); break;
                    case MqttPropertyId.UserProperty:
                        var users = _random.Next(1, 4);
                        for (var k = 0; k < users; k++) properties.UserProperties.Add(new MqttUserProperty(Text(2), Text(2)));
                        break;
                    case MqttPropertyId.MaximumPacketSize: properties.MaximumPacketSize = (uint)_random.Next(1, int.MaxValue); break;
                    case MqttPropertyId.WildcardSubscriptionAvailable: properties.WildcardSubscriptionAvailable = (byte)_random.Next(2); break;
                    case MqttPropertyId.SubscriptionIdentifierAvailable: properties.SubscriptionIdentifierAvailable = (byte)_random.Next(2); break;
                    case MqttPropertyId.SharedSubscriptionAvailable: properties.SharedSubscriptionAvailable = (byte)_random.Next(2); break;
                }
            }
            return properties;
        }

        private void MaybeProperties(MqttPacket packet, MqttProtocolVersion version)
        {
            if (version == MqttProtocolVersion.V500 && Chance(70)) packet.Properties = Properties((int)packet.PacketType);
        }

        private ConnectPacket Connect(MqttProtocolVersion version)
        {
            var packet = new ConnectPacket
            {
                ProtocolVersion = version,
                ClientId = Text(),
                CleanStart = Chance(50),
                KeepAliveSeconds = (ushort)_random.Next(65536),
            };
            if (Chance(50)) packet.Username = Text();
            if (Chance(50) && (packet.Username != null || version == MqttProtocolVersion.V500)) packet.Password = Bytes(12);
            if (Chance(50))
            {
                packet.Will = new MqttWillMessage
                {
                    Topic = TopicName(), Payload = Bytes(40), QoS = (MqttQualityOfService)_random.Next(3), Retain = Chance(50),
                };
                if (version == MqttProtocolVersion.V500 && Chance(70)) packet.Will.Properties = Properties(MqttPropertyRules.WillContext);
            }
            MaybeProperties(packet, version);
            return packet;
        }

        private ConnAckPacket ConnAck(MqttProtocolVersion version)
        {
            var codes = version == MqttProtocolVersion.V500
                ? (ConnectReasonCode[])Enum.GetValues(typeof(ConnectReasonCode))
                : new[] { ConnectReasonCode.Success, ConnectReasonCode.UnsupportedProtocolVersion, ConnectReasonCode.ClientIdentifierNotValid,
                          ConnectReasonCode.ServerUnavailable, ConnectReasonCode.BadUserNameOrPassword, ConnectReasonCode.NotAuthorized };
            var packet = new ConnAckPacket { ReasonCode = codes[_random.Next(codes.Length)] };
            packet.SessionPresent = packet.ReasonCode == ConnectReasonCode.Success && version != MqttProtocolVersion.V310 && Chance(50);
            MaybeProperties(packet, version);
            return packet;
        }

        public PublishPacket Publish(MqttProtocolVersion version)
        {
            var packet = new PublishPacket
            {
                Topic = TopicName(), Payload = Bytes(_random.Next(2) == 0 ? 10 : 300), QoS = (MqttQualityOfService)_random.Next(3), Retain = Chance(50),
            };
            if (packet.QoS != MqttQualityOfService.AtMostOnce)
            {
                packet.PacketId = PacketId();
                packet.Dup = Chance(30);
            }
            MaybeProperties(packet, version);
            if (version == MqttProtocolVersion.V500 && packet.HasProperties && packet.Properties.TopicAlias != null && Chance(50)) packet.Topic = "";
            return packet;
        }

        private MqttPacket Response(PublishResponsePacket packet, MqttProtocolVersion version, Type codes)
        {
            packet.PacketId = PacketId();
            if (version == MqttProtocolVersion.V500)
            {
                var values = Enum.GetValues(codes);
                packet.ReasonCodeValue = Convert.ToByte(values.GetValue(_random.Next(values.Length)));
                MaybeProperties(packet, version);
            }
            return packet;
        }

        private SubscribePacket Subscribe(MqttProtocolVersion version)
        {
            var packet = new SubscribePacket { PacketId = PacketId() };
            var count = _random.Next(1, 5);
            for (var i = 0; i < count; i++)
            {
                var subscription = new MqttTopicSubscription(TopicFilter(), (MqttQualityOfService)_random.Next(3));
                if (version == MqttProtocolVersion.V500)
                {
                    subscription.NoLocal = Chance(50);
                    subscription.RetainAsPublished = Chance(50);
                    subscription.RetainHandling = (RetainHandling)_random.Next(3);
                    if (Chance(20))
                    {
                        subscription.TopicFilter = "$share/g" + _random.Next(9) + "/" + subscription.TopicFilter;
                        subscription.NoLocal = false; // [MQTT-3.8.3-4]
                    }
                }
                packet.Subscriptions.Add(subscription);
            }
            MaybeProperties(packet, version);
            return packet;
        }

        private SubAckPacket SubAck(MqttProtocolVersion version)
        {
            var packet = new SubAckPacket { PacketId = PacketId() };
            var codes = version == MqttProtocolVersion.V500
                ? (SubAckReasonCode[])Enum.GetValues(typeof(SubAckReasonCode))
                : new[] { SubAckReasonCode.GrantedQoS0, SubAckReasonCode.GrantedQoS1, SubAckReasonCode.GrantedQoS2, SubAckReasonCode.UnspecifiedError };
            var count = _random.Next(1, 5);
            for (var i = 0; i < count; i++) packet.ReasonCodes.Add(codes[_random.Next(codes.Length)]);
            MaybeProperties(packet, version);
            return packet;
        }

        private UnsubscribePacket Unsubscribe(MqttProtocolVersion version)
        {
            var packet = new UnsubscribePacket { PacketId = PacketId() };
            var count = _random.Next(1, 5);
            for (var i = 0; i < count; i++) packet.TopicFilters.Add(TopicFilter());
            MaybeProperties(packet, version);
            return packet;
        }

        private UnsubAckPacket UnsubAck(MqttProtocolVersion version)
        {
            var packet = new UnsubAckPacket { PacketId = PacketId() };
            if (version == MqttProtocolVersion.V500)
            {
                var codes = (UnsubAckReasonCode[])Enum.GetValues(typeof(UnsubAckReasonCode));
                var count = _random.Next(1, 5);
                for (var i = 0; i < count; i++) packet.ReasonCodes.Add(codes[_random.Next(codes.Length)]);
                MaybeProperties(packet, version);
            }
            return packet;
        }

        private DisconnectPacket Disconnect(MqttProtocolVersion version)
        {
            var packet = new DisconnectPacket();
            if (version == MqttProtocolVersion.V500)
            {
                var codes = (DisconnectReasonCode[])Enum.GetValues(typeof(DisconnectReasonCode));
                packet.ReasonCode = codes[_random.Next(codes.Length)];
                MaybeProperties(packet, version);
            }
            return packet;
        }

        private AuthPacket Auth()
        {
            var codes = (AuthReasonCode[])Enum.GetValues(typeof(AuthReasonCode));
            var packet = new AuthPacket { ReasonCode = codes[_random.Next(codes.Length)] };
            if (packet.ReasonCode != AuthReasonCode.Success || Chance(50))
            {
                packet.Properties = Properties((int)MqttPacketType.Auth);
                if (packet.Properties.AuthenticationMethod == null) packet.Properties.AuthenticationMethod = "M";
            }
            return packet;
        }
    }
}
