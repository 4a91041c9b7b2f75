using Xunit;

namespace MqttPS.Core.Tests.BrokerProduction
{
    /// <summary>
    /// Tests that measure memory or time (stuck subscribers, 1,000 connections, 100,000 retained messages, child
    /// brokers killed with SIGKILL) run alone, after the parallel tests: another test allocating in the same process
    /// would distort the managed-heap figures they assert bounds on.
    /// </summary>
    [CollectionDefinition(Name, DisableParallelization = true)]
    public sealed class MeasuringCollection
    {
        public const string Name = "Production measurements (not parallel)";
    }
}
