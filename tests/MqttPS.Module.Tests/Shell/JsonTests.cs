using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Threading;
using MqttPS.Core.Shell;
using Xunit;

namespace MqttPS.Module.Tests.Shell
{
    public class JsonTests
    {
        [Fact]
        public void Writer_writes_dictionaries_lists_and_scalars_compactly()
        {
            var value = new Hashtable { ["id"] = 7 };
            var ordered = new System.Collections.Specialized.OrderedDictionary { ["name"] = "probe", ["tags"] = new object[] { "a", 1, true, null }, ["nested"] = value };
            Assert.Equal("{\"name\":\"probe\",\"tags\":[\"a\",1,true,null],\"nested\":{\"id\":7}}", CompactJsonWriter.Write(ordered));
        }

        [Fact]
        public void Writer_escapes_strings_as_json_requires()
        {
            Assert.Equal("\"a\\\"b\\\\c\\n\\t\\u0001é\"", CompactJsonWriter.Write("a\"b\\c\n\t\u0001é"));
        }

        [Fact]
        public void Writer_uses_invariant_culture_for_numbers_and_iso_dates()
        {
            var previous = Thread.CurrentThread.CurrentCulture;
            Thread.CurrentThread.CurrentCulture = new CultureInfo("de-DE");
            try
            {
                Assert.Equal("[21.5,1E+300,null,12345678901234]", CompactJsonWriter.Write(new object[] { 21.5, 1e300, double.NaN, 12345678901234L }));
                Assert.Equal("\"2024-05-06T07:08:09.0000000Z\"", CompactJsonWriter.Write(new DateTime(2024, 5, 6, 7, 8, 9, DateTimeKind.Utc)));
                Assert.Equal("2.25", CompactJsonWriter.Write(2.25m));
            }
            finally
            {
                Thread.CurrentThread.CurrentCulture = previous;
            }
        }

        private sealed class Reading
        {
            public string Sensor { get; set; } = "t1";
            public double Value { get; set; } = 20.5;
            public DayOfWeek Day { get; set; } = DayOfWeek.Monday;
        }

        [Fact]
        public void Writer_writes_plain_objects_through_their_public_properties()
        {
            Assert.Equal("{\"Sensor\":\"t1\",\"Value\":20.5,\"Day\":\"Monday\"}", CompactJsonWriter.Write(new Reading()));
        }

        [Fact]
        public void Writer_stops_at_a_self_reference_instead_of_recursing_forever()
        {
            var list = new ArrayList();
            list.Add(list);
            var json = CompactJsonWriter.Write(list);
            Assert.StartsWith("[[[[", json);
            Assert.EndsWith("]]]]", json);
        }

        [Fact]
        public void Parser_reads_every_json_type_in_document_order()
        {
            var parsed = (JsonObject)JsonParser.Parse(" {\"b\":1, \"a\":[true,false,null,\"x\\u00e9\\n\"], \"c\":{\"d\":-2.5e2}, \"big\": 12345678901234567890} ");
            Assert.Equal(new[] { "b", "a", "c", "big" }, parsed.Keys);
            Assert.Equal(1L, parsed["b"]);
            Assert.Equal(new List<object> { true, false, null, "xé\n" }, (List<object>)parsed["a"]);
            Assert.Equal(-250.0, ((JsonObject)parsed["c"])["d"]);
            Assert.Equal(12345678901234567890.0, parsed["big"]);
        }

        [Theory]
        [InlineData("{\"a\":1,}", "offset 7")]
        [InlineData("[1 2]", "offset 3")]
        [InlineData("{'a':1}", "quoted member name")]
        [InlineData("\"abc", "unterminated string")]
        [InlineData("01", "after the JSON value")]
        [InlineData("tru", "expected a value")]
        [InlineData("", "unexpected end")]
        public void Parser_rejects_invalid_json_naming_where_and_what(string text, string expected)
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
        }

        [Fact]
        public void Writer_output_parses_back_to_the_same_structure()
        {
            var source = new System.Collections.Specialized.OrderedDictionary { ["s"] = "q\"uote", ["n"] = 3, ["l"] = new[] { 1.5, 2.0 } };
            var parsed = (JsonObject)JsonParser.Parse(CompactJsonWriter.Write(source));
            Assert.Equal("q\"uote", parsed["s"]);
            Assert.Equal(3L, parsed["n"]);
            Assert.Equal(new List<object> { 1.5, 2L }, (List<object>)parsed["l"]);
        }
    }
}
