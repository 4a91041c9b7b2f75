using System;
using System.Collections;
using System.Collections.Generic;
using System.Collections.Specialized;
using System.Globalization;
using System.Numerics;
using System.Threading;
using MqttPS.Core.Shell;
using Xunit;

namespace MqttPS.Module.Tests.Shell
{
    /// <summary>Objects to JSON as ConvertTo-Json -Compress writes them, and JSON to objects as ConvertFrom-Json
    /// reads it (PowerShell 7). Pester compares both with the real cmdlets.</summary>
    public class JsonTests
    {
        private static string Json(object value, int depth = JsonConversion.DefaultDepth) => new JsonConversion(depth).Serialize(value);

        [Fact]
        public void Dictionaries_lists_and_scalars_are_written_compactly()
        {
            var ordered = new OrderedDictionary { ["name"] = "probe", ["tags"] = new object[] { "a", 1, true, null }, ["nested"] = new Hashtable { ["id"] = 7 } };
            Assert.Equal("{\"name\":\"probe\",\"tags\":[\"a\",1,true,null],\"nested\":{\"id\":7}}", Json(ordered));
        }

        [Fact]
        public void Strings_escape_quotes_backslashes_control_characters_and_line_separators_only()
        {
            Assert.Equal("\"a\\\"b\\\\c\\n\\t\\u0001\\u001f\u007f\\u0085\\u2028\\u2029<>&'/é\"", Json("a\"b\\c\n\t\u0001\u001f\u007f\u0085\u2028\u2029<>&'/é"));
        }

        [Fact]
        public void Numbers_and_dates_are_invariant_and_keep_their_kind()
        {
            var previous = Thread.CurrentThread.CurrentCulture;
            Thread.CurrentThread.CurrentCulture = new CultureInfo("de-DE");
            try
            {
                Assert.Equal("[21.5,1.0,1E+300,\"NaN\",\"Infinity\",\"-Infinity\",12345678901234,-0.0,1E-07]",
                    Json(new object[] { 21.5, 1.0, 1e300, double.NaN, double.PositiveInfinity, double.NegativeInfinity, 12345678901234L, -0.0, 1e-7 }));
                Assert.Equal("[1.0,1.50,1.1,16777216.0,1000000000000000000000000000000,{\"value\":5}]", Json(new object[] { 1m, 1.50m, 1.1f, 16777216f, BigInteger.Pow(10, 30), new IntPtr(5) }));
                Assert.Equal("\"2024-05-06T07:08:09.123Z\"", Json(new DateTime(2024, 5, 6, 7, 8, 9, 123, DateTimeKind.Utc)));
                Assert.Equal("\"2024-05-06T07:08:09\"", Json(new DateTime(2024, 5, 6, 7, 8, 9, DateTimeKind.Unspecified)));
                Assert.Equal("\"2024-05-06T07:08:09.0001\"", Json(new DateTime(2024, 5, 6, 7, 8, 9).AddTicks(1000)));
                Assert.Equal("\"2024-01-02T03:04:05+02:00\"", Json(new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.FromHours(2))));
                Assert.Equal("\"2024-01-02T03:04:05-05:30\"", Json(new DateTimeOffset(2024, 1, 2, 3, 4, 5, new TimeSpan(-5, -30, 0))));
            }
            finally
            {
                Thread.CurrentThread.CurrentCulture = previous;
            }
        }

        [Flags]
        private enum Huge : long { A = 1L << 40 }

        private sealed class Reading
        {
            public string Field = "f";
            public string Sensor { get; set; } = "t1";
            public double Value { get; set; } = 20.5;
            public DayOfWeek Day { get; set; } = DayOfWeek.Monday;
            public Huge Mask { get; set; } = Huge.A;
            public string Broken => throw new InvalidOperationException("getter fails");
            public string this[int i] => "indexers are not members";
        }

        [Fact]
        public void Plain_objects_are_written_through_fields_then_properties_with_enums_as_numbers()
        {
            // A throwing getter gives null; 64-bit enums are text (JavaScript cannot hold them exactly).
            Assert.Equal("{\"Field\":\"f\",\"Sensor\":\"t1\",\"Value\":20.5,\"Day\":1,\"Mask\":\"A\",\"Broken\":null}", Json(new Reading()));
            Assert.Equal("{\"Ticks\":50000000", Json(TimeSpan.FromSeconds(5)).Substring(0, 17));
        }

