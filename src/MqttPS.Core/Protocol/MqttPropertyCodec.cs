using System;

namespace MqttPS.Core.Protocol
{
    /// <summary>
    /// Reads and writes the property block of MQTT 5.0 packets (section 2.2.2): Property Length, then
    /// identifier/value pairs. Enforces the rules of <see cref="MqttPropertyRules"/> and each property's value
    /// range in both directions, so the codec neither accepts nor produces what a peer must reject.
    /// </summary>
    internal static class MqttPropertyCodec
    {
        // ---------------------------------------------------------------- decoding

        /// <summary>
        /// Reads Property Length and the properties; null when the length is 0. Like mosquitto, the whole block
        /// is parsed first: a structural error (truncated value, unknown identifier, bad UTF-8) is a Malformed
        /// Packet at once, while a property that is not allowed in this packet, a forbidden duplicate or an
        /// invalid value is a Protocol Error reported after the block, the first one in wire order.
        /// Section 2.2.2.2 calls a property in the wrong packet a Malformed Packet; we follow mosquitto instead,
        /// for interoperability with its test suite (the broker is compared with it byte for byte): 0x82 Protocol
        /// Error, except in SUBSCRIBE and UNSUBSCRIBE, where mosquitto answers 0x81.
        /// </summary>
        public static MqttProperties Read(ref MqttPacketReader reader, int context, MqttDecodeRole role = MqttDecodeRole.Any)
        {
            var length = reader.ReadVariableByteInteger("property length");
            if (length == 0) return null;
            if (length > reader.Remaining)
            {
                throw MqttProtocolErrors.Malformed(null, "the property length of " + MqttPropertyRules.ContextName(context)
                    + " is " + length + " bytes but only " + reader.Remaining + " bytes are left in the packet");
            }

            var block = reader.Slice((int)length, "property block");
            var properties = new MqttProperties();
            var lastUser = default(UserPropertyReuse);
            MqttProtocolException violation = null;
            ulong seen = 0;
            while (!block.EndOfData)
            {
                var rawId = block.ReadVariableByteInteger("property identifier");
                if (!MqttPropertyRules.IsKnown(rawId))
                {
                    throw MqttProtocolErrors.Malformed(null, "unknown property identifier 0x" + rawId.ToString("X2")
                        + " in " + MqttPropertyRules.ContextName(context));
                }
                var id = (MqttPropertyId)rawId;
                var valueError = id == MqttPropertyId.UserProperty ? ReadUserProperty(ref block, properties, ref lastUser) : ReadValue(ref block, id, properties);
                if (violation != null) continue;
                var bit = 1UL << (int)rawId;
                if (valueError != null) violation = valueError;
                else if (!MqttPropertyRules.IsAllowed(id, context))
                {
                    // mosquitto answers 0x81 here for SUBSCRIBE and UNSUBSCRIBE, 0x82 for every other packet.
                    var code = context == (int)MqttPacketType.Subscribe || context == (int)MqttPacketType.Unsubscribe
                        ? MqttReasonCode.MalformedPacket
                        : MqttReasonCode.ProtocolError;
                    violation = MqttProtocolErrors.Create(code, null, "the " + MqttPropertyRules.PropertyName(id)
                        + " property (0x" + rawId.ToString("X2") + ") is not allowed in " + MqttPropertyRules.ContextName(context));
                }
                else if ((seen & bit) != 0 && !MqttPropertyRules.IsRepeatable(id, context))
                {
                    violation = MqttProtocolErrors.ProtocolError(null, "the " + MqttPropertyRules.PropertyName(id)
                        + " property appears more than once in " + MqttPropertyRules.ContextName(context));
                }
                seen |= bit;
            }
            if (violation != null) throw violation;
            if (role == MqttDecodeRole.Server && context == (int)MqttPacketType.Publish && properties.HasSubscriptionIdentifiers)
            {
                throw MqttProtocolErrors.ProtocolError("MQTT-3.3.4-6",
                    "a PUBLISH from a client must not contain a Subscription Identifier");
            }
            return properties;
        }

        /// <summary>The last user property read and where its bytes are: see <see cref="ReadUserProperty"/>.</summary>
        private struct UserPropertyReuse
        {
            public MqttUserProperty Property;
            public int Offset;
            public int Length;
        }

