using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.InteropServices;

namespace MqttPS.Module.Tests.Metadata
{
    /// <summary>One [Parameter] attribute of a cmdlet parameter (a parameter has one per parameter set).</summary>
    public sealed class ParameterAttributeInfo
    {
        public string SetName = "__AllParameterSets";
        public bool Mandatory;
        public int Position = int.MinValue;
        public bool ValueFromPipeline;
        public bool ValueFromPipelineByPropertyName;
    }

    public sealed class CmdletParameterInfo
    {
        public string Name;
        public string TypeName;
        public string TypeFullName;
        public bool SupportsWildcards;
        public List<string> Aliases = new List<string>();
        public List<ParameterAttributeInfo> Attributes = new List<ParameterAttributeInfo>();
        public List<string> ValidateSet = new List<string>();
    }

    public sealed class CmdletInfo
    {
        public string Verb;
        public string Noun;
        public string Name => Verb + "-" + Noun;
        public string ClassName;
        public bool SupportsShouldProcess;
        public int ConfirmImpact; // System.Management.Automation.ConfirmImpact: None 0, Low 1, Medium 2, High 3
        public string DefaultParameterSetName;
        public List<(string Type, string[] Sets)> OutputTypes = new List<(string, string[])>();
        public List<CmdletParameterInfo> Parameters = new List<CmdletParameterInfo>();
        public bool ImplementsIDisposable;

        public CmdletParameterInfo Parameter(string name) => Parameters.Single(p => p.Name == name);

        public IEnumerable<string> ParameterSets =>
            Parameters.SelectMany(p => p.Attributes).Select(a => a.SetName).Where(s => s != "__AllParameterSets").Distinct();
    }

    /// <summary>
    /// Reads the cmdlets of the built MqttPS.dll without running it (MetadataLoadContext), so the cmdlet surface
    /// is checked on a machine without PowerShell: the reference assembly of PowerShellStandard.Library stands
    /// in for System.Management.Automation.
    /// </summary>
    public static class CmdletSurface
    {
        private static readonly Lazy<List<CmdletInfo>> Cached = new Lazy<List<CmdletInfo>>(() => Load(ModuleDirectory));

        public static string RepositoryRoot =>
            typeof(CmdletSurface).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepositoryRoot").Value;

        public static string ModuleDirectory => Path.Combine(RepositoryRoot, "out", "MqttPS");

        public static string PowerShellReference =>
            typeof(CmdletSurface).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "PowerShellStandardReference").Value;

        public static IReadOnlyList<CmdletInfo> Cmdlets => Cached.Value;

        public static CmdletInfo Get(string name) => Cmdlets.Single(c => c.Name == name);

        public static List<CmdletInfo> Load(string moduleDirectory)
        {
            var dll = Path.Combine(moduleDirectory, "MqttPS.dll");
            if (!File.Exists(dll)) throw new FileNotFoundException("Build the module first (dotnet build src/MqttPS -c Release): " + dll);
            var paths = new List<string> { dll, Path.Combine(moduleDirectory, "MqttPS.Core.dll"), PowerShellReference };
            paths.AddRange(Directory.GetFiles(RuntimeEnvironment.GetRuntimeDirectory(), "*.dll"));
            using (var context = new MetadataLoadContext(new PathAssemblyResolver(paths.Distinct(StringComparer.OrdinalIgnoreCase))))
            {
                var assembly = context.LoadFromAssemblyPath(dll);
                var result = new List<CmdletInfo>();
                foreach (var type in assembly.GetTypes())
                {
                    var cmdlet = type.GetCustomAttributesData().FirstOrDefault(a => a.AttributeType.FullName == "System.Management.Automation.CmdletAttribute");
                    if (cmdlet == null) continue;
                    var info = new CmdletInfo
                    {
                        Verb = (string)cmdlet.ConstructorArguments[0].Value,
                        Noun = (string)cmdlet.ConstructorArguments[1].Value,
                        ClassName = type.FullName,
                        ImplementsIDisposable = type.GetInterfaces().Any(i => i.FullName == "System.IDisposable"),
                    };
                    foreach (var named in cmdlet.NamedArguments)
                    {
                        if (named.MemberName == "SupportsShouldProcess") info.SupportsShouldProcess = (bool)named.TypedValue.Value;
                        if (named.MemberName == "ConfirmImpact") info.ConfirmImpact = Convert.ToInt32(named.TypedValue.Value);
                        if (named.MemberName == "DefaultParameterSetName") info.DefaultParameterSetName = (string)named.TypedValue.Value;
                    }
                    foreach (var output in type.GetCustomAttributesData().Where(a => a.AttributeType.FullName == "System.Management.Automation.OutputTypeAttribute"))
                    {
                        var types = ((IEnumerable<CustomAttributeTypedArgument>)output.ConstructorArguments[0].Value).Select(v => ((Type)v.Value).FullName);
                        var sets = output.NamedArguments.Where(n => n.MemberName == "ParameterSetName")
                            .SelectMany(n => ((IEnumerable<CustomAttributeTypedArgument>)n.TypedValue.Value).Select(v => (string)v.Value)).ToArray();
                        foreach (var t in types) info.OutputTypes.Add((t, sets));
                    }
                    foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
                    {
                        var attributes = property.GetCustomAttributesData();
                        var parameterAttributes = attributes.Where(a => a.AttributeType.FullName == "System.Management.Automation.ParameterAttribute").ToList();
                        if (parameterAttributes.Count == 0) continue;
                        var p = new CmdletParameterInfo
                        {
                            Name = property.Name,
                            TypeName = property.PropertyType.Name,
                            TypeFullName = property.PropertyType.FullName,
                            SupportsWildcards = attributes.Any(a => a.AttributeType.FullName == "System.Management.Automation.SupportsWildcardsAttribute"),
                        };
                        foreach (var a in parameterAttributes)
                        {
                            var pa = new ParameterAttributeInfo();
                            foreach (var n in a.NamedArguments)
                            {
                                switch (n.MemberName)
                                {
                                    case "ParameterSetName": pa.SetName = (string)n.TypedValue.Value; break;
                                    case "Mandatory": pa.Mandatory = (bool)n.TypedValue.Value; break;
                                    case "Position": pa.Position = (int)n.TypedValue.Value; break;
                                    case "ValueFromPipeline": pa.ValueFromPipeline = (bool)n.TypedValue.Value; break;
                                    case "ValueFromPipelineByPropertyName": pa.ValueFromPipelineByPropertyName = (bool)n.TypedValue.Value; break;
                                }
                            }
                            p.Attributes.Add(pa);
                        }
                        foreach (var alias in attributes.Where(a => a.AttributeType.FullName == "System.Management.Automation.AliasAttribute"))
                            p.Aliases.AddRange(((IEnumerable<CustomAttributeTypedArgument>)alias.ConstructorArguments[0].Value).Select(v => (string)v.Value));
                        foreach (var set in attributes.Where(a => a.AttributeType.FullName == "System.Management.Automation.ValidateSetAttribute"))
                            p.ValidateSet.AddRange(((IEnumerable<CustomAttributeTypedArgument>)set.ConstructorArguments[0].Value).Select(v => (string)v.Value));
                        info.Parameters.Add(p);
                    }
                    result.Add(info);
                }
                return result.OrderBy(c => c.Name, StringComparer.Ordinal).ToList();
            }
        }
    }
}
