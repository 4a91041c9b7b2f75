using System;
using System.Threading.Tasks;

namespace MqttPS.Core.Tests.Infrastructure
{
    /// <summary>Waits for something a test expects to happen soon, polling within a deadline instead of sleeping a fixed time.</summary>
    public static class Eventually
    {
        public static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string what)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (!condition())
            {
                if (DateTime.UtcNow > deadline) throw new TimeoutException("timed out after " + timeout.TotalSeconds + " s waiting for " + what);
                await Task.Delay(20).ConfigureAwait(false);
            }
        }
    }
}