        /// <summary>
        /// Reads a user property. Properties may repeat without limit, so a packet can be nothing but user properties;
        /// one that repeats the bytes of the previous one (already validated) shares its object instead of decoding
        /// two more strings, so the cost of such a packet stays close to its size. Always linear in the block.
        /// </summary>
        private static MqttProtocolException ReadUserProperty(ref MqttPacketReader reader, MqttProperties properties, ref UserPropertyReuse last)
        {
            var list = properties.UserProperties;
            var length = reader.PeekStringPairLength();
            if (last.Property != null && length == last.Length && reader.NextBytesEqual(last.Offset, length))
            {
                reader.Skip(length);
                list.Add(last.Property);
                return null;
            }
            var offset = reader.Position;
            var name = reader.ReadString("user property name");
            var value = reader.ReadString("user property value");
            last = new UserPropertyReuse { Property = new MqttUserProperty(name, value), Offset = offset, Length = reader.Position - offset };
            list.Add(last.Property);
            return null;
        }

        /// <summary>Reads one value (structural errors throw); returns the value-range violation, if any.</summary>
        private static MqttProtocolException ReadValue(ref MqttPacketReader reader, MqttPropertyId id, MqttProperties properties)
        {
            var what = MqttPropertyRules.PropertyName(id);
            switch (MqttPropertyRules.GetDataType(id))
            {
                case MqttPropertyDataType.Byte:
                {
                    var value = reader.ReadByte(what);
                    SetByte(properties, id, value);
                    return MqttPropertyRules.CheckNumber(id, value);
                }
                case MqttPropertyDataType.TwoByteInteger:
                {
                    var value = reader.ReadUInt16(what);
                    SetUInt16(properties, id, value);
                    return MqttPropertyRules.CheckNumber(id, value);
                }
                case MqttPropertyDataType.FourByteInteger:
                {
                    var value = reader.ReadUInt32(what);
                    SetUInt32(properties, id, value);
                    return MqttPropertyRules.CheckNumber(id, value);
                }
                case MqttPropertyDataType.VariableByteInteger:
                {
                    var value = reader.ReadVariableByteInteger(what);
                    properties.SubscriptionIdentifiers.Add(value);
                    return MqttPropertyRules.CheckNumber(id, value);
                }
                case MqttPropertyDataType.Utf8String:
                {
                    var value = reader.ReadString(what);
                    SetString(properties, id, value);
                    return MqttPropertyRules.CheckString(id, value);
                }
                case MqttPropertyDataType.BinaryData:
                {
                    var value = reader.ReadBinaryData(what);
                    if (id == MqttPropertyId.CorrelationData) properties.CorrelationData = value;
                    else properties.AuthenticationData = value;
                    return null;
                }
                default:
                    throw new InvalidOperationException("user properties are read by ReadUserProperty");
            }
        }

        private static void SetByte(MqttProperties p, MqttPropertyId id, byte value)
        {
            switch (id)
            {
                case MqttPropertyId.PayloadFormatIndicator: p.PayloadFormatIndicator = value; break;
                case MqttPropertyId.RequestProblemInformation: p.RequestProblemInformation = value; break;
                case MqttPropertyId.RequestResponseInformation: p.RequestResponseInformation = value; break;
                case MqttPropertyId.MaximumQoS: p.MaximumQoS = value; break;
                case MqttPropertyId.RetainAvailable: p.RetainAvailable = value; break;
                case MqttPropertyId.WildcardSubscriptionAvailable: p.WildcardSubscriptionAvailable = value; break;
                case MqttPropertyId.SubscriptionIdentifierAvailable: p.SubscriptionIdentifierAvailable = value; break;
                case MqttPropertyId.SharedSubscriptionAvailable: p.SharedSubscriptionAvailable = value; break;
            }
        }

        private static void SetUInt16(MqttProperties p, MqttPropertyId id, ushort value)
        {
            switch (id)
            {
                case MqttPropertyId.ServerKeepAlive: p.ServerKeepAlive = value; break;
                case MqttPropertyId.ReceiveMaximum: p.ReceiveMaximum = value; break;
                case MqttPropertyId.TopicAliasMaximum: p.TopicAliasMaximum = value; break;
                case MqttPropertyId.TopicAlias: p.TopicAlias = value; break;
            }
        }

        private static void SetUInt32(MqttProperties p, MqttPropertyId id, uint value)
        {
            switch (id)
            {
                case MqttPropertyId.MessageExpiryInterval: p.MessageExpiryInterval = value; break;
                case MqttPropertyId.SessionExpiryInterval: p.SessionExpiryInterval = value; break;
                case MqttPropertyId.WillDelayInterval: p.WillDelayInterval = value; break;
                case MqttPropertyId.MaximumPacketSize: p.MaximumPacketSize = value; break;
            }
        }

        private static void SetString(MqttProperties p, MqttPropertyId id, string value)
        {
            switch (id)
            {
                case MqttPropertyId.ContentType: p.ContentType = value; break;
                case MqttPropertyId.ResponseTopic: p.ResponseTopic = value; break;
                case MqttPropertyId.AssignedClientIdentifier: p.AssignedClientIdentifier = value; break;
                case MqttPropertyId.AuthenticationMethod: p.AuthenticationMethod = value; break;
                case MqttPropertyId.ResponseInformation: p.ResponseInformation = value; break;
                case MqttPropertyId.ServerReference: p.ServerReference = value; break;
                case MqttPropertyId.ReasonString: p.ReasonString = value; break;
            }
        }

