using System;
using System.Collections.Generic;
using System.Globalization;
using System.Numerics;
using System.Text;

namespace MqttPS.Core.Shell
{
    /// <summary>
    /// Parses JSON text (RFC 8259) into what ConvertFrom-Json gives for it in PowerShell 7, so that -AsJson and
    /// ConvertFrom-Json agree: <see cref="JsonObject"/> (the cmdlet layer makes it a PSCustomObject),
    /// <see cref="List{T}"/> of object, string, long (BigInteger beyond it), double, bool, null, and DateTime for
    /// strings in ISO 8601 or /Date(ms)/ form (<see cref="JsonDateText"/>). Like ConvertFrom-Json it refuses
    /// empty member names and names that differ only in case (a PSCustomObject cannot hold both); a repeated
    /// name keeps the last value. Errors name the character offset and what was expected.
    /// </summary>
    public sealed class JsonParser
    {
        /// <summary>ConvertFrom-Json's default -Depth; deeper nesting is rejected rather than risking a stack
        /// overflow on hostile payloads.</summary>
        public const int MaximumDepth = 1024;

        private readonly string _text;
        private int _position;

        private JsonParser(string text)
        {
            _text = text;
        }

        public static object Parse(string text)
        {
            if (text == null) throw new ArgumentNullException(nameof(text));
            var parser = new JsonParser(text);
            parser.SkipWhitespace();
            var value = parser.ParseValue(0);
            parser.SkipWhitespace();
            if (parser._position != text.Length) throw parser.Error("unexpected '" + text[parser._position] + "' after the JSON value");
            return value;
        }

        public static bool TryParse(string text, out object value, out string error)
        {
            try
            {
                value = Parse(text);
                error = null;
                return true;
            }
            catch (FormatException e)
            {
                value = null;
                error = e.Message;
                return false;
            }
        }

        private object ParseValue(int depth)
        {
            if (depth > MaximumDepth) throw Error("nesting deeper than " + MaximumDepth + " levels");
            if (_position >= _text.Length) throw Error("unexpected end of text, expected a value");
            var c = _text[_position];
            switch (c)
            {
                case '{': return ParseObject(depth);
                case '[': return ParseArray(depth);
                case '"':
                    var text = ParseString();
                    return JsonDateText.TryParse(text, out var date) ? (object)date : text;
                case 't': ExpectWord("true"); return true;
                case 'f': ExpectWord("false"); return false;
                case 'n': ExpectWord("null"); return null;
                default:
                    if (c == '-' || (c >= '0' && c <= '9')) return ParseNumber();
                    throw Error("unexpected '" + c + "', expected a value");
            }
        }

        private JsonObject ParseObject(int depth)
        {
            var result = new JsonObject();
            var namesIgnoringCase = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            _position++; // {
            SkipWhitespace();
            if (Peek() == '}') { _position++; return result; }
            while (true)
            {
                SkipWhitespace();
                if (Peek() != '"') throw Error("expected a quoted member name");
                var keyOffset = _position;
                var key = ParseString();
                RequireUsableName(namesIgnoringCase, key, keyOffset);
                SkipWhitespace();
                if (Peek() != ':') throw Error("expected ':' after member name \"" + key + "\"");
                _position++;
                SkipWhitespace();
                result[key] = ParseValue(depth + 1);
                SkipWhitespace();
                var next = Peek();
                _position++;
                if (next == ',') continue;
                if (next == '}') return result;
                _position--;
                throw Error("expected ',' or '}' in object");
            }
        }

        private List<object> ParseArray(int depth)
        {
            var result = new List<object>();
            _position++; // [
            SkipWhitespace();
            if (Peek() == ']') { _position++; return result; }
            while (true)
            {
                SkipWhitespace();
                result.Add(ParseValue(depth + 1));
                SkipWhitespace();
                var next = Peek();
                _position++;
                if (next == ',') continue;
                if (next == ']') return result;
                _position--;
                throw Error("expected ',' or ']' in array");
            }
        }

