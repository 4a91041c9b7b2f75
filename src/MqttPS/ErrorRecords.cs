using System;
using System.Management.Automation;
using MqttPS.Core.Shell;

namespace MqttPS
{
    /// <summary>Turns Shell-layer errors into ErrorRecords with a FullyQualifiedErrorId and category.</summary>
    internal static class ErrorRecords
    {
        public static ErrorRecord From(MqttShellException e)
        {
            ErrorCategory category;
            if (!Enum.TryParse(e.Category.ToString(), out category)) category = ErrorCategory.NotSpecified;
            // The Shell exception carries the message the user needs; its inner exception stays reachable.
            return new ErrorRecord(e, e.ErrorId, category, e.TargetObject);
        }

        public static ErrorRecord InvalidArgument(string errorId, string message, object target) =>
            From(new MqttShellException(errorId, ShellErrorCategory.InvalidArgument, message, target));
    }
}
