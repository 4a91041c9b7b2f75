using System;

namespace MqttPS.Core.Shell
{
    /// <summary>
    /// An error the cmdlets turn into an ErrorRecord as it is: <see cref="ErrorId"/> becomes the first part of
    /// the FullyQualifiedErrorId, <see cref="Category"/> the ErrorCategory, <see cref="TargetObject"/> the target.
    /// </summary>
    public sealed class MqttShellException : Exception
    {
        public MqttShellException(string errorId, ShellErrorCategory category, string message, object targetObject = null, Exception innerException = null)
            : base(message, innerException)
        {
            ErrorId = errorId;
            Category = category;
            TargetObject = targetObject;
        }

        public string ErrorId { get; }
        public ShellErrorCategory Category { get; }
        public object TargetObject { get; }
    }
}