        // ---------------------------------------------------------------- encoding

        /// <summary>
        /// Validates the properties for <paramref name="context"/> and returns the length of the property block
        /// without its Property Length prefix (0 for null or empty properties).
        /// </summary>
        public static int GetContentLength(MqttProperties properties, int context) =>
            properties == null ? 0 : Process(properties, context, null);

        /// <summary>Property Length plus the size of the block.</summary>
        public static int GetBlockLength(int contentLength) =>
            VariableByteInteger.GetSize((uint)contentLength) + contentLength;

        /// <summary>Writes Property Length and the block measured by <see cref="GetContentLength"/>.</summary>
        public static void Write(MqttBufferWriter output, MqttProperties properties, int context, int contentLength)
        {
            output.WriteVariableByteInteger((uint)contentLength);
            if (contentLength > 0) Process(properties, context, output);
        }

        /// <summary>One walk for both passes: measures and validates when output is null, writes otherwise.</summary>
        private static int Process(MqttProperties p, int context, MqttBufferWriter output)
        {
            var size = 0;
            for (var i = 0; i < p.OrderedCount; i++)
            {
                var id = p.GetOrderedId(i);
                switch (id)
                {
                    case MqttPropertyId.PayloadFormatIndicator: size += ByteProperty(id, p.PayloadFormatIndicator, context, output); break;
                    case MqttPropertyId.MessageExpiryInterval: size += UInt32Property(id, p.MessageExpiryInterval, context, output); break;
                    case MqttPropertyId.ContentType: size += StringProperty(id, p.ContentType, context, output); break;
                    case MqttPropertyId.ResponseTopic: size += StringProperty(id, p.ResponseTopic, context, output); break;
                    case MqttPropertyId.CorrelationData: size += BinaryProperty(id, p.CorrelationData, context, output); break;
                    case MqttPropertyId.SubscriptionIdentifier:
                        if (p.HasSubscriptionIdentifiers)
                        {
                            var identifiers = p.SubscriptionIdentifiers;
                            if (output == null) CheckAllowed(id, context, identifiers.Count);
                            for (var k = 0; k < identifiers.Count; k++)
                            {
                                var value = identifiers[k];
                                if (output == null) { ThrowIf(MqttPropertyRules.CheckNumber(id, value)); size += 1 + VariableByteInteger.GetSize(value); }
                                else { output.WriteByte((byte)id); output.WriteVariableByteInteger(value); }
                            }
                        }
                        break;
                    case MqttPropertyId.SessionExpiryInterval: size += UInt32Property(id, p.SessionExpiryInterval, context, output); break;
                    case MqttPropertyId.AssignedClientIdentifier: size += StringProperty(id, p.AssignedClientIdentifier, context, output); break;
                    case MqttPropertyId.ServerKeepAlive: size += UInt16Property(id, p.ServerKeepAlive, context, output); break;
                    case MqttPropertyId.AuthenticationMethod: size += StringProperty(id, p.AuthenticationMethod, context, output); break;
                    case MqttPropertyId.AuthenticationData: size += BinaryProperty(id, p.AuthenticationData, context, output); break;
                    case MqttPropertyId.RequestProblemInformation: size += ByteProperty(id, p.RequestProblemInformation, context, output); break;
                    case MqttPropertyId.WillDelayInterval: size += UInt32Property(id, p.WillDelayInterval, context, output); break;
                    case MqttPropertyId.RequestResponseInformation: size += ByteProperty(id, p.RequestResponseInformation, context, output); break;
                    case MqttPropertyId.ResponseInformation: size += StringProperty(id, p.ResponseInformation, context, output); break;
                    case MqttPropertyId.ServerReference: size += StringProperty(id, p.ServerReference, context, output); break;
                    case MqttPropertyId.ReasonString: size += StringProperty(id, p.ReasonString, context, output); break;
                    case MqttPropertyId.ReceiveMaximum: size += UInt16Property(id, p.ReceiveMaximum, context, output); break;
                    case MqttPropertyId.TopicAliasMaximum: size += UInt16Property(id, p.TopicAliasMaximum, context, output); break;
                    case MqttPropertyId.TopicAlias: size += UInt16Property(id, p.TopicAlias, context, output); break;
                    case MqttPropertyId.MaximumQoS: size += ByteProperty(id, p.MaximumQoS, context, output); break;
                    case MqttPropertyId.RetainAvailable: size += ByteProperty(id, p.RetainAvailable, context, output); break;
                    case MqttPropertyId.UserProperty:
                        if (p.HasUserProperties)
                        {
                            var users = p.UserProperties;
                            if (output == null) CheckAllowed(id, context, 1);
                            for (var k = 0; k < users.Count; k++)
                            {
                                var user = users[k];
                                var nameBytes = MqttUtf8.GetValidatedByteCount(user.Name, "user property name");
                                var valueBytes = MqttUtf8.GetValidatedByteCount(user.Value, "user property value");
                                if (output == null) size += 1 + 2 + nameBytes + 2 + valueBytes;
                                else
                                {
                                    output.WriteByte((byte)id);
                                    output.WriteValidatedString(user.Name, nameBytes);
                                    output.WriteValidatedString(user.Value, valueBytes);
                                }
                            }
                        }
                        break;
                    case MqttPropertyId.MaximumPacketSize: size += UInt32Property(id, p.MaximumPacketSize, context, output); break;
                    case MqttPropertyId.WildcardSubscriptionAvailable: size += ByteProperty(id, p.WildcardSubscriptionAvailable, context, output); break;
                    case MqttPropertyId.SubscriptionIdentifierAvailable: size += ByteProperty(id, p.SubscriptionIdentifierAvailable, context, output); break;
                    case MqttPropertyId.SharedSubscriptionAvailable: size += ByteProperty(id, p.SharedSubscriptionAvailable, context, output); break;
                }
            }
            if (size > VariableByteInteger.MaximumValue)
                throw MqttProtocolErrors.Create(MqttReasonCode.PacketTooLarge, null, "the properties exceed the largest MQTT packet");
            return size;
        }

