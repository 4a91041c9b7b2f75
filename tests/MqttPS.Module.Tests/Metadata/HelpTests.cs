using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Xunit;

namespace MqttPS.Module.Tests.Metadata
{
    /// <summary>
    /// The help source (src/MqttPS/help/*.md) must document every parameter as the code declares it, and the
    /// generated MAML in out/MqttPS/en-US must carry it, so Get-Help never shows stale or missing parameters.
    /// </summary>
    public class HelpTests
    {
        private static readonly XNamespace Command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
        private static readonly XNamespace Maml = "http://schemas.microsoft.com/maml/2004/10";
        private static readonly XNamespace Dev = "http://schemas.microsoft.com/maml/dev/2004/10";

        private static string HelpSource(string cmdlet) => Path.Combine(CmdletSurface.RepositoryRoot, "src", "MqttPS", "help", cmdlet + ".md");

        private static Dictionary<string, Dictionary<string, string>> DocumentedParameters(string cmdlet)
        {
            var text = File.ReadAllText(HelpSource(cmdlet)).Replace("\r", "");
            var section = text.Substring(text.IndexOf("## PARAMETERS", StringComparison.Ordinal));
            section = section.Substring(0, section.IndexOf("\n## ", 5, StringComparison.Ordinal));
            var result = new Dictionary<string, Dictionary<string, string>>();
            foreach (Match m in Regex.Matches(section, @"(?ms)^### -(\S+)\n(.*?)```yaml\n(.*?)```"))
            {
                var description = m.Groups[2].Value.Trim();
                var yaml = m.Groups[3].Value.Split('\n').Where(l => l.Contains(':'))
                    .ToDictionary(l => l.Substring(0, l.IndexOf(':')).Trim(), l => l.Substring(l.IndexOf(':') + 1).Trim());
                yaml["Description"] = description;
                result[m.Groups[1].Value] = yaml;
            }
            return result;
        }

        public static IEnumerable<object[]> Cmdlets => CmdletSurfaceTests.ExpectedCmdlets.Select(c => new object[] { c });

        [Theory]
        [MemberData(nameof(Cmdlets))]
        public void Every_parameter_is_documented_as_the_code_declares_it(string name)
        {
            var cmdlet = CmdletSurface.Get(name);
            var documented = DocumentedParameters(name);
            Assert.Equal(cmdlet.Parameters.Select(p => p.Name).OrderBy(n => n, StringComparer.Ordinal), documented.Keys.OrderBy(n => n, StringComparer.Ordinal));
            foreach (var p in cmdlet.Parameters)
            {
                var doc = documented[p.Name];
                var where = name + " -" + p.Name + ": ";
                Assert.True(doc["Description"].Length >= 15, where + "description missing");
                Assert.Equal(p.TypeName, doc["Type"]);
                var sets = p.Attributes.Select(a => a.SetName == "__AllParameterSets" ? "(All)" : a.SetName).OrderBy(s => s);
                Assert.Equal(sets, doc["Parameter Sets"].Split(',').Select(s => s.Trim()).OrderBy(s => s));
                var mandatoryAnywhere = p.Attributes.Any(a => a.Mandatory);
                Assert.True(mandatoryAnywhere == doc["Required"].Contains("True"), where + "Required says " + doc["Required"]);
                var position = p.Attributes.Max(a => a.Position);
                Assert.Equal(position == int.MinValue ? "Named" : position.ToString(), doc["Position"]);
                var byValue = p.Attributes.Any(a => a.ValueFromPipeline);
                var byName = p.Attributes.Any(a => a.ValueFromPipelineByPropertyName);
                Assert.True(byValue == doc["Accept pipeline input"].Contains("ByValue"), where + "pipeline input by value");
                Assert.True(byName == doc["Accept pipeline input"].Contains("ByPropertyName"), where + "pipeline input by property name");
                Assert.True(p.SupportsWildcards == doc["Accept wildcard characters"].StartsWith("True"), where + "wildcards");
            }
        }

        [Theory]
        [MemberData(nameof(Cmdlets))]
        public void Generated_MAML_has_synopsis_description_every_parameter_and_two_examples(string name)
        {
            var maml = XDocument.Load(Path.Combine(CmdletSurface.ModuleDirectory, "en-US", "MqttPS.dll-Help.xml"));
            var command = maml.Root.Elements(Command + "command").SingleOrDefault(c => c.Element(Command + "details").Element(Command + "name").Value == name);
            Assert.True(command != null, name + " is missing from the MAML help");
            Assert.False(string.IsNullOrWhiteSpace(command.Element(Command + "details").Element(Maml + "description").Value), name + " synopsis");
            Assert.True(command.Element(Maml + "description").Value.Length > 40, name + " description");
            var documented = command.Element(Command + "parameters").Elements(Command + "parameter").Select(p => p.Element(Maml + "name").Value);
            Assert.Equal(CmdletSurface.Get(name).Parameters.Select(p => p.Name).OrderBy(n => n), documented.OrderBy(n => n));
            var examples = command.Element(Command + "examples").Elements(Command + "example").ToList();
            Assert.True(examples.Count >= 2, name + " has fewer than two examples");
            Assert.All(examples, e => Assert.Contains(name, e.Element(Dev + "code").Value));
            var sets = CmdletSurface.Get(name).ParameterSets.ToList();
            Assert.Equal(Math.Max(1, sets.Count), command.Element(Command + "syntax").Elements(Command + "syntaxItem").Count());
        }

        [Fact]
        public void About_topic_is_shipped()
        {
            var about = File.ReadAllText(Path.Combine(CmdletSurface.ModuleDirectory, "en-US", "about_MqttPS.help.txt"));
            Assert.StartsWith("TOPIC", about.TrimStart());
            Assert.Contains("about_MqttPS", about);
            foreach (var c in new[] { "Connect-Mqtt", "Publish-MqttMessage", "Register-MqttSubscription", "Start-MqttBroker" }) Assert.Contains(c, about);
        }
    }
}
