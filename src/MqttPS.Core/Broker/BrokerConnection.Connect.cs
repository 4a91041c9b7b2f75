using System;
using System.Threading.Tasks;
using MqttPS.Core.Protocol;

namespace MqttPS.Core.Broker
{
    /// <summary>The CONNECT handshake of a <see cref="BrokerConnection"/>: validation, authentication, session
    /// attach, CONNACK.</summary>
    internal sealed partial class BrokerConnection
    {
        private async Task HandleConnectAsync(ConnectPacket p)
        {
            if (IsConnected)
                throw new MqttProtocolException(MqttReasonCode.ProtocolError, "MQTT-3.1.0-2", "second CONNECT on one connection");
            ProtocolVersion = p.ProtocolVersion;
            V5 = p.ProtocolVersion == MqttProtocolVersion.V500;
            var options = _broker.Options;
            var props = V5 && p.HasProperties ? p.Properties : null;
            ClientMaximumPacketSize = props?.MaximumPacketSize ?? 0;

            if (options.MaxConnections > 0 && !_accepted.IsInternal && _broker.ConnectedCount >= options.MaxConnections)
            {
                RefuseConnect(V5 ? ConnectReasonCode.ServerBusy : ConnectReasonCode.ServerUnavailable, "maximum connections (" + options.MaxConnections + ") reached");
                return;
            }
            var listener = _accepted.Listener;
            if (listener != null && listener.MaxConnections > 0 && _broker.ConnectedCountOn(listener) >= listener.MaxConnections)
            {
                RefuseConnect(V5 ? ConnectReasonCode.ServerBusy : ConnectReasonCode.ServerUnavailable, "maximum connections of " + _accepted.ListenerName + " (" + listener.MaxConnections + ") reached");
                return;
            }

            var clientId = p.ClientId ?? string.Empty;
            var assigned = false;
            if (clientId.Length == 0)
            {
                // 3.1 requires a client id; 3.1.1 allows an empty one only with a clean session [MQTT-3.1.3-7/8].
                if (p.ProtocolVersion == MqttProtocolVersion.V310 || (!V5 && !p.CleanStart))
                {
                    RefuseConnect(ConnectReasonCode.ClientIdentifierNotValid, "empty client id" + (p.CleanStart ? "" : " with clean session 0"));
                    return;
                }
                if (!(listener?.AllowZeroLengthClientId ?? options.AllowZeroLengthClientId))
                {
                    // A server MAY refuse an empty client id [MQTT-3.1.3-8]; 5.0 gets 0x80 as from mosquitto.
                    RefuseConnect(V5 ? ConnectReasonCode.UnspecifiedError : ConnectReasonCode.ClientIdentifierNotValid, "empty client id (zero-length client ids are not allowed)");
                    return;
                }
                clientId = _broker.AssignClientId(listener?.AssignedClientIdPrefix);
                assigned = true;
            }
            else if (options.ClientIdPrefix != null && !clientId.StartsWith(options.ClientIdPrefix, StringComparison.Ordinal))
            {
                RefuseConnect(ConnectReasonCode.NotAuthorized, "client id '" + clientId + "' does not start with '" + options.ClientIdPrefix + "'");
                return;
            }

            if (ProtocolErrorPolicy.HasControlCharacters(clientId))
            {
                if (V5) RefuseConnect(ConnectReasonCode.ClientIdentifierNotValid, "control characters in the client id");
                else Abort("CONNECT rejected: control characters in the client id");
                return;
            }
            if (ProtocolErrorPolicy.HasControlCharacters(p.Username))
            {
                Abort("CONNECT rejected: control characters in the user name");
                return;
            }
            if (p.Will != null && p.Will.Retain && !options.RetainAvailable)
            {
                // [MQTT-3.2.2-13]: a will to be retained cannot be accepted when retained messages are not supported.
                if (V5) RefuseConnect(ConnectReasonCode.RetainNotSupported, "a retained will, and retained messages are not available");
                else Abort("CONNECT rejected: a retained will, and retained messages are not available");
                return;
            }
            if (p.Will != null)
            {
                var willProblem = ProtocolErrorPolicy.HasControlCharacters(p.Will.Topic) ? ConnectReasonCode.MalformedPacket
                    : V5 && p.Will.HasProperties && p.Will.Properties.ResponseTopic != null && !Topics.MqttTopic.TryValidateTopicName(p.Will.Properties.ResponseTopic, out _)
                        ? ConnectReasonCode.ProtocolError : ConnectReasonCode.Success;
                if (willProblem != ConnectReasonCode.Success)
                {
                    if (V5) RefuseConnect(willProblem, "invalid will topic or will response topic");
                    else Abort("CONNECT rejected: invalid will topic");
                    return;
                }
            }

            if (props?.AuthenticationMethod != null)
            {
                // Enhanced authentication is not offered (yet): refuse with the dedicated code [MQTT-4.12.0-4].
                RefuseConnect(ConnectReasonCode.BadAuthenticationMethod, "unsupported authentication method '" + props.AuthenticationMethod + "'");
                return;
            }

            var context = new MqttConnectContext
            {
                ClientId = clientId,
                // A certificate identity replaces the CONNECT username (mosquitto's use_identity_as_username).
                Username = _accepted.CertificateIdentity ?? p.Username,
                Password = p.Password,
                RemoteEndPoint = RemoteEndPoint,
                ProtocolVersion = p.ProtocolVersion,
                ListenerName = _accepted.ListenerName,
                ClientCertificate = _accepted.ClientCertificate,
                CertificateIdentity = _accepted.CertificateIdentity,
                Packet = p,
            };
            var verdict = _accepted.IsInternal ? ConnectReasonCode.Success
                : await AuthenticateAsync(listener?.Authenticator ?? _broker.Authenticator, context).ConfigureAwait(false);
            if (verdict != ConnectReasonCode.Success)
            {
                RefuseConnect(verdict, "refused by the authenticator (" + verdict + ")");
                return;
            }
            if (IsClosing) return;
            if (listener != null && listener.UseUsernameAsClientId)
            {
                // mosquitto's use_username_as_clientid: the user name is the client id, so no client can pose as another.
                if (context.Username == null)
                {
                    RefuseConnect(ConnectReasonCode.NotAuthorized, "this listener takes the client id from the user name, and the client gave none");
                    return;
                }
                clientId = context.Username;
                assigned = false;
            }

            ClientId = clientId;
            var username = context.Username;
            Username = username;
            CleanStart = p.CleanStart;
            Identity = new MqttClientIdentity(clientId, username, p.ProtocolVersion);
            // The will is published in this user's name, so it must be a topic this user may write (checked again when
            // it is published). Refused here, the client learns of it now rather than finding its will missing later.
            if (p.Will != null && !Authorizer.CanPublish(Identity, p.Will.Topic))
            {
                RefuseConnect(ConnectReasonCode.NotAuthorized, "will topic '" + p.Will.Topic + "' not authorized for " + DescribeUser(username));
                return;
            }
            SendQuota = V5 ? (props?.ReceiveMaximum ?? 65535) : options.MaxInflightMessages;
            if (SendQuota <= 0) SendQuota = 1;
            // 3.x bridges (protocol level with 0x80, mosquitto's try_private) subscribe with No Local, see HandleSubscribe.
            IsBridge = p.IsBridge && !V5;
            KeepAliveSeconds = p.KeepAliveSeconds;
            var keepAliveCapped = V5 && options.MaximumKeepAlive > 0 && (p.KeepAliveSeconds == 0 || p.KeepAliveSeconds > options.MaximumKeepAlive);
            if (keepAliveCapped) KeepAliveSeconds = options.MaximumKeepAlive;
            var topicAliasMaximum = listener?.TopicAliasMaximum ?? options.TopicAliasMaximum;
            _aliases = TopicAliasMap.Create(V5 ? topicAliasMaximum : (ushort)0, V5 ? (props?.TopicAliasMaximum ?? (ushort)0) : (ushort)0);
            uint expiry = V5 ? (props?.SessionExpiryInterval ?? 0) : (p.CleanStart ? 0 : uint.MaxValue);
            var grantedExpiry = Math.Min(expiry, options.MaximumSessionExpiryInterval);
            _connectSessionExpiry = grantedExpiry;
            _will = p.Will;

            var connAck = new ConnAckPacket { ReasonCode = ConnectReasonCode.Success };
            if (V5)
            {
                var cp = connAck.Properties;
                // Announced in the order mosquitto uses: Topic Alias Maximum, Server Keep Alive, Retain Available,
                // Maximum Packet Size, Receive Maximum.
                if (topicAliasMaximum > 0) cp.TopicAliasMaximum = topicAliasMaximum;
                if (keepAliveCapped) cp.ServerKeepAlive = options.MaximumKeepAlive;
                if (!options.RetainAvailable) cp.RetainAvailable = 0;
                if (options.MaximumPacketSize > 0) cp.MaximumPacketSize = options.MaximumPacketSize;
                if (options.ReceiveMaximum != 65535) cp.ReceiveMaximum = options.ReceiveMaximum;
                if (assigned) cp.AssignedClientIdentifier = clientId;
                if (grantedExpiry != expiry) cp.SessionExpiryInterval = grantedExpiry;
            }
            if (ClientMaximumPacketSize != 0 && MqttPacketEncoder.GetEncodedLength(connAck, MqttProtocolVersion.V500) > ClientMaximumPacketSize)
            {
                // Not even the CONNACK fits the client's Maximum Packet Size; nothing can be said [MQTT-3.1.2-24].
                Abort("the client's Maximum Packet Size (" + ClientMaximumPacketSize + ") is too small for a CONNACK");
                return;
            }

            ConnectedAt = DateTimeOffset.Now;
            IsConnected = true;
            Session = _broker.AttachSession(this, clientId, p.CleanStart, grantedExpiry, connAck);
            if (Session == null)
            {
                IsConnected = false;
                RefuseConnect(ConnectReasonCode.NotAuthorized, "client id '" + clientId + "' is the session of another user; " + DescribeUser(username) + " may not use it");
                return;
            }
            _firstBytes = null; // only needed to answer a rejected CONNECT
            // Logged in: from the next packet on, the broker's Maximum Packet Size applies instead of the CONNECT limit.
            _decoder.MaximumPacketSize = options.MaximumPacketSize;
        }

