using System;
using System.Globalization;
using System.IO;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using MqttPS.Core.Client;
using MqttPS.Core.Protocol;
using MqttPS.Core.Transport;

namespace MqttPS.Core.Shell
{
    /// <summary>
    /// Why a connection could not be opened, said once and in the cmdlet's terms: what happened at which address,
    /// and which parameter changes it (-Credential, -ProtocolVersion, -CaCertificatePath, mqtts://...). The
    /// engine's exception carries the facts (CONNACK reason code, TLS failure kind, what the server sent instead of
    /// a CONNACK); a port that closes a plain CONNECT without a word is probed once for TLS, the usual cause.
    /// </summary>
    public static class ConnectFailure
    {
        /// <param name="exception">What connecting threw.</param>
        /// <param name="settings">What Connect-Mqtt (or -Broker) was given.</param>
        /// <param name="brokerUri">The address connected to, e.g. mqtt://host:1883.</param>
        /// <param name="speaksTls">Whether a plain address answers a TLS handshake (a probe); null: do not probe.</param>
        public static MqttShellException Describe(Exception exception, MqttConnectionSettings settings, string brokerUri, Func<MqttBrokerAddress, bool> speaksTls = null)
        {
            if (exception == null) throw new ArgumentNullException(nameof(exception));
            if (exception is AggregateException aggregate && aggregate.InnerExceptions.Count == 1) exception = aggregate.InnerExceptions[0];
            if (exception is MqttShellException shell) return shell;
            var target = (object)settings?.Broker ?? brokerUri;
            switch (exception)
            {
                case TimeoutException _:
                    var seconds = settings == null ? 0 : (int)settings.ConnectTimeout.TotalSeconds;
                    return Error("ConnectTimeout", ShellErrorCategory.OperationTimeout,
                        "The broker at " + brokerUri + " did not answer within " + seconds + " s. Check -Broker and -Port, or allow more time with -TimeoutSeconds.", target, exception);
                case MqttConnectException connect when connect.ReasonCode.HasValue:
                    return Refused(connect, settings, brokerUri, target);
                case MqttConnectException connect:
                    return Unanswered(connect, settings, brokerUri, target, speaksTls);
                case MqttTlsHandshakeException tls:
                    return Tls(tls, settings, brokerUri, target);
                case SocketException socket:
                    return Unreachable(socket, settings, brokerUri, target);
            }
            return Error("ConnectFailed", ShellErrorClassifier.CategoryOf(exception), "Could not connect to " + brokerUri + ": " + ShellText.Sentence(ShellText.MessageOf(exception)), target, exception);
        }

