namespace MqttPS.Core.Shell
{
    /// <summary>
    /// The PowerShell ErrorCategory an error belongs to, named exactly as System.Management.Automation.ErrorCategory
    /// names it so the cmdlet layer maps it by name without this layer referencing PowerShell.
    /// </summary>
    public enum ShellErrorCategory
    {
        NotSpecified,
        ConnectionError,
        AuthenticationError,
        PermissionDenied,
        InvalidArgument,
        InvalidData,
        InvalidOperation,
        InvalidResult,
        ObjectNotFound,
        OperationStopped,
        OperationTimeout,
        ProtocolError,
        ResourceExists,
        ResourceUnavailable,
        LimitsExceeded,
        OpenError,
        WriteError,
    }
}
