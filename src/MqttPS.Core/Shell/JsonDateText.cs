using System;
using System.Globalization;

namespace MqttPS.Core.Shell
{
    /// <summary>
    /// The JSON strings ConvertFrom-Json (PowerShell 7, its default -DateKind) reads as dates, and how:
    /// ISO 8601 date-times "yyyy-MM-ddTHH:mm:ss" with up to seven fraction digits, optionally followed by Z (a UTC
    /// time), or +hh, +hhmm, +hh:mm (converted to this machine's local time) or nothing (a time of unspecified
    /// kind); and the Microsoft form "/Date(milliseconds since 1970[+hhmm])/" (UTC, or local with an offset).
    /// Anything else, e.g. a date without a time, stays a string.
    /// </summary>
    public static class JsonDateText
    {
        private static readonly DateTime UnixEpoch = new DateTime(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc);

        public static bool TryParse(string text, out DateTime value)
        {
            value = default(DateTime);
            if (string.IsNullOrEmpty(text)) return false;
            if (text[0] == '/') return TryParseMicrosoft(text, out value);
            return text.Length >= 19 && text.Length <= 40 && IsDigit(text[0]) && text[10] == 'T' && TryParseIso(text, out value);
        }

        private static bool TryParseIso(string text, out DateTime value)
        {
            value = default(DateTime);
            if (!Digits(text, 0, 4, out var year) || text[4] != '-' || !Digits(text, 5, 2, out var month) || text[7] != '-' ||
                !Digits(text, 8, 2, out var day) || !Digits(text, 11, 2, out var hour) || text[13] != ':' ||
                !Digits(text, 14, 2, out var minute) || text[16] != ':' || !Digits(text, 17, 2, out var second))
                return false;
            if (year < 1 || month < 1 || month > 12 || day < 1 || day > DateTime.DaysInMonth(year, month)) return false;
            if (hour > 24 || minute > 59 || second > 59 || (hour == 24 && (minute != 0 || second != 0))) return false;

            var position = 19;
            long fractionTicks = 0;
            if (position < text.Length && text[position] == '.')
            {
                var digits = 0;
                position++;
                while (position < text.Length && digits < 7 && IsDigit(text[position]))
                {
                    fractionTicks = fractionTicks * 10 + (text[position] - '0');
                    digits++;
                    position++;
                }
                if (digits == 0) return false;
                for (var i = digits; i < 7; i++) fractionTicks *= 10;
                if (hour == 24 && fractionTicks != 0) return false;
            }

            var local = new DateTime(year, month, day, hour == 24 ? 0 : hour, minute, second).AddTicks(fractionTicks);
            if (hour == 24) local = local.AddDays(1);

            if (position == text.Length)
            {
                value = local; // no zone: unspecified
                return true;
            }
            var zone = text[position];
            if ((zone == 'Z' || zone == 'z') && position + 1 == text.Length)
            {
                value = DateTime.SpecifyKind(local, DateTimeKind.Utc);
                return true;
            }
            if ((zone != '+' && zone != '-') || !Digits(text, position + 1, 2, out var offsetHours)) return false;
            position += 3;
            var offsetMinutes = 0;
            if (position < text.Length && text[position] == ':') position++;
            if (position < text.Length)
            {
                if (!Digits(text, position, 2, out offsetMinutes)) return false;
                position += 2;
            }
            if (position != text.Length) return false;
            var offset = new TimeSpan(offsetHours, offsetMinutes, 0);
            var utcTicks = zone == '+' ? local.Ticks - offset.Ticks : local.Ticks + offset.Ticks;
            if (utcTicks < DateTime.MinValue.Ticks || utcTicks > DateTime.MaxValue.Ticks) return false;
            value = new DateTime(utcTicks, DateTimeKind.Utc).ToLocalTime();
            return true;
        }

        private static bool TryParseMicrosoft(string text, out DateTime value)
        {
            value = default(DateTime);
            const string prefix = "/Date(", suffix = ")/";
            if (text.Length < 9 || !text.StartsWith(prefix, StringComparison.Ordinal) || !text.EndsWith(suffix, StringComparison.Ordinal)) return false;
            var body = text.Substring(prefix.Length, text.Length - prefix.Length - suffix.Length);
            // An offset after the milliseconds (which may themselves be negative) makes the result local time.
            var sign = body.IndexOfAny(new[] { '+', '-' }, 1);
            var local = sign > 0;
            if (local)
            {
                var offset = body.Substring(sign + 1);
                if ((offset.Length != 2 && offset.Length != 4) || !Digits(offset, 0, offset.Length, out _)) return false;
                body = body.Substring(0, sign);
            }
            if (!long.TryParse(body, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var milliseconds)) return false;
            try
            {
                var utc = UnixEpoch.AddMilliseconds(milliseconds);
                value = local ? utc.ToLocalTime() : utc;
                return true;
            }
            catch (ArgumentOutOfRangeException)
            {
                return false;
            }
        }

        private static bool Digits(string text, int start, int count, out int number)
        {
            number = 0;
            if (start + count > text.Length) return false;
            for (var i = start; i < start + count; i++)
            {
                if (!IsDigit(text[i])) return false;
                number = number * 10 + (text[i] - '0');
            }
            return true;
        }

        private static bool IsDigit(char c) => c >= '0' && c <= '9';
    }
}