        private static MqttShellException Refused(MqttConnectException e, MqttConnectionSettings settings, string brokerUri, object target)
        {
            var code = (byte)e.ReasonCode.Value;
            var what = ReasonText.Describe(code);
            var user = settings?.Username;
            string message;
            var category = ShellErrorClassifier.CategoryOf((MqttReasonCode)code);
            switch (code)
            {
                case 0x86: // Bad User Name or Password
                    message = "The broker at " + brokerUri + " refused the user name or password" + (user != null ? " of '" + user + "'" : "") + ": " + what + ". Check -Credential.";
                    category = ShellErrorCategory.AuthenticationError;
                    break;
                case 0x87: // Not authorized: at CONNECT, the broker does not accept who is connecting (mosquitto's answer to a wrong password)
                    message = user == null
                        ? "The broker at " + brokerUri + " refused the connection: " + what + ". It does not accept anonymous clients: give a user name and password with -Credential."
                        : "The broker at " + brokerUri + " refused the connection of '" + user + "': " + what + ". The password is wrong, or the user may not connect; check -Credential.";
                    category = ShellErrorCategory.AuthenticationError;
                    break;
                case 0x84: // Unsupported Protocol Version
                    var version = settings?.ProtocolVersion ?? MqttProtocolVersion.V500;
                    message = "The broker at " + brokerUri + " does not support " + PublishRequest.VersionText(version) + ": " + what + ". Connect with -ProtocolVersion " +
                              (version == MqttProtocolVersion.V500 ? "3.1.1" : version == MqttProtocolVersion.V311 ? "3.1 or 5.0" : "3.1.1") + ".";
                    break;
                case 0x85: // Client Identifier not valid
                    message = settings?.ClientId == string.Empty
                        ? "The broker at " + brokerUri + " does not assign client ids: " + what + ". Give one with -ClientId."
                        : "The broker at " + brokerUri + " refused the client id" + (settings?.ClientId != null ? " " + ShellText.Quote(settings.ClientId) : "") + ": " + what + ". Choose another -ClientId.";
                    break;
                case 0x8C: // Bad authentication method
                    message = "The broker at " + brokerUri + " does not support the authentication method: " + what + ".";
                    category = ShellErrorCategory.AuthenticationError;
                    break;
                case 0x9C: // Use another server
                case 0x9D: // Server moved
                    message = "The broker at " + brokerUri + " refused the connection: " + what +
                              (string.IsNullOrEmpty(e.ServerReference) ? "." : ". Connect to -Broker " + e.ServerReference + " instead.");
                    break;
                default:
                    message = "The broker at " + brokerUri + " refused the connection: " + what + ".";
                    break;
            }
            if (!string.IsNullOrEmpty(e.ReasonString)) message += " The broker says: " + ShellText.Sentence(e.ReasonString);
            return Error("ConnectFailed", category, message, target, e);
        }

        private static MqttShellException Unanswered(MqttConnectException e, MqttConnectionSettings settings, string brokerUri, object target, Func<MqttBrokerAddress, bool> speaksTls)
        {
            switch (e.InnerException)
            {
                case MqttTlsHandshakeException tls:
                    return Tls(tls, settings, brokerUri, target);
                case SocketException socket:
                    return Unreachable(socket, settings, brokerUri, target);
            }
            var address = TryParse(brokerUri);
            var plain = address != null && !address.UsesTls;
            var bytes = e.ReceivedBeforeConnAck;
            if (bytes != null && bytes.Length > 0)
            {
                if (LooksLikeTls(bytes)) return SpeaksTls(address, brokerUri, target, e);
                var text = AsciiStart(bytes);
                if (text != null && text.StartsWith("HTTP/", StringComparison.Ordinal))
                    return Error("ConnectFailed", ShellErrorCategory.ProtocolError,
                        "The server at " + brokerUri + " is an HTTP server, not an MQTT broker (it answered '" + text + "'). Check -Port; MQTT over WebSocket is ws://host:port/path (often /mqtt).", target, e);
                return Error("ConnectFailed", ShellErrorCategory.ProtocolError,
                    "The server at " + brokerUri + " does not answer as an MQTT broker: its reply starts " + (text != null ? "'" + text + "'" : Hex(bytes)) +
                    ", not with a CONNACK [MQTT-3.2.0-1]. Check -Broker and -Port.", target, e);
            }
            if (e.ClosedBeforeConnAck)
            {
                if (plain && speaksTls != null && SafeProbe(speaksTls, address)) return SpeaksTls(address, brokerUri, target, e);
                var version = settings?.ProtocolVersion ?? MqttProtocolVersion.V500;
                return Error("ConnectFailed", ShellErrorCategory.ConnectionError,
                    "The broker at " + brokerUri + " closed the connection without answering the CONNECT." +
                    (version == MqttProtocolVersion.V500 ? " If it does not support MQTT 5.0, connect with -ProtocolVersion 3.1.1." : " Check -Broker, -Port and -Credential."), target, e);
            }
            if (e.InnerException is IOException || e.InnerException is ObjectDisposedException)
            {
                // mosquitto's TLS listener resets a plain CONNECT rather than closing it: the same probe tells.
                if (plain && speaksTls != null && SafeProbe(speaksTls, address)) return SpeaksTls(address, brokerUri, target, e);
                return Error("ConnectFailed", ShellErrorCategory.ConnectionError,
                    "The connection to " + brokerUri + " broke before the broker answered the CONNECT: " + ShellText.Sentence(ShellText.MessageOf(e.InnerException)), target, e);
            }
            return Error("ConnectFailed", ShellErrorCategory.ConnectionError, ShellText.Sentence(ShellText.MessageOf(e)), target, e);
        }