        [Fact]
        public void Nesting_deeper_than_the_depth_is_written_as_text_and_counted()
        {
            var deep = new Hashtable { ["a"] = new Hashtable { ["b"] = new Hashtable { ["c"] = new Hashtable { ["d"] = 1 } } }, ["arr"] = new object[] { 1, new object[] { 2, new object[] { 3, new object[] { 4 } } } } };
            var conversion = new JsonConversion();
            var json = conversion.Serialize(new OrderedDictionary { ["a"] = deep["a"], ["arr"] = deep["arr"] });
            Assert.Equal("{\"a\":{\"b\":{\"c\":\"System.Collections.Hashtable\"}},\"arr\":[1,[2,\"3 System.Object[]\"]]}", json);
            Assert.Equal(1, conversion.TruncatedCount);
            Assert.Equal("{\"a\":\"System.Collections.Hashtable\",\"arr\":\"1 System.Object[]\"}", Json(new OrderedDictionary { ["a"] = deep["a"], ["arr"] = deep["arr"] }, depth: 0));
            conversion.Serialize(new Hashtable { ["flat"] = 1 });
            Assert.Equal(1, conversion.TruncatedCount);
            Assert.Throws<ArgumentOutOfRangeException>(() => new JsonConversion(101));
        }

        [Fact]
        public void A_self_referencing_graph_ends_at_the_depth()
        {
            var list = new ArrayList();
            list.Add(list);
            Assert.Equal("[[[\"System.Collections.ArrayList\"]]]", Json(list));
        }

        [Fact]
        public void Dictionary_keys_that_are_not_strings_are_written_as_their_text()
        {
            Assert.Equal("{\"System.Int32\":1}{\"7\":2}", Json(new Hashtable { [typeof(int)] = 1 }) + Json(new Dictionary<int, int> { [7] = 2 }));
        }

        [Fact]
        public void Cancellation_stops_a_conversion_between_two_values()
        {
            using (var cts = new CancellationTokenSource())
            {
                var calls = 0;
                var model = new FakeShellModel(() => { if (++calls == 3) cts.Cancel(); });
                var conversion = new JsonConversion(100, model, cts.Token);
                Assert.Throws<OperationCanceledException>(() => conversion.Serialize(new object[] { 1, 2, 3, 4, 5 }));
            }
        }

        [Fact]
        public void Wrappers_add_their_properties_and_a_pure_wrapper_is_an_object_of_its_own()
        {
            var model = new FakeShellModel();
            var pure = new FakeWrapper(null, new KeyValuePair<string, object>("a", 1), new KeyValuePair<string, object>("b", new FakeWrapper(null, new KeyValuePair<string, object>("c", 2))));
            Assert.Equal("{\"a\":1,\"b\":{\"c\":2}}", new JsonConversion(2, model).Serialize(pure));
            Assert.Equal("{\"a\":1,\"b\":\"@{c=2}\"}", new JsonConversion(0, model).Serialize(pure));
            // A number with an added property becomes {"value": ...}; a string never carries added properties.
            Assert.Equal("{\"value\":5,\"extra\":\"e\"}", new JsonConversion(2, model).Serialize(new FakeWrapper(5, new KeyValuePair<string, object>("extra", "e"))));
            Assert.Equal("\"s\"", new JsonConversion(2, model).Serialize(new FakeWrapper("s", new KeyValuePair<string, object>("extra", "e"))));
            Assert.Equal("{\"k\":1,\"extra\":\"e\"}", new JsonConversion(2, model).Serialize(new FakeWrapper(new Hashtable { ["k"] = 1 }, new KeyValuePair<string, object>("extra", "e"), new KeyValuePair<string, object>("k", 9))));
            Assert.Equal("null", new JsonConversion(2, model).Serialize(FakeShellModel.ShellNull));
        }

        [Fact]
        public void Parser_reads_values_as_ConvertFrom_Json_does()
        {
            var parsed = (JsonObject)JsonParser.Parse(" {\"b\":1, \"a\":[true,false,null,\"x\\u00e9\\n\"], \"c\":{\"d\":-2.5e2}, \"big\": 12345678901234567890, \"f\": 1.0, \"inf\": 1E400, \"b\": 2} ");
            Assert.Equal(new[] { "b", "a", "c", "big", "f", "inf" }, parsed.Keys);
            Assert.Equal(2L, parsed["b"]);
            Assert.Equal(new List<object> { true, false, null, "xé\n" }, (List<object>)parsed["a"]);
            Assert.Equal(-250.0, ((JsonObject)parsed["c"])["d"]);
            Assert.Equal(BigInteger.Parse("12345678901234567890"), parsed["big"]);
            Assert.Equal(1.0, parsed["f"]);
            Assert.Equal(double.PositiveInfinity, parsed["inf"]);
        }