        private static void ThrowIf(MqttProtocolException violation)
        {
            if (violation != null) throw violation;
        }

        private static void CheckAllowed(MqttPropertyId id, int context, int count)
        {
            if (!MqttPropertyRules.IsAllowed(id, context))
            {
                throw MqttProtocolErrors.Malformed(null, "cannot send the " + MqttPropertyRules.PropertyName(id)
                    + " property in " + MqttPropertyRules.ContextName(context) + ": it is not allowed there");
            }
            if (count > 1 && !MqttPropertyRules.IsRepeatable(id, context))
            {
                throw MqttProtocolErrors.ProtocolError(null, "cannot send more than one " + MqttPropertyRules.PropertyName(id)
                    + " in " + MqttPropertyRules.ContextName(context));
            }
        }

        private static int ByteProperty(MqttPropertyId id, byte? value, int context, MqttBufferWriter output)
        {
            if (value == null) return 0;
            if (output == null) { CheckAllowed(id, context, 1); ThrowIf(MqttPropertyRules.CheckNumber(id, value.Value)); return 2; }
            output.WriteByte((byte)id);
            output.WriteByte(value.Value);
            return 2;
        }

        private static int UInt16Property(MqttPropertyId id, ushort? value, int context, MqttBufferWriter output)
        {
            if (value == null) return 0;
            if (output == null) { CheckAllowed(id, context, 1); ThrowIf(MqttPropertyRules.CheckNumber(id, value.Value)); return 3; }
            output.WriteByte((byte)id);
            output.WriteUInt16(value.Value);
            return 3;
        }

        private static int UInt32Property(MqttPropertyId id, uint? value, int context, MqttBufferWriter output)
        {
            if (value == null) return 0;
            if (output == null) { CheckAllowed(id, context, 1); ThrowIf(MqttPropertyRules.CheckNumber(id, value.Value)); return 5; }
            output.WriteByte((byte)id);
            output.WriteUInt32(value.Value);
            return 5;
        }

        private static int StringProperty(MqttPropertyId id, string value, int context, MqttBufferWriter output)
        {
            if (value == null) return 0;
            var byteCount = MqttUtf8.GetValidatedByteCount(value, MqttPropertyRules.PropertyName(id));
            if (output == null) { CheckAllowed(id, context, 1); ThrowIf(MqttPropertyRules.CheckString(id, value)); return 3 + byteCount; }
            output.WriteByte((byte)id);
            output.WriteValidatedString(value, byteCount);
            return 3 + byteCount;
        }

        private static int BinaryProperty(MqttPropertyId id, byte[] value, int context, MqttBufferWriter output)
        {
            if (value == null) return 0;
            if (output == null)
            {
                CheckAllowed(id, context, 1);
                if (value.Length > 65535)
                    throw MqttProtocolErrors.Malformed("MQTT-1.5.6", "the " + MqttPropertyRules.PropertyName(id) + " is longer than 65,535 bytes");
                return 3 + value.Length;
            }
            output.WriteByte((byte)id);
            output.WriteBinaryData(value);
            return 3 + value.Length;
        }
    }
}
