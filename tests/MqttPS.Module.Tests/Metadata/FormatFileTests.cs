using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Xml.Linq;
using Xunit;

namespace MqttPS.Module.Tests.Metadata
{
    public class FormatFileTests
    {
        [Fact]
        public void Every_view_selects_a_real_type_and_names_only_properties_it_has()
        {
            var dir = CmdletSurface.ModuleDirectory;
            var format = XDocument.Load(Path.Combine(dir, "MqttPS.format.ps1xml"));
            var paths = new List<string> { Path.Combine(dir, "MqttPS.dll"), Path.Combine(dir, "MqttPS.Core.dll"), CmdletSurface.PowerShellReference };
            paths.AddRange(Directory.GetFiles(RuntimeEnvironment.GetRuntimeDirectory(), "*.dll"));
            using var context = new MetadataLoadContext(new PathAssemblyResolver(paths.Distinct()));
            var core = context.LoadFromAssemblyPath(Path.Combine(dir, "MqttPS.Core.dll"));
            var views = format.Descendants("View").ToList();
            Assert.True(views.Count >= 5);
            var selected = new List<string>();
            foreach (var view in views)
            {
                var typeName = view.Element("ViewSelectedBy").Element("TypeName").Value;
                selected.Add(typeName);
                var type = core.GetType(typeName);
                Assert.True(type != null, "the format file selects the unknown type " + typeName);
                foreach (var property in view.Descendants("PropertyName").Select(p => p.Value))
                    Assert.True(type.GetProperty(property) != null, typeName + " has no property " + property);
                var headers = view.Descendants("TableColumnHeader").Count();
                var items = view.Descendants("TableColumnItem").Count();
                Assert.Equal(headers, items);
            }
            foreach (var required in new[] { "MqttPS.Core.Messages.MqttMessage", "MqttPS.Core.Shell.MqttConnection", "MqttPS.Core.Shell.MqttEmbeddedBroker", "MqttPS.Core.Broker.MqttBrokerClientInfo", "MqttPS.Core.Shell.MqttSubscription" })
                Assert.Contains(required, selected);
        }

        /// <summary>Every table fits an 80-column console: the sized columns and their separators leave room for the
        /// last one, and only the last one is unsized (PowerShell shares the spare width of a wide console among unsized
        /// columns, which spreads a table out; the last one simply takes it).</summary>
        [Fact]
        public void Every_table_fits_80_columns_and_only_its_last_column_is_unsized()
        {
            var format = XDocument.Load(Path.Combine(CmdletSurface.ModuleDirectory, "MqttPS.format.ps1xml"));
            foreach (var view in format.Descendants("View").Where(v => v.Element("TableControl") != null))
            {
                var name = view.Element("Name").Value;
                var headers = view.Descendants("TableColumnHeader").ToList();
                for (var i = 0; i < headers.Count - 1; i++)
                    Assert.True(headers[i].Element("Width") != null, name + ": column " + headers[i].Element("Label").Value + " has no width");
                var sized = headers.Where(h => h.Element("Width") != null).Sum(h => int.Parse(h.Element("Width").Value)) + headers.Count - 1;
                var last = headers.Last();
                var lastMinimum = last.Element("Width") != null ? 0 : Math.Max(6, last.Element("Label").Value.Length);
                Assert.True(sized + lastMinimum <= 80, name + " needs " + (sized + lastMinimum) + " columns");
            }
        }
    }
}
