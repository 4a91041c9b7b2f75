using System;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.InteropServices;
using MqttPS.Core.Shell;
using Xunit;

namespace MqttPS.Module.Tests.Metadata
{
    public class ErrorCategoryTests
    {
        [Fact]
        public void Every_shell_error_category_is_a_PowerShell_ErrorCategory_of_the_same_name()
        {
            var paths = Directory.GetFiles(RuntimeEnvironment.GetRuntimeDirectory(), "*.dll").Append(CmdletSurface.PowerShellReference);
            using var context = new MetadataLoadContext(new PathAssemblyResolver(paths));
            var sma = context.LoadFromAssemblyPath(CmdletSurface.PowerShellReference);
            var names = sma.GetType("System.Management.Automation.ErrorCategory").GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => f.Name).ToList();
            foreach (var name in Enum.GetNames(typeof(ShellErrorCategory)))
                Assert.True(names.Contains(name), name + " is not a System.Management.Automation.ErrorCategory, so ErrorRecords.From would report NotSpecified");
        }
    }
}
