namespace MqttPS.Core.Broker.Persistence
{
    /// <summary>CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), the checksum of zlib and PNG, guarding each
    /// stored record against torn writes and bit rot. Table-driven; the table is built once.</summary>
    internal static class Crc32
    {
        private static readonly uint[] Table = BuildTable();

        private static uint[] BuildTable()
        {
            var table = new uint[256];
            for (uint n = 0; n < 256; n++)
            {
                var c = n;
                for (var k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
                table[n] = c;
            }
            return table;
        }

        public static uint Compute(byte[] data, int offset, int count)
        {
            var crc = 0xFFFFFFFFu;
            var end = offset + count;
            for (var i = offset; i < end; i++) crc = Table[(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
            return crc ^ 0xFFFFFFFFu;
        }
    }
}