        private static MqttShellException SpeaksTls(MqttBrokerAddress address, string brokerUri, object target, Exception e)
        {
            var tlsUri = address == null ? "mqtts://" : "mqtts://" + address.HostForUri + ":" + address.Port;
            return Error("ConnectFailed", ShellErrorCategory.ConnectionError,
                "The server at " + brokerUri + " speaks TLS on this port: connect with -Broker " + tlsUri + " (or add -UseTls).", target, e);
        }

        private static MqttShellException Tls(MqttTlsHandshakeException e, MqttConnectionSettings settings, string brokerUri, object target)
        {
            var subject = e.ServerCertificateSubject == null ? "" : " '" + e.ServerCertificateSubject + "'";
            var address = TryParse(brokerUri);
            var host = address?.Host ?? brokerUri;
            var skip = "or -SkipCertificateCheck to connect without checking it (for test brokers only: it turns off what TLS protects against).";
            switch (e.Failure)
            {
                case MqttTlsFailure.Untrusted:
                    return Error("ConnectFailed", ShellErrorCategory.AuthenticationError,
                        "The broker's certificate" + subject + " at " + brokerUri + " is not trusted by this system. Give the certificate of the CA that issued it with -CaCertificatePath, " + skip, target, e);
                case MqttTlsFailure.NameMismatch:
                    return Error("ConnectFailed", ShellErrorCategory.AuthenticationError,
                        "The broker's certificate" + subject + " is not for the host name '" + host + "'. Connect with -Broker set to a name the certificate is for, " + skip, target, e);
                case MqttTlsFailure.NotIssuedByCa:
                    return Error("ConnectFailed", ShellErrorCategory.AuthenticationError,
                        "The broker's certificate" + subject + " at " + brokerUri + " was not issued by the CA in -CaCertificatePath" +
                        (settings?.CaFile != null ? " " + ShellText.Quote(settings.CaFile, 200) : "") + ". Give the CA that issued it, " + skip, target, e);
                case MqttTlsFailure.Invalid:
                case MqttTlsFailure.NoServerCertificate:
                    return Error("ConnectFailed", ShellErrorCategory.AuthenticationError,
                        "The broker at " + brokerUri + " presented no valid certificate: " + ShellText.Sentence(Detail(e)) + " Use -SkipCertificateCheck only for a test broker.", target, e);
                case MqttTlsFailure.ClosedBeforeCertificate:
                    var plainUri = address == null ? "mqtt://" : "mqtt://" + address.HostForUri + ":" + address.Port;
                    return Error("ConnectFailed", ShellErrorCategory.ConnectionError,
                        "The server at " + brokerUri + " closed the connection during the TLS handshake, before presenting a certificate: this port probably does not speak TLS. " +
                        "For plain MQTT connect with -Broker " + plainUri + " (usually port 1883) and without -UseTls" +
                        (e.ClientCertificateSent ? "; if it is a TLS port, the broker may not accept the TLS versions offered (-TlsProtocol)." : "."), target, e);
                case MqttTlsFailure.FailedAfterCertificate:
                    return Error("ConnectFailed", ShellErrorCategory.AuthenticationError,
                        "The TLS handshake with " + brokerUri + " failed after the broker's certificate" + subject + " was accepted: " +
                        (e.ClientCertificateSent ? "the broker did not accept the client certificate (-Certificate or -CertificatePath)." : "the broker probably requires a client certificate. Give one with -CertificatePath or -Certificate."), target, e);
                default:
                    return Error("ConnectFailed", ShellErrorCategory.AuthenticationError, ShellText.Sentence(ShellText.MessageOf(e)), target, e);
            }
        }

