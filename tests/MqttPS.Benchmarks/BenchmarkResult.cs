namespace MqttPS.Benchmarks
{
    public sealed class BenchmarkResult
    {
        public BenchmarkResult(string name, double nanosecondsPerOperation, double allocatedBytesPerOperation,
            long bytesPerOperation, int threads)
        {
            Name = name;
            NanosecondsPerOperation = nanosecondsPerOperation;
            AllocatedBytesPerOperation = allocatedBytesPerOperation;
            BytesPerOperation = bytesPerOperation;
            Threads = threads;
        }

        public string Name { get; }

        /// <summary>Median wall-clock time per operation (for parallel runs: wall time divided by all operations).</summary>
        public double NanosecondsPerOperation { get; }

        public double MicrosecondsPerOperation => NanosecondsPerOperation / 1000;
        public double OperationsPerSecond => 1_000_000_000.0 / NanosecondsPerOperation;

        /// <summary>Bytes allocated per operation on the measuring thread(s), best run.</summary>
        public double AllocatedBytesPerOperation { get; }

        /// <summary>Payload or wire bytes per operation, for the MB/s figure (0 = not applicable).</summary>
        public long BytesPerOperation { get; }

        public double MegabytesPerSecond => BytesPerOperation * OperationsPerSecond / (1024.0 * 1024.0);

        public int Threads { get; }
    }
}
