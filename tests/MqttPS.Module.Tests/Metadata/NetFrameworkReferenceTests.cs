using System;
using System.IO;
using System.Linq;
using System.Reflection;
using Xunit;
using Xunit.Abstractions;

namespace MqttPS.Module.Tests.Metadata
{
    /// <summary>
    /// Windows PowerShell 5.1 runs the module on .NET Framework 4.7.2 or later. netstandard2.0 promises that, but only
    /// for the API netstandard2.0 has; these checks read the built assemblies and resolve every type and member they
    /// reference against the .NET Framework 4.7.2 reference assemblies (and PowerShell Standard 5.1 for
    /// System.Management.Automation), as the 5.1 runtime would bind them. (The engine also runs under Mono in
    /// tests/WindowsPowerShellParity.Tests.ps1, which needs Mono; these need nothing but the NuGet packages.)
    /// </summary>
    public class NetFrameworkReferenceTests
    {
        private readonly ITestOutputHelper _output;

        public NetFrameworkReferenceTests(ITestOutputHelper output) => _output = output;

        private static string Metadata(string key) =>
            typeof(NetFrameworkReferenceTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value;

        /// <summary>The .NET Framework 4.7.2 reference assemblies (facades included) and PowerShell Standard's S.M.A.</summary>
        private static ReferenceResolver NetFramework472(params string[] more)
        {
            var root = Metadata("NetFramework472ReferenceAssemblies");
            Assert.True(File.Exists(Path.Combine(root, "mscorlib.dll")), "the .NET Framework 4.7.2 reference assemblies are not at " + root);
            var paths = Directory.GetFiles(root, "*.dll").Concat(Directory.GetFiles(Path.Combine(root, "Facades"), "*.dll"))
                .Append(Metadata("PowerShellStandardReference")).Concat(more);
            return new ReferenceResolver(paths);
        }

        private static string ModuleFile(string name) => Path.Combine(Metadata("RepositoryRoot"), "out", "MqttPS", name);

        [Theory]
        [InlineData("MqttPS.Core.dll")]
        [InlineData("MqttPS.dll")]
        public void Every_type_and_member_the_module_references_exists_in_NET_Framework_472(string assembly)
        {
            using (var resolver = NetFramework472(ModuleFile("MqttPS.Core.dll")))
            {
                var report = resolver.Check(ModuleFile(assembly));
                _output.WriteLine(assembly + ": " + report);
                Assert.True(report.Types > 50 && report.Members > 100, "too few references read: " + report);
                Assert.True(report.Unresolved.Count == 0, assembly + " references what .NET Framework 4.7.2 lacks: " + report);
            }
        }

        [Fact]
        public void The_check_finds_what_NET_Framework_472_lacks()
        {
            // This test assembly is built for .NET 10 and uses API that .NET Framework never had.
            using (var resolver = NetFramework472())
            {
                var report = resolver.Check(typeof(NetFrameworkReferenceTests).Assembly.Location);
                Assert.Contains(report.Unresolved, u => u.StartsWith("member System.IO.Directory::CreateTempSubdirectory", StringComparison.Ordinal));
                // A type .NET Framework does not have at all, and one that lives in another contract there (System.Threading.Tasks).
                Assert.Contains(report.Unresolved, u => u.StartsWith("type System.Runtime.CompilerServices.NullableAttribute: not defined or forwarded by System.Runtime", StringComparison.Ordinal));
                Assert.Contains(report.Unresolved, u => u.StartsWith("type System.Threading.Tasks.Task: not defined or forwarded by System.Runtime", StringComparison.Ordinal));
            }
        }
    }
}