        private static MqttShellException Unreachable(SocketException e, MqttConnectionSettings settings, string brokerUri, object target)
        {
            var address = TryParse(brokerUri);
            switch (e.SocketErrorCode)
            {
                case SocketError.ConnectionRefused:
                    return Error("ConnectFailed", ShellErrorCategory.ConnectionError,
                        "Nothing accepts connections at " + (address != null ? address.HostForUri + ":" + address.Port : brokerUri) +
                        " (connection refused). Check that the broker runs, and -Broker and -Port (MQTT usually listens on 1883, MQTT over TLS on 8883).", target, e);
                case SocketError.HostNotFound:
                case SocketError.NoData:
                case SocketError.TryAgain:
                    return Error("ConnectFailed", ShellErrorCategory.ConnectionError,
                        "The host name " + ShellText.Quote(address?.Host ?? settings?.Broker) + " could not be resolved (" + e.SocketErrorCode + "). Check -Broker.", target, e);
                default:
                    return Error("ConnectFailed", ShellErrorCategory.ConnectionError,
                        "Could not connect to " + brokerUri + ": " + ShellText.Sentence(e.Message.TrimEnd('.') + " (" + e.SocketErrorCode + ")"), target, e);
            }
        }

        /// <summary>A TLS alert (0x15) or handshake (0x16) record of TLS 1.0-1.3 (major version 3).</summary>
        private static bool LooksLikeTls(byte[] bytes) => bytes.Length >= 2 && (bytes[0] == 0x15 || bytes[0] == 0x16) && bytes[1] == 0x03;

        /// <summary>The start of the reply as text when it is printable ASCII (up to the first line break).</summary>
        private static string AsciiStart(byte[] bytes)
        {
            var sb = new StringBuilder();
            foreach (var b in bytes)
            {
                if (b == '\r' || b == '\n') break;
                if (b < 0x20 || b > 0x7E) return null;
                sb.Append((char)b);
            }
            return sb.Length >= 4 ? sb.ToString() : null;
        }

        private static string Hex(byte[] bytes)
        {
            var sb = new StringBuilder("with the bytes");
            foreach (var b in bytes) sb.Append(" 0x").Append(b.ToString("X2", CultureInfo.InvariantCulture));
            return sb.ToString();
        }

        private static string Detail(MqttTlsHandshakeException e)
        {
            var message = ShellText.MessageOf(e);
            var colon = message.IndexOf(" failed: ", StringComparison.Ordinal);
            return colon >= 0 ? message.Substring(colon + " failed: ".Length) : message;
        }

        private static bool SafeProbe(Func<MqttBrokerAddress, bool> probe, MqttBrokerAddress address)
        {
            try { return probe(address); }
            catch (Exception) { return false; } // a probe that fails says nothing
        }

        private static MqttBrokerAddress TryParse(string uri)
        {
            try { return uri == null ? null : MqttBrokerAddress.Parse(uri); }
            catch (Exception) { return null; }
        }

        /// <summary>Whether <paramref name="plain"/>'s host and port complete a TLS handshake (any certificate) within
        /// <paramref name="timeout"/>: the probe behind "this port speaks TLS".</summary>
        public static bool ProbeTls(MqttBrokerAddress plain, TimeSpan timeout, CancellationToken cancellationToken)
        {
            var tls = MqttBrokerAddress.Parse("mqtts://" + plain.HostForUri + ":" + plain.Port.ToString(CultureInfo.InvariantCulture));
            using (var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                cts.CancelAfter(timeout);
                try
                {
                    using (MqttTransportConnector.ConnectAsync(tls, new MqttTlsOptions { SkipCertificateValidation = true }, cts.Token).GetAwaiter().GetResult()) return true;
                }
                catch (Exception e) when (!(e is OutOfMemoryException))
                {
                    return false;
                }
            }
        }

        private static MqttShellException Error(string id, ShellErrorCategory category, string message, object target, Exception inner) =>
            new MqttShellException(id, category, message, target, inner);
    }
}
