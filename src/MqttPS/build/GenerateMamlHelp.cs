// Compiled by MSBuild's RoslynCodeTaskFactory when the module is built (see MqttPS.csproj); not part of MqttPS.dll.
// Writes the MAML file Get-Help reads (en-US/MqttPS.dll-Help.xml) from two sources:
//  - the compiled cmdlets (MqttPS.dll, read as metadata without running it): SYNTAX with every parameter set as
//    Get-Command -Syntax shows it (incl. -WhatIf/-Confirm), and each parameter's type, sets, position, whether it
//    is required, pipeline input, wildcards and accepted values. These can then never drift from the code.
//  - the help source (help/<Cmdlet>.md, platyPS's markdown layout): synopsis, description, parameter
//    descriptions and default values, examples with their descriptions, inputs, outputs, notes, links.
// A parameter documented but not declared (or the reverse), or a yaml key other than "Default value", fails the build.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
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
        private const string AllSets = "__AllParameterSets";
        private const string Automation = "System.Management.Automation.";

        [Required]
        public ITaskItem[] Sources { get; set; }

        /// <summary>The compiled module (MqttPS.dll).</summary>
        [Required]
        public string AssemblyPath { get; set; }

        /// <summary>What the module was compiled against (netstandard, System.Management.Automation, MqttPS.Core).</summary>
        [Required]
        public ITaskItem[] References { get; set; }

        /// <summary>The MetadataLoadContext that MSBuild itself ships (so nothing needs restoring for the build).</summary>
        [Required]
        public string MetadataLoadContextPath { get; set; }

        [Required]
        public string OutputPath { get; set; }

        public override bool Execute()
        {
            Dictionary<string, CmdletMetadata> cmdlets;
            try
            {
                cmdlets = CmdletMetadata.Load(MetadataLoadContextPath, AssemblyPath, References.Select(r => r.GetMetadata("FullPath")));
            }
            catch (Exception e) when (e is IOException || e is BadImageFormatException || e is TypeLoadException || e is TargetInvocationException)
            {
                Log.LogError("Could not read the cmdlets of " + AssemblyPath + ": " + e.Message);
                return false;
            }

            var docs = new List<CommandDoc>();
            foreach (var item in Sources.OrderBy(i => i.ItemSpec, StringComparer.Ordinal))
            {
                var path = item.GetMetadata("FullPath");
                if (Path.GetFileName(path).StartsWith("about_", StringComparison.OrdinalIgnoreCase)) continue;
                try
                {
                    var doc = CommandDoc.Parse(File.ReadAllLines(path));
                    if (!cmdlets.TryGetValue(doc.Name, out doc.Cmdlet)) throw new FormatException(doc.Name + " is documented but the module has no such cmdlet");
                    doc.CheckParameters();
                    docs.Add(doc);
                }
                catch (FormatException e)
                {
                    Log.LogError(null, "MQTTPSHELP", null, path, 0, 0, 0, 0, e.Message);
                }
            }
            foreach (var name in cmdlets.Keys.Where(n => docs.All(d => d.Name != n)))
                Log.LogError(null, "MQTTPSHELP", null, AssemblyPath, 0, 0, 0, 0, name + " has no help source (help/" + name + ".md)");
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
            var cmdlet = doc.Cmdlet;
            w.WriteStartElement("command", "command", Command);
            w.WriteAttributeString("xmlns", "maml", null, Maml);
            w.WriteAttributeString("xmlns", "dev", null, Dev);
            w.WriteStartElement("command", "details", Command);
            w.WriteElementString("command", "name", Command, doc.Name);
            w.WriteElementString("command", "verb", Command, cmdlet.Verb);
            w.WriteElementString("command", "noun", Command, cmdlet.Noun);
            WriteParagraphs(w, "description", Maml, doc.Synopsis);
            w.WriteEndElement();
            WriteParagraphs(w, "description", Maml, doc.Description);

            // One syntax item per parameter set, parameters in the order Get-Command -Syntax shows them.
            w.WriteStartElement("command", "syntax", Command);
            foreach (var set in cmdlet.ParameterSets)
            {
                w.WriteStartElement("command", "syntaxItem", Command);
                w.WriteElementString("maml", "name", Maml, doc.Name);
                foreach (var p in cmdlet.InDisplayOrder(set)) WriteParameter(w, p, doc.Describe(p), set);
                w.WriteEndElement();
            }
            w.WriteEndElement();

            w.WriteStartElement("command", "parameters", Command);
            foreach (var p in cmdlet.Parameters) WriteParameter(w, p, doc.Describe(p), null);
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

            // Get-Help prints a NOTES heading for an alertSet even when it is empty: write it only with notes.
            if (!string.IsNullOrWhiteSpace(doc.Notes))
            {
                w.WriteStartElement("maml", "alertSet", Maml);
                w.WriteStartElement("maml", "alert", Maml);
                foreach (var para in Paragraphs(doc.Notes)) w.WriteElementString("maml", "para", Maml, para);
                w.WriteEndElement();
                w.WriteEndElement();
            }

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

        /// <param name="set">The parameter set of a syntax item, or null for the PARAMETERS section.</param>
        private static void WriteParameter(XmlWriter w, ParameterMetadata p, ParameterDoc doc, string set)
        {
            var usage = set == null ? null : p.In(set);
            var required = usage != null ? usage.Mandatory : p.Usages.Any(u => u.Mandatory);
            var positions = usage != null ? new List<int> { usage.Position } : p.Usages.Select(u => u.Position).Where(n => n != int.MinValue).ToList();
            var position = positions.Count > 0 ? positions[0] : int.MinValue;
            w.WriteStartElement("command", "parameter", Command);
            w.WriteAttributeString("required", required ? "true" : "false");
            w.WriteAttributeString("variableLength", p.IsArray ? "true" : "false");
            w.WriteAttributeString("globbing", p.SupportsWildcards ? "true" : "false");
            w.WriteAttributeString("pipelineInput", p.PipelineInput);
            w.WriteAttributeString("position", position == int.MinValue ? "named" : position.ToString());
            w.WriteAttributeString("aliases", p.Aliases.Count == 0 ? "none" : string.Join(", ", p.Aliases));
            w.WriteElementString("maml", "name", Maml, p.Name);
            var description = doc.Description;
            if (set == null && p.AcceptedValues.Count > 0) description += "\n\nAccepted values: " + string.Join(", ", p.AcceptedValues) + ".";
            if (set == null && p.Usages.Count > 1 && p.Usages.Select(u => u.Mandatory).Distinct().Count() > 1)
                description += "\n\nRequired in the parameter sets " + string.Join(", ", p.Usages.Where(u => u.Mandatory).Select(u => u.Set)) + "; optional in " + string.Join(", ", p.Usages.Where(u => !u.Mandatory).Select(u => u.Set)) + ".";
            WriteParagraphs(w, "description", Maml, description);
            if (!p.IsSwitch)
            {
                w.WriteStartElement("command", "parameterValue", Command);
                w.WriteAttributeString("required", "true");
                w.WriteAttributeString("variableLength", "false");
                w.WriteString(p.DisplayType);
                w.WriteEndElement();
            }
            WriteType(w, p.DisplayType);
            w.WriteElementString("dev", "defaultValue", Dev, doc.DefaultValue);
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

        /// <summary>One [Parameter] attribute: how a parameter takes part in one parameter set.</summary>
        private sealed class ParameterUsage
        {
            public string Set = AllSets;
            public bool Mandatory;
            public int Position = int.MinValue;
            public bool ValueFromPipeline;
            public bool ValueFromPipelineByPropertyName;
        }

        private sealed class ParameterMetadata
        {
            public string Name;
            public string DisplayType;
            public bool IsSwitch;
            public bool IsArray;
            public bool SupportsWildcards;
            public List<string> Aliases = new List<string>();
            public List<string> AcceptedValues = new List<string>();
            public List<ParameterUsage> Usages = new List<ParameterUsage>();

            /// <summary>The usage for <paramref name="set"/>: its own [Parameter] attribute, else the one for all sets.</summary>
            public ParameterUsage In(string set) => Usages.FirstOrDefault(u => u.Set == set) ?? Usages.FirstOrDefault(u => u.Set == AllSets);

            public string PipelineInput
            {
                get
                {
                    var ways = new List<string>();
                    if (Usages.Any(u => u.ValueFromPipeline)) ways.Add("ByValue");
                    if (Usages.Any(u => u.ValueFromPipelineByPropertyName)) ways.Add("ByPropertyName");
                    return ways.Count == 0 ? "False" : "True (" + string.Join(", ", ways) + ")";
                }
            }

            public static ParameterMetadata Switch(string name) =>
                new ParameterMetadata { Name = name, DisplayType = "SwitchParameter", IsSwitch = true, Usages = { new ParameterUsage() } };
        }

        private sealed class CmdletMetadata
        {
            public string Verb;
            public string Noun;
            public string Name => Verb + "-" + Noun;
            public List<ParameterMetadata> Parameters = new List<ParameterMetadata>();
            public List<string> ParameterSets = new List<string>();

            /// <summary>Positional parameters by position, then the mandatory named ones, then the optional named
            /// ones, each in declaration order; -WhatIf and -Confirm come last. This is PowerShell's own order.</summary>
            public IEnumerable<ParameterMetadata> InDisplayOrder(string set)
            {
                var members = Parameters.Where(p => p.In(set) != null).ToList();
                return members.Where(p => p.In(set).Position != int.MinValue).OrderBy(p => p.In(set).Position)
                    .Concat(members.Where(p => p.In(set).Position == int.MinValue && p.In(set).Mandatory))
                    .Concat(members.Where(p => p.In(set).Position == int.MinValue && !p.In(set).Mandatory));
            }

            public static Dictionary<string, CmdletMetadata> Load(string metadataLoadContextPath, string assemblyPath, IEnumerable<string> references)
            {
                var paths = references.Concat(new[] { assemblyPath }).Where(File.Exists).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
                var result = new Dictionary<string, CmdletMetadata>(StringComparer.OrdinalIgnoreCase);
                // Created through reflection: the task is compiled against netstandard, and MetadataLoadContext's own
                // signatures name System.Runtime, which the inline compiler cannot unify with it. Everything it hands
                // back (Assembly, Type, CustomAttributeData) is plain reflection.
                var library = Assembly.LoadFrom(metadataLoadContextPath);
                var resolver = Activator.CreateInstance(library.GetType("System.Reflection.PathAssemblyResolver", true), new object[] { paths });
                var contextType = library.GetType("System.Reflection.MetadataLoadContext", true);
                using (var context = (IDisposable)Activator.CreateInstance(contextType, new object[] { resolver, "netstandard" }))
                {
                    var assembly = (Assembly)contextType.GetMethod("LoadFromAssemblyPath", new[] { typeof(string) }).Invoke(context, new object[] { assemblyPath });
                    foreach (var type in assembly.GetTypes())
                    {
                        var attribute = Find(type.GetCustomAttributesData(), "CmdletAttribute");
                        if (attribute == null || type.IsAbstract) continue;
                        var cmdlet = new CmdletMetadata
                        {
                            Verb = (string)attribute.ConstructorArguments[0].Value,
                            Noun = (string)attribute.ConstructorArguments[1].Value,
                        };
                        var shouldProcess = (bool?)Named(attribute, "SupportsShouldProcess") ?? false;
                        var defaultSet = (string)Named(attribute, "DefaultParameterSetName");
                        if (!string.IsNullOrEmpty(defaultSet)) cmdlet.ParameterSets.Add(defaultSet);
                        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
                        {
                            var data = property.GetCustomAttributesData();
                            var usages = data.Where(a => a.AttributeType.FullName == Automation + "ParameterAttribute").ToList();
                            if (usages.Count == 0) continue;
                            var p = Describe(property.Name, property.PropertyType, data);
                            foreach (var u in usages)
                            {
                                var usage = new ParameterUsage
                                {
                                    Set = (string)Named(u, "ParameterSetName") ?? AllSets,
                                    Mandatory = (bool?)Named(u, "Mandatory") ?? false,
                                    Position = (int?)Named(u, "Position") ?? int.MinValue,
                                    ValueFromPipeline = (bool?)Named(u, "ValueFromPipeline") ?? false,
                                    ValueFromPipelineByPropertyName = (bool?)Named(u, "ValueFromPipelineByPropertyName") ?? false,
                                };
                                p.Usages.Add(usage);
                                if (usage.Set != AllSets && !cmdlet.ParameterSets.Contains(usage.Set)) cmdlet.ParameterSets.Add(usage.Set);
                            }
                            cmdlet.Parameters.Add(p);
                        }
                        if (cmdlet.ParameterSets.Count == 0) cmdlet.ParameterSets.Add(AllSets);
                        if (shouldProcess)
                        {
                            cmdlet.Parameters.Add(ParameterMetadata.Switch("WhatIf"));
                            cmdlet.Parameters.Add(ParameterMetadata.Switch("Confirm"));
                        }
                        result.Add(cmdlet.Name, cmdlet);
                    }
                }
                return result;
            }

            private static ParameterMetadata Describe(string name, Type type, IList<CustomAttributeData> data)
            {
                var p = new ParameterMetadata
                {
                    Name = name,
                    IsSwitch = type.FullName == Automation + "SwitchParameter",
                    IsArray = type.IsArray,
                    DisplayType = DisplayName(type),
                    SupportsWildcards = Find(data, "SupportsWildcardsAttribute") != null,
                };
                foreach (var alias in data.Where(a => a.AttributeType.FullName == Automation + "AliasAttribute"))
                    p.Aliases.AddRange(Strings(alias.ConstructorArguments[0]));
                var validateSet = Find(data, "ValidateSetAttribute");
                if (validateSet != null) p.AcceptedValues.AddRange(Strings(validateSet.ConstructorArguments[0]));
                var element = type.IsArray ? type.GetElementType() : type;
                if (element.IsEnum && p.AcceptedValues.Count == 0) p.AcceptedValues.AddRange(element.GetEnumNames());
                return p;
            }

            // The names PowerShell shows for types in syntax (its type accelerators, in lower case since 7.x);
            // other types by their name without namespace. The Pester suite compares with Get-Command -Syntax.
            private static readonly Dictionary<string, string> Accelerators = new Dictionary<string, string>
            {
                ["System.String"] = "string", ["System.Int32"] = "int", ["System.UInt32"] = "uint", ["System.Int16"] = "short",
                ["System.UInt16"] = "ushort", ["System.Int64"] = "long", ["System.UInt64"] = "ulong", ["System.Byte"] = "byte",
                ["System.SByte"] = "sbyte", ["System.Boolean"] = "bool", ["System.Double"] = "double", ["System.Single"] = "float",
                ["System.Decimal"] = "decimal", ["System.Char"] = "char", ["System.DateTime"] = "datetime", ["System.TimeSpan"] = "timespan",
                ["System.Guid"] = "guid", ["System.Uri"] = "uri", ["System.Collections.Hashtable"] = "hashtable",
                ["System.Security.SecureString"] = "securestring", ["System.Management.Automation.PSCredential"] = "pscredential",
                ["System.Management.Automation.ScriptBlock"] = "scriptblock", ["System.Management.Automation.PSObject"] = "psobject",
                ["System.Management.Automation.SwitchParameter"] = "switch", ["System.Xml.XmlDocument"] = "xml",
                ["System.Text.RegularExpressions.Regex"] = "regex", ["System.Net.IPAddress"] = "ipaddress",
            };

            private static string DisplayName(Type type)
            {
                if (type.IsArray) return DisplayName(type.GetElementType()) + "[]";
                if (type.IsGenericType && type.GetGenericTypeDefinition().FullName == "System.Nullable`1") return DisplayName(type.GetGenericArguments()[0]);
                return Accelerators.TryGetValue(type.FullName ?? type.Name, out var accelerator) ? accelerator : type.Name;
            }

            private static CustomAttributeData Find(IEnumerable<CustomAttributeData> data, string attribute) =>
                data.FirstOrDefault(a => a.AttributeType.FullName == Automation + attribute);

            private static object Named(CustomAttributeData attribute, string name) =>
                attribute.NamedArguments.Where(n => n.MemberName == name).Select(n => n.TypedValue.Value).FirstOrDefault();

            private static IEnumerable<string> Strings(CustomAttributeTypedArgument argument) =>
                ((IEnumerable<CustomAttributeTypedArgument>)argument.Value).Select(v => (string)v.Value);
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
            public string DefaultValue = "None";
        }

        private sealed class CommandDoc
        {
            // The standard texts of the parameters ShouldProcess adds, as PowerShell's own help words them.
            private static readonly Dictionary<string, string> ShouldProcessTexts = new Dictionary<string, string>
            {
                ["WhatIf"] = "Shows what would happen if the cmdlet runs. The cmdlet is not run.",
                ["Confirm"] = "Prompts you for confirmation before running the cmdlet.",
            };

            public string Name;
            public CmdletMetadata Cmdlet;
            public string Synopsis = "";
            public string Description = "";
            public string Notes = "";
            public List<ExampleDoc> Examples = new List<ExampleDoc>();
            public List<ParameterDoc> Parameters = new List<ParameterDoc>();
            public List<KeyValuePair<string, string>> Inputs = new List<KeyValuePair<string, string>>();
            public List<KeyValuePair<string, string>> Outputs = new List<KeyValuePair<string, string>>();
            public List<KeyValuePair<string, string>> Links = new List<KeyValuePair<string, string>>();

            public ParameterDoc Describe(ParameterMetadata p)
            {
                var doc = Parameters.FirstOrDefault(d => d.Name == p.Name);
                if (doc != null) return doc;
                return new ParameterDoc { Name = p.Name, Description = ShouldProcessTexts[p.Name], DefaultValue = "False" };
            }

            public void CheckParameters()
            {
                var declared = Cmdlet.Parameters.Select(p => p.Name).Where(n => !ShouldProcessTexts.ContainsKey(n) || Parameters.Any(d => d.Name == n)).ToList();
                var documented = Parameters.Select(p => p.Name).ToList();
                var missing = declared.Except(documented).ToList();
                var stale = documented.Except(Cmdlet.Parameters.Select(p => p.Name)).ToList();
                if (missing.Count > 0) throw new FormatException(Name + ": parameters not documented: -" + string.Join(", -", missing));
                if (stale.Count > 0) throw new FormatException(Name + ": documented parameters the cmdlet does not have: -" + string.Join(", -", stale));
                foreach (var p in Parameters.Where(p => p.Description.Trim().Length < 15))
                    throw new FormatException(Name + " -" + p.Name + ": the description is missing");
                foreach (var e in Examples.Where(e => e.Remarks.Trim().Length == 0))
                    throw new FormatException(Name + ", " + e.Title + ": the example has no description");
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
                                // Links to other help pages (.md) have no URI: Get-Help names them, -Online has nowhere to go.
                                var m = l.IndexOf("](", StringComparison.Ordinal);
                                if (l.StartsWith("[") && m > 0)
                                {
                                    var target = l.Substring(m + 2).TrimEnd(')');
                                    doc.Links.Add(new KeyValuePair<string, string>(l.Substring(1, m - 1), target.EndsWith(".md") ? "" : target));
                                }
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
                        else if (section == "PARAMETERS" && parameter != null && language == "yaml") ReadYaml(doc, parameter, block.ToString());
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

            // Only the default value is written by hand: everything else about a parameter comes from the cmdlet.
            private static void ReadYaml(CommandDoc doc, ParameterDoc p, string yaml)
            {
                foreach (var raw in yaml.Split('\n'))
                {
                    var line = raw.Trim();
                    var colon = line.IndexOf(':');
                    if (colon <= 0) continue;
                    var key = line.Substring(0, colon).Trim();
                    var value = line.Substring(colon + 1).Trim();
                    if (key != "Default value")
                        throw new FormatException(doc.Name + " -" + p.Name + ": '" + key + "' is generated from the cmdlet; only 'Default value' belongs in the help source");
                    p.DefaultValue = value.Length == 0 ? "None" : value;
                }
            }
        }
    }
}
