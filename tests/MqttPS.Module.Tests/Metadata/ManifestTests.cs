using System;
using System.IO;
using System.Linq;
using System.Xml.Linq;
using Xunit;

namespace MqttPS.Module.Tests.Metadata
{
    public class ManifestTests
    {
        private static ManifestFile Manifest => new ManifestFile(Path.Combine(CmdletSurface.RepositoryRoot, "MqttPS.psd1"));

        [Fact]
        public void CmdletsToExport_lists_exactly_the_cmdlets_that_exist()
        {
            Assert.Equal(CmdletSurface.Cmdlets.Select(c => c.Name).OrderBy(n => n, StringComparer.Ordinal),
                Manifest.Array("CmdletsToExport").OrderBy(n => n, StringComparer.Ordinal));
        }

        [Fact]
        public void Manifest_exports_nothing_else_and_declares_what_the_gallery_needs()
        {
            var m = Manifest;
            Assert.Empty(m.Array("FunctionsToExport"));
            Assert.Empty(m.Array("AliasesToExport"));
            Assert.Empty(m.Array("VariablesToExport"));
            Assert.Equal("MqttPS.dll", m.Scalar("RootModule"));
            Assert.Equal("5.1", m.Scalar("PowerShellVersion"));
            Assert.Equal(new[] { "Core", "Desktop" }, m.Array("CompatiblePSEditions"));
            Assert.Equal(new[] { "MqttPS.format.ps1xml" }, m.Array("FormatsToProcess"));
            Assert.True(Guid.TryParse(m.Scalar("GUID"), out var guid) && guid != Guid.Empty);
            Assert.NotEmpty(m.Array("Tags"));
            Assert.All(new[] { "ProjectUri", "LicenseUri", "ReleaseNotes", "Description", "Author" }, k => Assert.False(string.IsNullOrWhiteSpace(m.Scalar(k)), k));
            // Tags may not contain spaces: the gallery rejects them.
            Assert.All(m.Array("Tags"), t => Assert.DoesNotContain(" ", t));
        }

        [Fact]
        public void Module_version_matches_the_assembly_version()
        {
            var csproj = XDocument.Load(Path.Combine(CmdletSurface.RepositoryRoot, "src", "MqttPS", "MqttPS.csproj"));
            var version = csproj.Descendants("Version").First().Value;
            Assert.Equal(version, Manifest.Scalar("ModuleVersion"));
        }

        [Fact]
        public void The_built_module_folder_holds_what_Import_Module_and_Publish_PSResource_need_and_nothing_more()
        {
            var dir = CmdletSurface.ModuleDirectory;
            var files = Directory.GetFiles(dir, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(dir, f).Replace('\\', '/')).OrderBy(f => f, StringComparer.Ordinal);
            Assert.Equal(new[]
            {
                "LICENSE", "MqttPS.Core.dll", "MqttPS.dll", "MqttPS.dll-Help.xml", "MqttPS.format.ps1xml", "MqttPS.psd1", "about_MqttPS.help.txt",
                "about_MqttPS_Mosquitto.help.txt", "en-US/MqttPS.dll-Help.xml", "en-US/about_MqttPS.help.txt", "en-US/about_MqttPS_Mosquitto.help.txt",
            }, files);
            Assert.Equal(File.ReadAllText(Path.Combine(CmdletSurface.RepositoryRoot, "MqttPS.psd1")), File.ReadAllText(Path.Combine(dir, "MqttPS.psd1")));
            // The manifest's LicenseUri names MIT; the license text travels with the module.
            Assert.Equal(File.ReadAllText(Path.Combine(CmdletSurface.RepositoryRoot, "LICENSE")), File.ReadAllText(Path.Combine(dir, "LICENSE")));
            // The culture-neutral copies (for Windows PowerShell 5.1 on non-English systems) are the en-US files.
            Assert.Equal(File.ReadAllText(Path.Combine(dir, "en-US", "MqttPS.dll-Help.xml")), File.ReadAllText(Path.Combine(dir, "MqttPS.dll-Help.xml")));
            Assert.Equal(File.ReadAllText(Path.Combine(dir, "en-US", "about_MqttPS.help.txt")), File.ReadAllText(Path.Combine(dir, "about_MqttPS.help.txt")));
            Assert.Equal(File.ReadAllText(Path.Combine(dir, "en-US", "about_MqttPS_Mosquitto.help.txt")), File.ReadAllText(Path.Combine(dir, "about_MqttPS_Mosquitto.help.txt")));
        }
    }
}
