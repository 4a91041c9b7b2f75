namespace MqttPS.Benchmarks
{
    /// <summary>One suite of the benchmark program, selected on the command line by <see cref="Name"/>.</summary>
    public interface IBenchmarkSuite
    {
        /// <summary>The command-line name, lower case (e.g. "index").</summary>
        string Name { get; }

        /// <summary>One line for --list.</summary>
        string Description { get; }

        void Run(BenchmarkRunner runner);
    }
}
