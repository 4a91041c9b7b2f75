// Compiled by MSBuild's RoslynCodeTaskFactory when the module is built (see MqttPS.csproj); not part of MqttPS.dll.
// Turns the help source (help/<Cmdlet>.md, in platyPS's markdown layout) into the MAML file Get-Help reads
// (en-US/MqttPS.dll-Help.xml). Parameter metadata comes from each parameter's yaml block; the module tests
// check those blocks against the compiled cmdlets, so the help cannot drift from the code.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Xml;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace MqttPS.Build
{
    public class GenerateMamlHelp : Task
    {
        private const string Maml = "http://schemas.microsoft.com/maml/2004/10";
        private const string Command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
        private const string Dev = "http://schemas.microsoft.com/maml/dev/2004/10";

        [Required]
        public ITaskItem[] Sources { get; set; }

        [Required]
        public string OutputPath { get; set; }

        public override bool Execute()
        {
            var docs = new List<CommandDoc>();
            foreach (var item in Sources.OrderBy(i => i.ItemSpec, StringComparer.Ordinal))
            {
                var path = item.GetMetadata("FullPath");
                if (Path.GetFileName(path).StartsWith("about_", StringComparison.OrdinalIgnoreCase)) continue;
                try
                {
                    docs.Add(CommandDoc.Parse(File.ReadAllLines(path)));
                }
                catch (FormatException e)
                {
                    Log.LogError(null, "MQTTPSHELP", null, path, 0, 0, 0, 0, e.Message);
                }
            }
            if (Log.HasLoggedErrors) return false;
            Directory.CreateDirectory(Path.GetDirectoryName(OutputPath));
            var settings = new XmlWriterSettings { Indent = true, Encoding = new UTF8Encoding(false) };
            using (var w = XmlWriter.Create(OutputPath, settings))
            {
                w.WriteStartDocument();
                w.WriteStartElement("helpItems", "http://msh");
                w.WriteAttributeString("schema", "maml");
                foreach (var doc in docs) WriteCommand(w, doc);
                w.WriteEndElement();
                w.WriteEndDocument();
            }
            Log.LogMessage(MessageImportance.Normal, "Wrote help for " + docs.Count + " cmdlets to " + OutputPath);
            return true;
        }

        private static void WriteCommand(XmlWriter w, CommandDoc doc)
        {
            w.WriteStartElement("command", "command", Command);
            w.WriteAttributeString("xmlns", "maml", null, Maml);
            w.WriteAttributeString("xmlns", "dev", null, Dev);
            w.WriteStartElement("command", "details", Command);
            w.WriteElementString("command", "name", Command, doc.Name);
            var dash = doc.Name.IndexOf('-');
            w.WriteElementString("command", "verb", Command, doc.Name.Substring(0, dash));
            w.WriteElementString("command", "noun", Command, doc.Name.Substring(dash + 1));
            WriteParagraphs(w, "description", Maml, doc.Synopsis);
            w.WriteEndElement();
            WriteParagraphs(w, "description", Maml, doc.Description);

            w.WriteStartElement("command", "syntax", Command);
            foreach (var set in doc.ParameterSetNames())
            {
                w.WriteStartElement("command", "syntaxItem", Command);
                w.WriteElementString("maml", "name", Maml, doc.Name);
                foreach (var p in doc.Parameters.Where(p => p.InSet(set)).OrderBy(p => p.PositionSortKey(set))) WriteParameter(w, p, set);
                w.WriteEndElement();
            }
            w.WriteEndElement();

            w.WriteStartElement("command", "parameters", Command);
            foreach (var p in doc.Parameters) WriteParameter(w, p, null);
            w.WriteEndElement();

            w.WriteStartElement("command", "inputTypes", Command);
            foreach (var t in doc.Inputs)
            {
                w.WriteStartElement("command", "inputType", Command);
                WriteType(w, t.Key);
                WriteParagraphs(w, "description", Maml, t.Value);
                w.WriteEndElement();
            }
            w.WriteEndElement();

            w.WriteStartElement("command", "returnValues", Command);
            foreach (var t in doc.Outputs)
            {
                w.WriteStartElement("command", "returnValue", Command);
                WriteType(w, t.Key);
                WriteParagraphs(w, "description", Maml, t.Value);
                w.WriteEndElement();
            }
            w.WriteEndElement();

            w.WriteStartElement("maml", "alertSet", Maml);
            w.WriteStartElement("maml", "alert", Maml);
            foreach (var para in Paragraphs(doc.Notes)) w.WriteElementString("maml", "para", Maml, para);
            w.WriteEndElement();
            w.WriteEndElement();

            w.WriteStartElement("command", "examples", Command);
            var number = 0;
            foreach (var e in doc.Examples)
            {
                number++;
                w.WriteStartElement("command", "example", Command);
                w.WriteElementString("maml", "title", Maml, "--------- " + (string.IsNullOrEmpty(e.Title) ? "Example " + number : e.Title) + " ---------");
                w.WriteElementString("dev", "code", Dev, e.Code);
                w.WriteStartElement("dev", "remarks", Dev);
                foreach (var para in Paragraphs(e.Remarks)) w.WriteElementString("maml", "para", Maml, para);
                w.WriteEndElement();
                w.WriteEndElement();
            }
            w.WriteEndElement();

            w.WriteStartElement("command", "relatedLinks", Command);
            foreach (var link in doc.Links)
            {
                w.WriteStartElement("maml", "navigationLink", Maml);
                w.WriteElementString("maml", "linkText", Maml, link.Key);
                w.WriteElementString("maml", "uri", Maml, link.Value ?? "");
                w.WriteEndElement();
            }
            w.WriteEndElement();
            w.WriteEndElement();
        }

        private static void WriteParameter(XmlWriter w, ParameterDoc p, string set)
        {
            w.WriteStartElement("command", "parameter", Command);
            w.WriteAttributeString("required", (set == null ? p.RequiredAnywhere : p.RequiredIn(set)) ? "true" : "false");
            w.WriteAttributeString("variableLength", p.Type.EndsWith("[]", StringComparison.Ordinal) ? "true" : "false");
            w.WriteAttributeString("globbing", p.Wildcards ? "true" : "false");
            w.WriteAttributeString("pipelineInput", p.PipelineInput);
            w.WriteAttributeString("position", p.Position.Equals("Named", StringComparison.OrdinalIgnoreCase) ? "named" : p.Position);
            w.WriteAttributeString("aliases", string.IsNullOrEmpty(p.Aliases) ? "none" : p.Aliases);
            w.WriteElementString("maml", "name", Maml, p.Name);
            WriteParagraphs(w, "description", Maml, p.Description);
            if (!p.IsSwitch)
            {
                w.WriteStartElement("command", "parameterValue", Command);
                w.WriteAttributeString("required", "true");
                w.WriteAttributeString("variableLength", "false");
                w.WriteString(p.Type);
                w.WriteEndElement();
            }
            WriteType(w, p.Type);
            w.WriteElementString("dev", "defaultValue", Dev, p.DefaultValue);
            w.WriteEndElement();
        }

        private static void WriteType(XmlWriter w, string name)
        {
            w.WriteStartElement("dev", "type", Dev);
            w.WriteElementString("maml", "name", Maml, name);
            w.WriteElementString("maml", "uri", Maml, "");
            w.WriteEndElement();
        }

        private static void WriteParagraphs(XmlWriter w, string element, string ns, string text)
        {
            w.WriteStartElement("maml", element, ns);
            foreach (var para in Paragraphs(text)) w.WriteElementString("maml", "para", Maml, para);
            w.WriteEndElement();
        }

        private static IEnumerable<string> Paragraphs(string text)
        {
            if (string.IsNullOrWhiteSpace(text)) yield break;
            var current = new StringBuilder();
            foreach (var raw in text.Replace("\r", "").Split('\n'))
            {
                var line = raw.TrimEnd();
                if (line.Length == 0)
                {
                    if (current.Length > 0) { yield return current.ToString(); current.Clear(); }
                    continue;
                }
                // Lines that start a list item or are indented (code) keep their own line.
                if (current.Length > 0 && (line.StartsWith("- ") || line.StartsWith("* ") || line.StartsWith("    ")))
                {
                    yield return current.ToString();
                    current.Clear();
                }
                if (current.Length > 0) current.Append(' ');
                current.Append(line.StartsWith("    ") ? line : line.Trim());
            }
            if (current.Length > 0) yield return current.ToString();
        }

        private sealed class ExampleDoc
        {
            public string Title;
            public string Code = "";
            public string Remarks = "";
        }

        private sealed class ParameterDoc
        {
            public string Name;
            public string Description = "";
            public string Type = "String";
            public List<string> Sets = new List<string>();
            public string Aliases;
            public string Required = "False";
            public string Position = "Named";
            public string DefaultValue = "None";
            public string PipelineInput = "False";
            public bool Wildcards;

            public bool IsSwitch => Type == "SwitchParameter";
            public bool InSet(string set) => Sets.Count == 0 || Sets.Contains("(All)") || Sets.Contains(set);

            // "Required: True" or per set, "Required: True (Broker), False (Connection)"
            public bool RequiredIn(string set)
            {
                if (!Required.Contains("(")) return Required.StartsWith("True", StringComparison.OrdinalIgnoreCase);
                foreach (var part in Required.Split(','))
                {
                    var p = part.Trim();
                    var open = p.IndexOf('(');
                    if (open < 0) continue;
                    var names = p.Substring(open + 1).TrimEnd(')').Split(' ');
                    if (names.Contains(set)) return p.StartsWith("True", StringComparison.OrdinalIgnoreCase);
                }
                return false;
            }

            public bool RequiredAnywhere => Required.IndexOf("True", StringComparison.OrdinalIgnoreCase) >= 0;

            public int PositionSortKey(string set)
            {
                int n;
                return int.TryParse(Position, out n) ? n : 1000 + (RequiredIn(set) ? 0 : 1);
            }
        }

        private sealed class CommandDoc
        {
            public string Name;
            public string Synopsis = "";
            public string Description = "";
            public string Notes = "";
            public List<ExampleDoc> Examples = new List<ExampleDoc>();
            public List<ParameterDoc> Parameters = new List<ParameterDoc>();
            public List<KeyValuePair<string, string>> Inputs = new List<KeyValuePair<string, string>>();
            public List<KeyValuePair<string, string>> Outputs = new List<KeyValuePair<string, string>>();
            public List<KeyValuePair<string, string>> Links = new List<KeyValuePair<string, string>>();

            public IEnumerable<string> ParameterSetNames()
            {
                var names = Parameters.SelectMany(p => p.Sets).Where(s => s != "(All)").Distinct().ToList();
                if (names.Count == 0) names.Add("__AllParameterSets");
                return names;
            }

            public static CommandDoc Parse(string[] lines)
            {
                var doc = new CommandDoc();
                string section = null;
                ExampleDoc example = null;
                ParameterDoc parameter = null;
                string subheading = null;
                var text = new StringBuilder();
                var i = 0;
                if (lines.Length > 0 && lines[0].Trim() == "---")
                {
                    i = 1;
                    while (i < lines.Length && lines[i].Trim() != "---") i++;
                    i++;
                }
                Action flush = () =>
                {
                    var body = text.ToString().Trim();
                    text.Clear();
                    switch (section)
                    {
                        case "SYNOPSIS": doc.Synopsis = body; break;
                        case "DESCRIPTION": doc.Description = body; break;
                        case "NOTES": doc.Notes = body; break;
                        case "EXAMPLES": if (example != null) example.Remarks = body; break;
                        case "PARAMETERS": if (parameter != null) parameter.Description = body; break;
                        case "INPUTS": if (subheading != null) doc.Inputs.Add(new KeyValuePair<string, string>(subheading, body)); break;
                        case "OUTPUTS": if (subheading != null) doc.Outputs.Add(new KeyValuePair<string, string>(subheading, body)); break;
                        case "RELATED LINKS":
                            foreach (var l in body.Split('\n').Select(x => x.Trim()).Where(x => x.Length > 0))
                            {
                                var m = l.IndexOf("](", StringComparison.Ordinal);
                                if (l.StartsWith("[") && m > 0) doc.Links.Add(new KeyValuePair<string, string>(l.Substring(1, m - 1), l.Substring(m + 2).TrimEnd(')').EndsWith(".md") ? "" : l.Substring(m + 2).TrimEnd(')')));
                                else doc.Links.Add(new KeyValuePair<string, string>(l, ""));
                            }
                            break;
                    }
                };
                for (; i < lines.Length; i++)
                {
                    var line = lines[i];
                    if (line.StartsWith("# ", StringComparison.Ordinal)) { doc.Name = line.Substring(2).Trim(); continue; }
                    if (line.StartsWith("## ", StringComparison.Ordinal))
                    {
                        flush();
                        section = line.Substring(3).Trim().ToUpperInvariant();
                        example = null; parameter = null; subheading = null;
                        continue;
                    }
                    if (line.StartsWith("### ", StringComparison.Ordinal))
                    {
                        flush();
                        var heading = line.Substring(4).Trim();
                        if (section == "EXAMPLES") { example = new ExampleDoc { Title = heading }; doc.Examples.Add(example); }
                        else if (section == "PARAMETERS")
                        {
                            if (heading.StartsWith("-")) { parameter = new ParameterDoc { Name = heading.Substring(1) }; doc.Parameters.Add(parameter); }
                            else parameter = null; // e.g. CommonParameters
                        }
                        else subheading = heading;
                        continue;
                    }
                    if (line.StartsWith("```", StringComparison.Ordinal))
                    {
                        var language = line.Substring(3).Trim();
                        var block = new StringBuilder();
                        for (i++; i < lines.Length && !lines[i].StartsWith("```", StringComparison.Ordinal); i++) block.AppendLine(lines[i]);
                        if (section == "EXAMPLES" && example != null && example.Code.Length == 0) example.Code = block.ToString().TrimEnd();
                        else if (section == "PARAMETERS" && parameter != null && language == "yaml") ReadYaml(parameter, block.ToString());
                        else if (section == "SYNTAX") { }
                        else text.AppendLine(block.ToString());
                        continue;
                    }
                    if (section != "SYNTAX") text.AppendLine(line);
                }
                flush();
                if (string.IsNullOrEmpty(doc.Name) || doc.Name.IndexOf('-') <= 0) throw new FormatException("the help source has no '# Verb-Noun' title");
                if (doc.Synopsis.Length == 0) throw new FormatException(doc.Name + ": the SYNOPSIS section is empty");
                return doc;
            }

            private static void ReadYaml(ParameterDoc p, string yaml)
            {
                foreach (var raw in yaml.Split('\n'))
                {
                    var line = raw.Trim();
                    var colon = line.IndexOf(':');
                    if (colon <= 0) continue;
                    var key = line.Substring(0, colon).Trim();
                    var value = line.Substring(colon + 1).Trim();
                    switch (key)
                    {
                        case "Type": p.Type = value; break;
                        case "Parameter Sets": p.Sets = value.Split(',').Select(s => s.Trim()).Where(s => s.Length > 0).ToList(); break;
                        case "Aliases": p.Aliases = value; break;
                        case "Required": p.Required = value; break;
                        case "Position": p.Position = value; break;
                        case "Default value": p.DefaultValue = value.Length == 0 ? "None" : value; break;
                        case "Accept pipeline input": p.PipelineInput = value; break;
                        case "Accept wildcard characters": p.Wildcards = value.StartsWith("True", StringComparison.OrdinalIgnoreCase); break;
                    }
                }
            }
        }
    }
}