        /// <summary>
        /// Asks the authenticator. A custom one (a database, a directory service) may well block before it returns its
        /// task, and on the epoll loop's thread that would stall every connection of the loop: it is called on the
        /// thread pool there. The built-in ones never block (the password file hashes on the thread pool itself).
        /// </summary>
        private static Task<ConnectReasonCode> AuthenticateAsync(IMqttBrokerAuthenticator authenticator, MqttConnectContext context)
        {
            if (!Transport.Epoll.EpollEventLoop.IsLoopThread || authenticator is AllowAllAuthenticator || authenticator is Security.MqttPasswordFileAuthenticator)
                return authenticator.AuthenticateAsync(context);
            return Task.Run(() => authenticator.AuthenticateAsync(context));
        }

        private static string DescribeUser(string username) => username == null ? "an anonymous client" : "user '" + username + "'";

        private void RefuseConnect(ConnectReasonCode code, string why)
        {
            _closeReason = "CONNECT refused: " + why;
            _broker.OnConnectRefused(this, code, why);
            Send(new ConnAckPacket { ReasonCode = code });
            CloseAfterFlush();
        }

        /// <summary>
        /// The CONNACK that answers a CONNECT the codec could not accept, or null to close without one. An unsupported
        /// protocol level is answered in 5.0 form (0x84) unless the level is one we know under the wrong protocol
        /// name, which gets the 3.1.1 return code 1 (what mosquitto does). For 5.0, malformed or invalid fields get
        /// CONNACK with the reason code; errors in the credentials or flags close silently, like mosquitto.
        /// </summary>
        private ConnAckPacket ConnectErrorResponse(MqttProtocolException e)
        {
            var level = ConnectProtocolLevel();
            if (e.ReasonCode == MqttReasonCode.UnsupportedProtocolVersion)
            {
                if (level >= 3 && level <= 5)
                {
                    ProtocolVersion = MqttProtocolVersion.V311;
                    V5 = false;
                }
                else
                {
                    ProtocolVersion = MqttProtocolVersion.V500;
                    V5 = true;
                }
                return new ConnAckPacket { ReasonCode = ConnectReasonCode.UnsupportedProtocolVersion };
            }
            if (level != 5 || !LooksLikeConnect() || _firstBytes[0] != 0x10) return null;
            var code = ProtocolErrorPolicy.ForConnectError(e);
            if (!code.HasValue) return null;
            ProtocolVersion = MqttProtocolVersion.V500;
            V5 = true;
            return new ConnAckPacket { ReasonCode = code.Value };
        }

        private bool LooksLikeConnect() => _firstBytes != null && _firstBytesCount > 0 && (_firstBytes[0] & 0xF0) == 0x10;

        /// <summary>The protocol level byte of the CONNECT at the start of the stream, or -1.</summary>
        private int ConnectProtocolLevel()
        {
            if (!LooksLikeConnect()) return -1;
            var i = 1;
            var multiplier = 0;
            while (i < _firstBytesCount && (_firstBytes[i] & 0x80) != 0 && multiplier < 4) { i++; multiplier++; }
            i++;
            if (i + 2 > _firstBytesCount) return -1;
            var nameLength = (_firstBytes[i] << 8) | _firstBytes[i + 1];
            var levelAt = i + 2 + nameLength;
            return levelAt < _firstBytesCount ? _firstBytes[levelAt] : -1;
        }
    }
}
