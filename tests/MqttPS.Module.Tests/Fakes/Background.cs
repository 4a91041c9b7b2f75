using System;
using System.Threading;
using System.Threading.Tasks;

namespace MqttPS.Module.Tests.Fakes
{
    /// <summary>
    /// Runs test "network" activity on a dedicated thread. The Shell layer blocks the calling (pipeline) thread
    /// while it waits, and test threads come from the thread pool, so feeders on the pool could be starved.
    /// </summary>
    public static class Background
    {
        public static Task Run(Action action)
        {
            var done = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            var thread = new Thread(() =>
            {
                try { action(); done.SetResult(true); }
                catch (Exception e) { done.SetException(e); }
            }) { IsBackground = true };
            thread.Start();
            return done.Task;
        }
    }
}