        private string ParseString()
        {
            _position++; // opening quote
            var sb = new StringBuilder();
            while (true)
            {
                if (_position >= _text.Length) throw Error("unterminated string");
                var c = _text[_position++];
                if (c == '"') return sb.ToString();
                if (c < 0x20) { _position--; throw Error("control character U+" + ((int)c).ToString("X4", CultureInfo.InvariantCulture) + " inside a string must be escaped"); }
                if (c != '\\') { sb.Append(c); continue; }
                if (_position >= _text.Length) throw Error("unterminated escape sequence");
                var e = _text[_position++];
                switch (e)
                {
                    case '"': sb.Append('"'); break;
                    case '\\': sb.Append('\\'); break;
                    case '/': sb.Append('/'); break;
                    case 'b': sb.Append('\b'); break;
                    case 'f': sb.Append('\f'); break;
                    case 'n': sb.Append('\n'); break;
                    case 'r': sb.Append('\r'); break;
                    case 't': sb.Append('\t'); break;
                    case 'u':
                        if (_position + 4 > _text.Length) throw Error("incomplete \\u escape");
                        if (!int.TryParse(_text.Substring(_position, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code))
                            throw Error("invalid \\u escape '" + _text.Substring(_position, 4) + "'");
                        sb.Append((char)code);
                        _position += 4;
                        break;
                    default:
                        _position--;
                        throw Error("invalid escape '\\" + e + "'");
                }
            }
        }

        private object ParseNumber()
        {
            var start = _position;
            if (Peek() == '-') _position++;
            if (Peek() == '0') _position++;
            else if (IsDigit(Peek())) while (IsDigit(Peek())) _position++;
            else throw Error("expected a digit");
            var integral = true;
            if (Peek() == '.')
            {
                integral = false;
                _position++;
                if (!IsDigit(Peek())) throw Error("expected a digit after the decimal point");
                while (IsDigit(Peek())) _position++;
            }
            if (Peek() == 'e' || Peek() == 'E')
            {
                integral = false;
                _position++;
                if (Peek() == '+' || Peek() == '-') _position++;
                if (!IsDigit(Peek())) throw Error("expected a digit in the exponent");
                while (IsDigit(Peek())) _position++;
            }
            var token = _text.Substring(start, _position - start);
            if (integral)
            {
                if (long.TryParse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) return l;
                return BigInteger.Parse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            }
            try
            {
                return double.Parse(token, NumberStyles.Float, CultureInfo.InvariantCulture);
            }
            catch (OverflowException)
            {
                // .NET Framework refuses what .NET (Core) and JavaScript read as an infinity, e.g. 1E400.
                return token[0] == '-' ? double.NegativeInfinity : double.PositiveInfinity;
            }
        }

        private void RequireUsableName(Dictionary<string, string> namesIgnoringCase, string name, int offset)
        {
            if (name.Length == 0)
            {
                _position = offset;
                throw Error("a member name is empty, which a PowerShell object cannot hold");
            }
            if (namesIgnoringCase.TryGetValue(name, out var existing))
            {
                if (existing == name) return; // a repeat: the last value wins
                _position = offset;
                throw Error("the member names '" + existing + "' and '" + name + "' differ only in case, which a PowerShell object cannot hold");
            }
            namesIgnoringCase.Add(name, name);
        }

        private void ExpectWord(string word)
        {
            if (string.CompareOrdinal(_text, _position, word, 0, word.Length) != 0) throw Error("unexpected '" + _text[_position] + "', expected a value");
            _position += word.Length;
        }

        private static bool IsDigit(char c) => c >= '0' && c <= '9';

        private char Peek() => _position < _text.Length ? _text[_position] : '\0';

        private void SkipWhitespace()
        {
            while (_position < _text.Length)
            {
                var c = _text[_position];
                if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
                _position++;
            }
        }

        private FormatException Error(string problem) =>
            new FormatException("Invalid JSON at offset " + _position.ToString(CultureInfo.InvariantCulture) + ": " + problem + ".");
    }
}
