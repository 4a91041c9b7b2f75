using System;

namespace MqttPS.Core.Broker.Configuration
{
    /// <summary>One directive line of a configuration file, split as mosquitto splits it: the directive, then the
    /// rest of the line (a string value keeps its inner blanks) and the rest as words.</summary>
    internal sealed class ConfigLine
    {
        private static readonly char[] Blanks = { ' ', '\t' };

        public ConfigLine(string file, int number, string text)
        {
            File = file;
            Number = number;
            var trimmed = text.Trim(Blanks);
            var end = trimmed.IndexOfAny(Blanks);
            Directive = end < 0 ? trimmed : trimmed.Substring(0, end);
            Rest = end < 0 ? string.Empty : trimmed.Substring(end).Trim(Blanks);
            Words = Rest.Length == 0 ? new string[0] : Rest.Split(Blanks, StringSplitOptions.RemoveEmptyEntries);
        }

        public string File { get; }
        public int Number { get; }
        public string Directive { get; }

        /// <summary>Everything after the directive, without surrounding blanks.</summary>
        public string Rest { get; }
        public string[] Words { get; }

        public override string ToString() => File + ":" + Number;
    }
}
