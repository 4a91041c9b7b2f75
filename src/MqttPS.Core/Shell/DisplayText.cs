namespace MqttPS.Core.Shell
{
    /// <summary>Values fitted to table columns (the module's format file calls these).</summary>
    public static class DisplayText
    {
        /// <summary>
        /// <paramref name="text"/> in at most <paramref name="width"/> characters: a longer one keeps its start and its
        /// end around "..." (ASCII: the consoles of Windows PowerShell 5.1 may lack the ellipsis glyph), so that
        /// "plant/building-7/floor-3/sensor-42" still shows which sensor: "plant/bu...r-3/sensor-42". Topics put
        /// the specific part (a device id) last, where cutting the end would hide it.
        /// </summary>
        public static string Middle(string text, int width)
        {
            if (text == null || text.Length <= width || width < 5) return text;
            var tail = (width - 3) * 2 / 3;   // the end carries more information than the start
            var head = width - 3 - tail;
            return text.Substring(0, head) + "..." + text.Substring(text.Length - tail);
        }
    }
}
