using MqttPS.Core.Protocol;
using MqttPS.Core.Shell;
using Xunit;

namespace MqttPS.Module.Tests.Shell
{
    /// <summary>Text that reaches parameters from CSV columns and command lines (Retain, ProtocolVersion).</summary>
    public class ParameterTextTests
    {
        [Theory]
        [InlineData("true", true)]
        [InlineData("True", true)]
        [InlineData(" TRUE ", true)]
        [InlineData("1", true)]
        [InlineData("yes", true)]
        [InlineData("$true", true)]
        [InlineData("false", false)]
        [InlineData("False", false)]
        [InlineData("0", false)]
        [InlineData("no", false)]
        [InlineData("", false)]
        [InlineData(null, false)]
        public void A_CSV_Retain_column_reads_as_yes_or_no(string text, bool expected)
        {
            Assert.True(BooleanText.TryParse(text, out var value));
            Assert.Equal(expected, value);
        }

        [Theory]
        [InlineData("retained")]
        [InlineData("2")]
        [InlineData("truee")]
        public void Other_text_is_refused_naming_the_parameter_and_the_value(string text)
        {
            var e = Assert.Throws<MqttShellException>(() => BooleanText.Parse(text, "Retain"));
            Assert.Equal("InvalidBoolean", e.ErrorId);
            Assert.Equal(ShellErrorCategory.InvalidArgument, e.Category);
            Assert.Contains("-Retain", e.Message);
            Assert.Contains("'" + text + "'", e.Message);
        }

        [Theory]
        [InlineData("5.0", "5.0")]
        [InlineData("3.1.1", "3.1.1")]
        [InlineData("3.1", "3.1")]
        [InlineData("5", "5.0")]
        [InlineData("V500", "5.0")]
        [InlineData("v311", "3.1.1")]
        [InlineData("V310", "3.1")]
        public void Protocol_version_text_is_normalised(string text, string expected)
        {
            Assert.Equal(expected, ProtocolVersionText.Normalize(text));
        }

        [Fact]
        public void Numbers_and_the_enum_normalise_too()
        {
            // $v = 5.0; Connect-Mqtt -ProtocolVersion $v passes a double, which PowerShell would turn into "5".
            Assert.Equal("5.0", ProtocolVersionText.Normalize(5.0));
            Assert.Equal("5.0", ProtocolVersionText.Normalize(5));
            Assert.Equal("3.1", ProtocolVersionText.Normalize(3.1));
            Assert.Equal("3.1.1", ProtocolVersionText.Normalize(MqttProtocolVersion.V311));
            Assert.Equal(MqttProtocolVersion.V500, ProtocolVersionText.Parse("5"));
            Assert.Equal(MqttProtocolVersion.V311, ProtocolVersionText.Parse("3.1.1"));
            Assert.Equal(MqttProtocolVersion.V310, ProtocolVersionText.Parse("3.1"));
        }

        [Theory]
        [InlineData("4.0")]
        [InlineData("4")]
        [InlineData("3")]
        [InlineData("5.1")]
        [InlineData("")]
        public void Anything_else_is_no_version(string text)
        {
            Assert.Null(ProtocolVersionText.Normalize(text));
            var e = Assert.Throws<MqttShellException>(() => ProtocolVersionText.Parse(text));
            Assert.Equal("InvalidProtocolVersion", e.ErrorId);
            Assert.Contains("3.1.1", e.Message);
        }

        [Fact]
        public void A_double_that_is_no_version_stays_unknown()
        {
            Assert.Null(ProtocolVersionText.Normalize(4.0));
            Assert.Null(ProtocolVersionText.Normalize(4));
        }
    }
}
