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

        /// <summary>Each "### -Name" of the help source with the text under it (the rest is generated from the code).</summary>
        private static Dictionary<string, string> DocumentedParameters(string cmdlet)
        {
            var text = File.ReadAllText(HelpSource(cmdlet)).Replace("\r", "");
            var section = text.Substring(text.IndexOf("## PARAMETERS", StringComparison.Ordinal));
            section = section.Substring(0, section.IndexOf("\n## ", 5, StringComparison.Ordinal));
            return Regex.Matches(section, @"(?ms)^### -(\S+)\n(.*?)(?=^### |\z)").Cast<Match>()
                .ToDictionary(m => m.Groups[1].Value, m => Regex.Replace(m.Groups[2].Value, @"(?s)```yaml.*?```", "").Trim());
        }

        public static IEnumerable<object[]> Cmdlets => CmdletSurfaceTests.ExpectedCmdlets.Select(c => new object[] { c });

        private static IEnumerable<string> ExpectedHelpParameters(CmdletInfo cmdlet) =>
            cmdlet.Parameters.Select(p => p.Name).Concat(cmdlet.SupportsShouldProcess ? new[] { "WhatIf", "Confirm" } : new string[0]);

        [Theory]
        [MemberData(nameof(Cmdlets))]
        public void Every_parameter_is_described_in_the_help_source_and_nothing_else_is(string name)
        {
            var cmdlet = CmdletSurface.Get(name);
            var documented = DocumentedParameters(name);
            Assert.Equal(cmdlet.Parameters.Select(p => p.Name).OrderBy(n => n, StringComparer.Ordinal), documented.Keys.OrderBy(n => n, StringComparer.Ordinal));
            foreach (var p in documented) Assert.True(p.Value.Length >= 15, name + " -" + p.Key + ": description missing");
            // Everything but the default value is generated from the compiled cmdlet, so the source must not repeat it.
            Assert.DoesNotMatch(@"(?m)^(Type|Parameter Sets|Required|Position|Accept pipeline input|Accept wildcard characters|Aliases):", File.ReadAllText(HelpSource(name)));
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
            Assert.Equal(ExpectedHelpParameters(CmdletSurface.Get(name)).OrderBy(n => n), documented.OrderBy(n => n));
            var examples = command.Element(Command + "examples").Elements(Command + "example").ToList();
            Assert.True(examples.Count >= 2, name + " has fewer than two examples");
            Assert.All(examples, e => Assert.Contains(name, e.Element(Dev + "code").Value));
            Assert.All(examples, e => Assert.False(string.IsNullOrWhiteSpace(e.Element(Dev + "remarks").Value), name + " has an example without a description"));
            // One syntax item per parameter set, the default set included even when no parameter names it.
            var cmdlet = CmdletSurface.Get(name);
            var sets = new[] { cmdlet.DefaultParameterSetName }.Concat(cmdlet.ParameterSets).Where(s => !string.IsNullOrEmpty(s)).Distinct().ToList();
            Assert.Equal(Math.Max(1, sets.Count), command.Element(Command + "syntax").Elements(Command + "syntaxItem").Count());
        }

        [Fact]
        public void The_mosquitto_about_topic_lists_every_directive_with_its_status_and_note_as_the_reader_applies_it()
        {
            // The reference in about_MqttPS_Mosquitto is written from MosquittoDirectives.All: it must not drift from it.
            var about = File.ReadAllText(Path.Combine(CmdletSurface.ModuleDirectory, "en-US", "about_MqttPS_Mosquitto.help.txt"));
            var flat = System.Text.RegularExpressions.Regex.Replace(about, @"\s+", " ");
            foreach (var d in MqttPS.Core.Broker.Configuration.MosquittoDirectives.All)
            {
                var heading = new System.Text.RegularExpressions.Regex(@"(?m)^    " + System.Text.RegularExpressions.Regex.Escape(d.Name) + @" +(\w+)\r?$");
                var match = heading.Match(about);
                Assert.True(match.Success, d.Name + " is missing from about_MqttPS_Mosquitto");
                Assert.Equal(d.Status.ToString().ToLowerInvariant(), match.Groups[1].Value);
                Assert.Contains(d.Name + " " + d.Status.ToString().ToLowerInvariant() + " " + d.Note, flat);
            }
            Assert.Contains("Start-MqttBroker -ConfigPath", about);
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
