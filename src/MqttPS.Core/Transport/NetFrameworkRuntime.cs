using System;
using System.Runtime.InteropServices;

namespace MqttPS.Core.Transport
{
    /// <summary>
    /// Whether the engine runs on .NET Framework (Windows PowerShell 5.1), where sockets and streams behave as they
    /// did before .NET Core, or on Mono, which implements the same API and is how CI runs the module's .NET Framework
    /// paths (tests/WindowsPowerShellParity.Tests.ps1): both take the .NET Framework paths.
    /// </summary>
    internal static class NetFrameworkRuntime
    {
        public static readonly bool IsNetFramework =
            RuntimeInformation.FrameworkDescription.StartsWith(".NET Framework", StringComparison.Ordinal) || Type.GetType("Mono.Runtime") != null;
    }
}