        [Fact]
        public void Parser_reads_iso_and_microsoft_dates_as_DateTime_and_leaves_other_strings()
        {
            var unspecified = (DateTime)JsonParser.Parse("\"2024-01-02T03:04:05\"");
            Assert.Equal(new DateTime(2024, 1, 2, 3, 4, 5), unspecified);
            Assert.Equal(DateTimeKind.Unspecified, unspecified.Kind);
            var utc = (DateTime)JsonParser.Parse("\"2024-01-02T03:04:05.1234567Z\"");
            Assert.Equal(DateTimeKind.Utc, utc.Kind);
            Assert.Equal(new DateTime(2024, 1, 2, 3, 4, 5, DateTimeKind.Utc).AddTicks(1234567), utc);
            foreach (var offset in new[] { "+02:00", "+0200", "+02" })
            {
                var local = (DateTime)JsonParser.Parse("\"2024-01-02T03:04:05" + offset + "\"");
                Assert.Equal(DateTimeKind.Local, local.Kind);
                Assert.Equal(new DateTime(2024, 1, 2, 1, 4, 5, DateTimeKind.Utc), local.ToUniversalTime());
            }
            Assert.Equal(new DateTime(2024, 1, 3), JsonParser.Parse("\"2024-01-02T24:00:00\""));
            var ms = (DateTime)JsonParser.Parse("\"\\/Date(1234567890000)\\/\"");
            Assert.Equal(new DateTime(2009, 2, 13, 23, 31, 30, DateTimeKind.Utc), ms);
            Assert.Equal(DateTimeKind.Utc, ms.Kind);
            foreach (var text in new[] { "2024-01-02", "2024-01-02T03:04", "2024-01-02 03:04:05", "2024-01-02T03:04:05.12345678Z", "2024-13-02T03:04:05", "2024-02-30T03:04:05", "2024-01-02T03:04:05Q" })
                Assert.Equal(text, JsonParser.Parse("\"" + text + "\""));
        }

        [Theory]
        [InlineData("{\"a\":1,}", "offset 7")]
        [InlineData("[1 2]", "offset 3")]
        [InlineData("{'a':1}", "quoted member name")]
        [InlineData("\"abc", "unterminated string")]
        [InlineData("01", "after the JSON value")]
        [InlineData("tru", "expected a value")]
        [InlineData("", "unexpected end")]
        [InlineData("{\"\":1}", "member name is empty")]
        [InlineData("{\"a\":1,\"A\":2}", "differ only in case")]
        public void Parser_rejects_what_ConvertFrom_Json_cannot_make_an_object_of_naming_where_and_what(string text, string expected)
        {
            var e = Assert.Throws<FormatException>(() => JsonParser.Parse(text));
            Assert.Contains(expected, e.Message);
        }

        [Fact]
        public void Parser_rejects_hostile_nesting_without_overflowing_the_stack()
        {
            var text = new string('[', 100000) + new string(']', 100000);
            var e = Assert.Throws<FormatException>(() => JsonParser.Parse(text));
            Assert.Contains("nesting", e.Message);
            Assert.IsType<List<object>>(JsonParser.Parse(new string('[', 1000) + new string(']', 1000)));
        }

        [Fact]
        public void Written_json_parses_back_to_the_same_structure()
        {
            var source = new OrderedDictionary { ["s"] = "q\"uote", ["n"] = 3, ["l"] = new[] { 1.5, 2.0 }, ["t"] = new DateTime(2024, 1, 2, 3, 4, 5, DateTimeKind.Utc) };
            var parsed = (JsonObject)JsonParser.Parse(Json(source));
            Assert.Equal("q\"uote", parsed["s"]);
            Assert.Equal(3L, parsed["n"]);
            Assert.Equal(new List<object> { 1.5, 2.0 }, (List<object>)parsed["l"]);
            Assert.Equal(source["t"], parsed["t"]);
            Assert.Equal(Json(source), CompactJsonWriter.Write(parsed));
        }

        /// <summary>A stand-in for PowerShell's PSObject: a base object (null: a PSCustomObject) with added properties.</summary>
        private sealed class FakeWrapper
        {
            public readonly object Base;
            public readonly KeyValuePair<string, object>[] Properties;

            public FakeWrapper(object baseObject, params KeyValuePair<string, object>[] properties)
            {
                Base = baseObject;
                Properties = properties;
            }
        }

        private sealed class PureBase { }

        private sealed class FakeShellModel : IJsonObjectModel
        {
            public static readonly object ShellNull = new object();
            private readonly Action _onUnwrap;

            public FakeShellModel(Action onUnwrap = null) { _onUnwrap = onUnwrap; }

            public bool IsNull(object value) => ReferenceEquals(value, ShellNull);

            public object Unwrap(object value, out object wrapper)
            {
                _onUnwrap?.Invoke();
                if (value is FakeWrapper w)
                {
                    wrapper = w;
                    return w.Base ?? new PureBase();
                }
                wrapper = null;
                return value;
            }

            public bool IsPureWrapper(object wrapper) => wrapper is FakeWrapper w && w.Base == null;

            public string ToText(object value) =>
                value is FakeWrapper w ? "@{" + string.Join("; ", Array.ConvertAll(w.Properties, p => p.Key + "=" + p.Value)) + "}" : PlainJsonObjectModel.Instance.ToText(value);

            public IEnumerable<KeyValuePair<string, Func<object>>> WrapperProperties(object wrapper, bool includeAdapted)
            {
                foreach (var p in ((FakeWrapper)wrapper).Properties)
                {
                    var value = p.Value;
                    yield return new KeyValuePair<string, Func<object>>(p.Key, () => value);
                }
            }
        }
    }
}
