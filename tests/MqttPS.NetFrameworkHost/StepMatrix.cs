using System;
using System.Diagnostics;
using System.IO;
using System.Threading.Tasks;

namespace MqttPS.NetFrameworkHost
{
    /// <summary>Runs the steps one after another, each within a deadline, and writes one result line per step.</summary>
    internal sealed class StepMatrix
    {
        private readonly TextWriter _output;
        private readonly TimeSpan _stepTimeout;

        public StepMatrix(TextWriter output, TimeSpan stepTimeout)
        {
            _output = output;
            _stepTimeout = stepTimeout;
        }

        public int Failures { get; private set; }
        public int Steps { get; private set; }

        /// <summary>Runs one step; returns its value, or default when it failed (the failure is reported, not thrown).
        /// The detail reported is the value itself (text), or what <paramref name="describe"/> says of it.</summary>
        public async Task<T> RunAsync<T>(string name, Func<Task<T>> step, Func<T, string> describe = null)
        {
            var watch = Stopwatch.StartNew();
            try
            {
                var task = step();
                if (await Task.WhenAny(task, Task.Delay(_stepTimeout)).ConfigureAwait(false) != task)
                {
                    ObserveLater(task);
                    throw new TimeoutException("the step did not finish within " + _stepTimeout.TotalSeconds + " s");
                }
                var value = await task.ConfigureAwait(false);
                Report(name, "PASS", watch, describe != null ? describe(value) : value as string ?? "");
                return value;
            }
            catch (RuntimeLimitException e)
            {
                Report(name, "LIMIT", watch, e.Message);
            }
            catch (Exception e)
            {
                Failures++;
                Report(name, "FAIL", watch, e.GetType().Name + ": " + e.Message + (e.InnerException != null ? " <- " + e.InnerException.GetType().Name + ": " + e.InnerException.Message : ""));
            }
            return default(T);
        }

        private void Report(string name, string result, Stopwatch watch, string detail)
        {
            Steps++;
            // One line per step whatever the detail holds.
            _output.WriteLine("STEP|" + name + "|" + result + "|" + watch.ElapsedMilliseconds + "|" + detail.Replace("\r", " ").Replace("\n", " ").Replace("|", "/"));
            _output.Flush();
        }

        private static void ObserveLater(Task task) => task.ContinueWith(t => { _ = t.Exception; }, TaskContinuationOptions.OnlyOnFaulted);
    }

    /// <summary>A step that met a documented limit of the runtime (reported as LIMIT, with what to do about it).</summary>
    internal sealed class RuntimeLimitException : Exception
    {
        public RuntimeLimitException(string message) : base(message) { }
    }
}
