using System;
using System.Linq;
using System.Reflection;
using Xunit;

namespace MqttPS.Interop.Tests
{
    /// <summary>MQTTnet is a test peer only: the module's engine must not depend on it (MQTTnet targets net8.0+, and
    /// the module loads in Windows PowerShell 5.1).</summary>
    public sealed class ModuleIndependenceTests
    {
        [Fact]
        public void The_engine_assembly_references_no_MQTTnet_assembly()
        {
            var engine = typeof(MqttPS.Core.Client.MqttClient).Assembly;
            Assert.Equal("netstandard", engine.GetReferencedAssemblies().Select(a => a.Name).Single(n => n == "netstandard"));
            Assert.DoesNotContain(engine.GetReferencedAssemblies(), a => a.Name.StartsWith("MQTTnet", StringComparison.OrdinalIgnoreCase));
        }
    }
}
