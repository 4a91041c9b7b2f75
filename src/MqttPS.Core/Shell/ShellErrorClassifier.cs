using System;
using System.IO;
using System.Net.Sockets;
using System.Security.Authentication;
using MqttPS.Core.Client;
using MqttPS.Core.Protocol;
using MqttPS.Core.Transport;

namespace MqttPS.Core.Shell
{
    /// <summary>
    /// Maps exceptions from the engine to the error id and category of the ErrorRecord a user sees, so that
    /// `-ErrorAction`, `$_.CategoryInfo.Category` and `$_.FullyQualifiedErrorId` mean the same thing whatever
    /// layer failed.
    /// </summary>
    public static class ShellErrorClassifier
    {
        public static MqttShellException Classify(Exception exception, string operationErrorId, object targetObject = null)
        {
            if (exception == null) throw new ArgumentNullException(nameof(exception));
            if (exception is AggregateException aggregate && aggregate.InnerExceptions.Count == 1) exception = aggregate.InnerExceptions[0];
            if (exception is MqttShellException shell) return shell;
            if (exception is MqttConnectException connect) return ConnectFailure.Describe(connect, null, connect.Address?.ToString());
            if (exception is MqttTlsHandshakeException tls) return ConnectFailure.Describe(tls, null, null);

            var category = CategoryOf(exception);
            var message = ShellText.Sentence(ShellText.MessageOf(exception));
            return new MqttShellException(operationErrorId, category, message, targetObject, exception);
        }

        public static ShellErrorCategory CategoryOf(Exception exception)
        {
            switch (exception)
            {
                case MqttShellException shell:
                    return shell.Category;
                case MqttConnectException refused when refused.ReasonCode.HasValue:
                    // At CONNECT, Not authorized is who connects (mosquitto's answer to a wrong password), not what they do.
                    var code = (byte)refused.ReasonCode.Value;
                    return code == 0x87 ? ShellErrorCategory.AuthenticationError : CategoryOf((MqttReasonCode)code);
                case MqttConnectException unreachable:
                    return unreachable.InnerException != null ? CategoryOf(unreachable.InnerException) : ShellErrorCategory.ConnectionError;
                case MqttPublishException publish:
                    return CategoryOf((MqttReasonCode)(byte)publish.Result.ReasonCode);
                case MqttConnectionLostException _:
                    return ShellErrorCategory.ConnectionError;
                case OperationCanceledException _:
                    return ShellErrorCategory.OperationStopped;
                case TimeoutException _:
                    return ShellErrorCategory.OperationTimeout;
                case AuthenticationException _:
                    return ShellErrorCategory.AuthenticationError;
                case SocketException _:
                case IOException _:
                case ObjectDisposedException _:
                    return ShellErrorCategory.ConnectionError;
                case MqttProtocolException protocol:
                    return CategoryOf(protocol.ReasonCode);
                case UnauthorizedAccessException _:
                    return ShellErrorCategory.PermissionDenied;
                case FormatException _:
                    return ShellErrorCategory.InvalidData;
                case ArgumentException _:
                    return ShellErrorCategory.InvalidArgument;
                case InvalidOperationException _:
                    return ShellErrorCategory.InvalidOperation;
            }
            return exception.InnerException != null ? CategoryOf(exception.InnerException) : ShellErrorCategory.NotSpecified;
        }

        public static ShellErrorCategory CategoryOf(MqttReasonCode reasonCode)
        {
            switch ((byte)reasonCode)
            {
                case 0x86: // Bad User Name or Password
                case 0x8C: // Bad authentication method
                    return ShellErrorCategory.AuthenticationError;
                case 0x87: // Not authorized
                case 0x8A: // Banned
                    return ShellErrorCategory.PermissionDenied;
                case 0x85: // Client Identifier not valid
                case 0x8F: // Topic Filter invalid
                case 0x90: // Topic Name invalid
                case 0x99: // Payload format invalid
                    return ShellErrorCategory.InvalidArgument;
                case 0x88: // Server unavailable
                case 0x89: // Server busy
                case 0x8B: // Server shutting down
                case 0x9C: // Use another server
                case 0x9D: // Server moved
                    return ShellErrorCategory.ResourceUnavailable;
                case 0x95: // Packet too large
                case 0x96: // Message rate too high
                case 0x97: // Quota exceeded
                case 0x93: // Receive Maximum exceeded
                case 0x9E: // Shared Subscriptions not supported
                case 0xA1: // Subscription Identifiers not supported
                case 0xA2: // Wildcard Subscriptions not supported
                    return ShellErrorCategory.LimitsExceeded;
                case 0x8D: // Keep Alive timeout
                    return ShellErrorCategory.OperationTimeout;
                case 0x81: // Malformed Packet
                case 0x82: // Protocol Error
                case 0x84: // Unsupported Protocol Version
                    return ShellErrorCategory.ProtocolError;
                default:
                    return ShellErrorCategory.NotSpecified;
            }
        }
    }
}
