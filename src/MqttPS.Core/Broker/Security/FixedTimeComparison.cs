namespace MqttPS.Core.Broker.Security
{
    /// <summary>Byte comparison whose duration does not depend on where the inputs differ, so that a client
    /// cannot learn a stored hash byte by byte from response times. (CryptographicOperations.FixedTimeEquals
    /// is not in netstandard2.0.)</summary>
    internal static class FixedTimeComparison
    {
        public static bool AreEqual(byte[] a, byte[] b)
        {
            if (a == null || b == null || a.Length != b.Length) return false;
            var difference = 0;
            for (var i = 0; i < a.Length; i++) difference |= a[i] ^ b[i];
            return difference == 0;
        }
    }
}
