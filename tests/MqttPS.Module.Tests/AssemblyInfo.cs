using Xunit;

// The Shell layer blocks its caller while waiting, as a PowerShell pipeline thread does; run the tests one at a
// time so that blocked test threads cannot starve the thread pool the engine's sockets need.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
