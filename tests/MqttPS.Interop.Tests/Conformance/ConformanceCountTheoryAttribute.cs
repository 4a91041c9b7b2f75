using System;
using Xunit;

namespace MqttPS.Interop.Tests.Conformance
{
    /// <summary>
    /// A conformance count plays all 1,826 sequences against a broker that fails many of them, each failure waiting
    /// out the runner's timeouts: minutes, not for every CI run. It runs when MQTTPS_CONFORMANCE_COUNT=1 and is
    /// reported as skipped otherwise (the embedded broker's own conformance runs in every CI run).
    /// </summary>
    public sealed class ConformanceCountTheoryAttribute : TheoryAttribute
    {
        public const string EnvironmentVariable = "MQTTPS_CONFORMANCE_COUNT";

        public ConformanceCountTheoryAttribute()
        {
            if (Environment.GetEnvironmentVariable(EnvironmentVariable) != "1")
                Skip = "a measurement, not a check: set " + EnvironmentVariable + "=1 to count (README, 'Why MqttPS has its own engine')";
        }
    }
}
